import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type * as oidc from 'openid-client';
import { accountKey } from '../../src/auth/throttle.js';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession, formAction, formField } from '../helpers/http-session.js';
import { openSignIn, relyingParty, startAuthorization, submitPassword } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

// IDP_REDIS_URL: two instances share Redis (interactions, codes, access tokens, throttle
// counters) and PostgreSQL (sessions, grants, refresh tokens). Needs a real Redis
// (IDP_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379; .ci/run starts one) and PostgreSQL.
const REDIS_URL = process.env.IDP_TEST_REDIS_URL;
const skip = !REDIS_URL
  ? 'IDP_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)'
  : !engines().includes('postgres')
    ? 'IDP_TEST_DATABASE_URL is not set: Redis is offered with PostgreSQL'
    : false;

const ACCOUNT_FAILURES = 4;

async function tokenRequest(server: TestServer, client: FixtureClient, form: Record<string, string>, path = '/token') {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * Follows the IdP's redirects on `server`: oidc-provider writes its absolute URLs with the
 * issuer (the first instance's address here; one host name behind a load balancer in a
 * real deployment), so they are pointed at `server` again.
 */
async function followOn(server: TestServer, session: HttpSession, res: Response, url: string, stopAt: string): Promise<string> {
  let current = res;
  let currentUrl = url;
  for (let i = 0; i < 10 && current.status >= 300 && current.status < 400; i++) {
    const location = new URL(current.headers.get('location')!, currentUrl);
    if (location.toString().startsWith(stopAt)) return location.toString();
    currentUrl = new URL(location.pathname + location.search, server.url).toString();
    current = await session.get(currentUrl);
  }
  throw new Error(`no redirect to ${stopAt}: ended at ${currentUrl} (${current.status})`);
}

/** The browser's cookies carried to the other instance, as behind a load balancer (same host name). */
function sameBrowserOn(server: TestServer, from: HttpSession): HttpSession {
  const to = new HttpSession(server.url, { 'accept-language': 'en' });
  for (const [name, value] of (from as unknown as { cookies: Map<string, string> }).cookies) to.setCookie(name, value);
  return to;
}

describe('Redis (IDP_REDIS_URL): two instances share Redis and PostgreSQL', { skip }, () => {
  const prefix = `idp-test-${randomBytes(5).toString('hex')}:`;
  let redis: Redis;
  let a: TestServer;
  let b: TestServer;
  let client: FixtureClient;
  let alice: FixtureUser;
  let config: oidc.Configuration;

  const keys = async (pattern: string) => {
    const found: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}${pattern}`, count: 500 }) as AsyncIterable<string[]>) found.push(...batch);
    return found;
  };
  const payloadTypes = async () =>
    ((await a.services.knex('oidc_payloads').distinct('type')) as { type: string }[]).map((r) => r.type).sort();

  before(async () => {
    redis = new Redis(REDIS_URL!);
    const env = {
      IDP_REDIS_URL: REDIS_URL!,
      IDP_REDIS_PREFIX: prefix,
      IDP_THROTTLE_ACCOUNT_FAILURES: String(ACCOUNT_FAILURES),
      IDP_THROTTLE_BASE_DELAY_SECONDS: '60',
    };
    a = await startTestServer({ engine: 'postgres', env });
    b = await startTestServer({ database: a.database, env: { ...env, IDP_ISSUER: a.config.issuer }, secretKey: a.config.secretKey });
    const org = await createOrg(a.services, 'ACME');
    alice = await createUser(a.services, org, { username: 'alice' });
    client = await createClient(a.services, { orgId: org.id });
    config = await relyingParty(a.url, client);
  });
  after(async () => {
    await b?.stop();
    await a?.stop({ dropDatabase: true });
    if (redis) {
      const left = await keys('*');
      if (left.length) await redis.del(...left);
      redis.disconnect();
    }
  });

  /** One password attempt with the whole sign-in on `server`. */
  async function attempt(server: TestServer, password: string) {
    const session = new HttpSession(server.url, { 'accept-language': 'en' });
    const start = await startAuthorization(config, client);
    const onServer = { ...start, url: new URL(start.url.pathname + start.url.search, server.url) };
    const page = await openSignIn(session, onServer);
    const { res, url } = await submitPassword(session, page, { orgCode: 'ACME', username: 'alice', password }, client.redirectUri);
    return url.startsWith(client.redirectUri) ? 'signed-in' : res.status;
  }

  it('counts failures and locks an account across instances, with the counters in Redis', async () => {
    assert.equal(await attempt(a, 'wrong-1'), 401);
    assert.equal(await attempt(b, 'wrong-2'), 401);
    assert.equal(await attempt(a, 'wrong-3'), 401);
    assert.equal(await attempt(b, 'wrong-4'), 429, 'the fourth failure, on the other instance, locks');
    assert.equal(await attempt(a, alice.password), 429, 'locked on the first instance too');
    assert.equal(await attempt(b, alice.password), 429, 'and on the second');

    // where the counters are: Redis, not the throttles table
    assert.equal(Number((await a.services.knex('throttles').count({ n: '*' }))[0]!.n), 0);
    const account = accountKey('ACME', 'alice');
    assert.equal(await redis.hget(`${prefix}throttle:${account}`, 'failures'), String(ACCOUNT_FAILURES));
    const ttl = await redis.pttl(`${prefix}throttle:${account}`);
    assert.ok(ttl > 0, 'the counter expires by itself');
    // what the admin pages and `idp users unlock` read, from either instance
    const [lock] = await b.services.repos.throttles.get([account]);
    assert.ok(lock?.lockedUntil && lock.lockedUntil > Date.now(), 'the lock is visible on the other instance');

    await a.services.throttle.clear(account); // as `idp users unlock` does
    assert.equal(await attempt(b, alice.password), 'signed-in');
    assert.equal(await redis.exists(`${prefix}throttle:${account}`), 0, 'a success clears the account counter');
  });

  it('a sign-in started on one instance finishes on the other; short-lived artefacts in Redis, grants and refresh tokens in PostgreSQL', async () => {
    const interactionsBefore = new Set(await keys('oidc:Interaction:*')); // the attempts above left theirs
    // the authorization request and the sign-in page on A …
    const onA = new HttpSession(a.url, { 'accept-language': 'en' });
    const start = await startAuthorization(config, client, { scope: 'openid profile offline_access' });
    const page = await openSignIn(onA, { ...start, url: new URL(start.url.pathname + start.url.search, a.url) });
    assert.equal(page.status, 200);
    assert.ok(formField(page.html, 'csrf') && formAction(page.html), 'the sign-in page');
    assert.equal((await keys('oidc:Interaction:*')).filter((k) => !interactionsBefore.has(k)).length, 1, 'the interaction is in Redis');
    assert.ok(!(await payloadTypes()).includes('Interaction'), 'and not in the database');

    // … the password and the redirect back with a code on B
    const onB = sameBrowserOn(b, onA);
    const action = new URL(formAction(page.html)!, b.url).toString();
    const posted = await onB.post(action, { csrf: formField(page.html, 'csrf')!, org: 'ACME', username: 'alice', password: alice.password });
    const callback = await followOn(b, onB, posted, action, client.redirectUri);
    const code = new URL(callback).searchParams.get('code')!;
    assert.ok(code, callback);

    // the code exchanged on A
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: start.codeVerifier };
    const tokens = await tokenRequest(a, client, exchange);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const accessToken = tokens.body.access_token as string;
    const refreshToken = tokens.body.refresh_token as string;
    assert.ok(accessToken && refreshToken);

    assert.deepEqual(await payloadTypes(), ['Grant', 'RefreshToken', 'Session'], 'the database keeps what outlives the sign-in');
    assert.equal((await keys('oidc:AccessToken:*')).length, 1, 'the access token is in Redis');
    const codeKey = `${prefix}oidc:AuthorizationCode:${code}`; // a code's id is its value
    assert.ok(await redis.hget(codeKey, 'consumed'), 'the code is in Redis, consumed');
    assert.ok((await redis.pttl(codeKey)) > 0, 'and expires by itself');

    // the access token on B (from Redis), the refresh token on B (from the database)
    const me = await fetch(`${b.url}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { sub: string }).sub, alice.id);
    const refreshed = await tokenRequest(b, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));

    // the code replayed on B: refused, and the grant revoked in both stores
    const replay = await tokenRequest(b, client, exchange);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    const afterReplay = await fetch(`${a.url}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(afterReplay.status, 401, 'the access token (Redis) is revoked with the grant');
    const refreshAfter = await tokenRequest(a, client, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token as string });
    assert.equal(refreshAfter.status, 400, 'and the refresh token (database) too');
    assert.equal((await keys('oidc:AccessToken:*')).length, 0, 'no access token of the grant is left in Redis');
  });

  it('answers 503 (not ready, temporarily_unavailable) while Redis is unreachable', async () => {
    const down = await startTestServer({
      database: a.database,
      env: { IDP_REDIS_URL: 'redis://127.0.0.1:1', IDP_REDIS_PREFIX: prefix },
      secretKey: a.config.secretKey,
    });
    try {
      const ready = await fetch(`${down.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { error: string }).error, 'redis unreachable');
      const service = await createClient(a.services, { grantTypes: ['client_credentials'] });
      const cc = await tokenRequest(down, service, { grant_type: 'client_credentials' });
      assert.equal(cc.status, 503, JSON.stringify(cc.body));
      assert.equal(cc.body.error, 'temporarily_unavailable');
    } finally {
      await down.stop();
    }
  });
});
