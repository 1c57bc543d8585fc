import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type * as oidc from 'openid-client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../config/load.js';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { accountKey } from '../../src/auth/throttle.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { createClientRepository } from '../../src/db/clients.js';
import { createOidcPayloadRepository } from '../../src/db/oidc-payloads.js';
import { REDIS_MODELS, createRedisPayloadStore, routePayloads } from '../../src/db/redis.js';
import { createAdapterClass } from '../../src/oidc/adapter.js';
import { randomId } from '../../src/util/ids.js';
import { openDatabase, sleep, type OpenDatabase } from '../unit/db/open-db.js';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession, formAction, formField } from '../helpers/http-session.js';
import { assertLockedAcrossInstances, openSignIn, passwordAttempt, relyingParty, startAuthorization, tokenRequest } from '../helpers/rp.js';
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

  const attempt = (server: TestServer, password: string) =>
    passwordAttempt(server.url, config, client, { orgCode: 'ACME', username: 'alice', password });

  it('counts failures and locks an account across instances, with the counters in Redis', async () => {
    await assertLockedAcrossInstances(attempt, a, b, alice.password);

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

  it('consumes a code once and counts every failure once under races between instances', async () => {
    const id = `race-${randomBytes(6).toString('hex')}`;
    await a.services.repos.payloads.upsert('AuthorizationCode', id, { jti: id, kind: 'AuthorizationCode', grantId: 'race-grant' }, 60);
    const wins = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).services.repos.payloads.consumeOnce('AuthorizationCode', id)));
    assert.equal(wins.filter(Boolean).length, 1, 'exactly one use wins');
    assert.ok((await b.services.repos.payloads.find('AuthorizationCode', id))?.consumedAt, 'and both instances see it consumed');

    const key = `pwd:acct:RACE:${id}`;
    const now = Date.now();
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).services.repos.throttles.recordFailure(key, now, now - 60_000, (n) => (n >= 20 ? 1000 : 0))));
    const [state] = await a.services.repos.throttles.get([key]);
    assert.equal(state?.failures, 20, 'no failure lost');
    assert.ok(state?.lockedUntil, 'the 20th locked');
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

describe('IDP_REDIS_URL configuration', () => {
  const load = (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'idp-redis-config-'));
    try {
      return loadConfig({ IDP_DATA_DIR: dir, ...env });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('is off unless set, and takes redis:// or rediss:// URLs and a prefix', () => {
    assert.equal(load({}).redisUrl, undefined);
    assert.equal(load({}).redisPrefix, 'idp:');
    const c = load({ IDP_REDIS_URL: 'rediss://user:pw@cache.internal:6380/2', IDP_REDIS_PREFIX: 'idp-prod:' });
    assert.equal(c.redisUrl, 'rediss://user:pw@cache.internal:6380/2');
    assert.equal(c.redisPrefix, 'idp-prod:');
  });

  it('names the setting when it is wrong', () => {
    assert.throws(() => load({ IDP_REDIS_URL: 'http://cache:6379' }), (err: Error) => err instanceof ConfigError && /IDP_REDIS_URL: must be redis:\/\//.test(err.message));
    assert.throws(() => load({ IDP_REDIS_PREFIX: 'has space' }), (err: Error) => err instanceof ConfigError && /IDP_REDIS_PREFIX/.test(err.message));
  });
});

describe('the adapter contract with IDP_REDIS_URL: models kept in Redis, the others in PostgreSQL', { skip }, () => {
  const prefix = `idp-test-${randomBytes(5).toString('hex')}:`;
  let redis: Redis;
  let db: OpenDatabase;
  let Adapter_: new (model: string) => Adapter;
  const adapter = (model: string) => new Adapter_(model);
  const payloadFor = (model: string, id: string, extra: Partial<AdapterPayload> = {}): AdapterPayload => {
    const iat = Math.floor(Date.now() / 1000);
    return { jti: id, kind: model, iat, exp: iat + 600, accountId: 'acct-1', clientId: 'client-1', grantId: `grant-${id}`, extra: { ü: ['ñ', { deep: 1 }] }, ...extra };
  };
  const rowsOf = async (type: string) => (await db.knex('oidc_payloads').where({ type })).length;

  before(async () => {
    redis = new Redis(REDIS_URL!);
    db = await openDatabase('postgres');
    const payloads = routePayloads(createOidcPayloadRepository(db.knex), createRedisPayloadStore(redis, prefix));
    Adapter_ = createAdapterClass(payloads, createClientRepository(db.knex, createSecretBox('redis-contract-secret-key-0123456789abcdef')).find);
  });
  after(async () => {
    await db?.close();
    if (redis) {
      const left: string[] = [];
      for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) left.push(...batch);
      if (left.length) await redis.del(...left);
      redis.disconnect();
    }
  });

  for (const model of REDIS_MODELS) {
    it(`${model}: upsert, overwrite, find, consume, destroy — in Redis, not in the database`, async () => {
      const id = randomId();
      const payload = payloadFor(model, id);
      await adapter(model).upsert(id, payload, 300);
      assert.deepEqual(await adapter(model).find(id), payload);
      assert.equal(await adapter('Grant').find(id), undefined, 'another model with the same id is not returned');
      const again = payloadFor(model, id, { scope: 'openid email' });
      await adapter(model).upsert(id, again, 300);
      assert.deepEqual(await adapter(model).find(id), again);
      await adapter(model).consume(id);
      assert.equal(typeof (await adapter(model).find(id))?.consumed, 'number');
      await adapter(model).upsert(id, again, 300);
      assert.equal(typeof (await adapter(model).find(id))?.consumed, 'number', 'a consumed payload stays consumed when saved again');
      assert.equal(await rowsOf(model), 0);
      assert.ok(await redis.exists(`${prefix}oidc:${model}:${id}`));
      await adapter(model).destroy(id);
      assert.equal(await adapter(model).find(id), undefined);
      await adapter(model).consume(`unknown-${id}`); // does not throw, creates nothing
      assert.equal(await redis.exists(`${prefix}oidc:${model}:unknown-${id}`), 0);
    });
  }

  it('payloads expire with their lifetime', async () => {
    const short = randomId();
    const long = randomId();
    await adapter('AccessToken').upsert(short, payloadFor('AccessToken', short), 1);
    await adapter('AccessToken').upsert(long, payloadFor('AccessToken', long), 60);
    await adapter('DeviceCode').upsert(short, payloadFor('DeviceCode', short, { userCode: `UC-${short}` }), 1);
    assert.ok(await adapter('AccessToken').find(short));
    await sleep(1200);
    assert.equal(await adapter('AccessToken').find(short), undefined);
    assert.equal(await adapter('DeviceCode').findByUserCode(`UC-${short}`), undefined);
    assert.ok(await adapter('AccessToken').find(long));
  });

  it('findByUserCode and findByUid through the Redis index; Session stays in the database', async () => {
    const id = randomId();
    await adapter('DeviceCode').upsert(id, payloadFor('DeviceCode', id, { userCode: `UC-${id}` }), 300);
    assert.equal((await adapter('DeviceCode').findByUserCode(`UC-${id}`))?.jti, id);
    assert.equal(await adapter('DeviceCode').findByUserCode(`UC-unknown-${id}`), undefined);
    await adapter('Session').upsert(id, payloadFor('Session', id, { uid: `uid-${id}`, grantId: undefined }), 300);
    assert.equal((await adapter('Session').findByUid(`uid-${id}`))?.jti, id);
    assert.equal(await rowsOf('Session'), 1);
  });

  it('revokeByGrantId reaches both stores, and nothing of another grant', async () => {
    const grantId = `grant-${randomId()}`;
    const other = `grant-${randomId()}`;
    const ids = { at: randomId(), rt: randomId(), code: randomId(), keep: randomId() };
    await adapter('AccessToken').upsert(ids.at, payloadFor('AccessToken', ids.at, { grantId }), 300);
    await adapter('AuthorizationCode').upsert(ids.code, payloadFor('AuthorizationCode', ids.code, { grantId }), 60);
    await adapter('RefreshToken').upsert(ids.rt, payloadFor('RefreshToken', ids.rt, { grantId }), 300);
    await adapter('AccessToken').upsert(ids.keep, payloadFor('AccessToken', ids.keep, { grantId: other }), 300);
    await adapter('RefreshToken').revokeByGrantId(grantId);
    assert.equal(await adapter('AccessToken').find(ids.at), undefined, 'Redis');
    assert.equal(await adapter('AuthorizationCode').find(ids.code), undefined, 'Redis');
    assert.equal(await adapter('RefreshToken').find(ids.rt), undefined, 'PostgreSQL');
    assert.ok(await adapter('AccessToken').find(ids.keep), 'another grant is kept');
  });
});
