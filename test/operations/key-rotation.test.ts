import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { cliEnvironment, ensureBuilt, idpJson } from '../cli/helpers.js';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { relyingParty, signIn } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

// each instance reloads its keys every second; the new keys sign DELAY seconds after the rotation
const REFRESH_SECONDS = 1;
const DELAY_SECONDS = 6;

const kidOf = (jwt: string) => jose.decodeProtectedHeader(jwt).kid!;

async function publishedKids(server: TestServer): Promise<string[]> {
  const res = await fetch(`${server.url}/jwks`);
  assert.equal(res.status, 200);
  const { keys } = (await res.json()) as { keys: { kid: string; d?: string }[] };
  assert.ok(keys.every((k) => k.d === undefined), 'the JWKS publishes no private key material');
  return keys.map((k) => k.kid);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

for (const engine of engines()) {
  describe(`signing-key rotation without downtime, two instances (${engine})`, () => {
    let a: TestServer;
    let b: TestServer;
    let client: FixtureClient;
    let user: FixtureUser;
    let rpA: oidc.Configuration;
    let rpB: oidc.Configuration;
    let cliDataDir: string;

    before(async () => {
      await ensureBuilt();
      const env = { IDP_KEY_REFRESH_SECONDS: String(REFRESH_SECONDS) };
      a = await startTestServer({ engine, env });
      b = await startTestServer({ database: a.database, env: { ...env, IDP_ISSUER: a.config.issuer }, secretKey: a.config.secretKey });
      const org = await createOrg(a.services, 'ACME');
      user = await createUser(a.services, org, { username: 'alice' });
      client = await createClient(a.services, { orgId: org.id });
      rpA = await relyingParty(a.url, client);
      rpB = await relyingParty(a.url, client);
      // openid-client then verifies every ID token's signature against the server's JWKS
      oidc.enableNonRepudiationChecks(rpA);
      oidc.enableNonRepudiationChecks(rpB);
      cliDataDir = mkdtempSync(join(tmpdir(), 'idp-rotate-cli-'));
    });
    after(async () => {
      rmSync(cliDataDir, { recursive: true, force: true });
      await b.stop();
      await a.stop({ dropDatabase: true });
    });

    /** A full sign-in through `server` (b answers under a's issuer, on its own port). */
    async function idToken(server: TestServer, rp: oidc.Configuration): Promise<string> {
      if (server === a) return (await signIn(a.url, rp, client, user)).tokens.id_token!;
      // the RP talks to a's issuer; the browser's requests go to b
      const { HttpSession } = await import('../helpers/http-session.js');
      const { openSignIn, startAuthorization, submitPassword } = await import('../helpers/rp.js');
      const session = new HttpSession(b.url);
      const start = await startAuthorization(rp, client);
      const page = await openSignIn(session, { ...start, url: new URL(start.url.pathname + start.url.search, b.url) });
      const end = await submitPassword(session, page, user, client.redirectUri);
      const tokens = await oidc.authorizationCodeGrant(rp, new URL(end.url), {
        pkceCodeVerifier: start.codeVerifier,
        expectedState: start.state,
        expectedNonce: start.nonce,
      });
      return tokens.id_token!;
    }

    it('publishes the new key at once, signs with it after the delay, keeps the old key published, then retires it', async () => {
      const oldToken = await idToken(a, rpA);
      const oldKid = kidOf(oldToken);
      assert.equal(kidOf(await idToken(b, rpB)), oldKid);

      const env = cliEnvironment(a.database, cliDataDir, { IDP_SECRET_KEY: a.config.secretKey, IDP_KEY_REFRESH_SECONDS: String(REFRESH_SECONDS) });
      const rotation = await idpJson(env, ['keys', 'rotate', '--delay-seconds', String(DELAY_SECONDS)]);
      const [newKid] = rotation.kids as string[]; // RS256 first, the clients' ID token algorithm
      const signsFrom = Date.parse(rotation.signs_from as string);
      assert.ok((rotation.retiring as string[]).includes(oldKid));

      // published by both running instances without a restart, before it signs
      await until('both instances publish the new key', async () => (await publishedKids(a)).includes(newKid!) && (await publishedKids(b)).includes(newKid!), (REFRESH_SECONDS + 2) * 1000);
      const during = [await idToken(a, rpA), await idToken(b, rpB)];
      assert.ok(Date.now() < signsFrom, `the checks before the switch ran within the ${DELAY_SECONDS} s delay (machine too slow to tell)`);
      for (const token of during) assert.equal(kidOf(token), oldKid, 'still signed with the old key during the delay');

      // relying parties re-read the JWKS within the delay (openid-client keeps it 30 s and
      // looks again only after that: the production delay must exceed RPs' cache time)
      rpA = await relyingParty(a.url, client);
      rpB = await relyingParty(a.url, client);
      oidc.enableNonRepudiationChecks(rpA);
      oidc.enableNonRepudiationChecks(rpB);
      // after the delay and one refresh both instances sign with the new key
      await sleep(Math.max(0, signsFrom - Date.now()) + REFRESH_SECONDS * 1000 + 500);
      assert.equal(kidOf(await idToken(a, rpA)), newKid);
      assert.equal(kidOf(await idToken(b, rpB)), newKid);
      for (const server of [a, b]) {
        const kids = await publishedKids(server);
        assert.ok(kids.includes(oldKid), 'the old key stays published while tokens it signed are valid');
        assert.ok(kids.includes(newKid!));
      }
      // a token the old key signed before the rotation still verifies against the JWKS
      const jwks = jose.createRemoteJWKSet(new URL(`${b.url}/jwks`));
      const verified = await jose.jwtVerify(oldToken, jwks, { issuer: a.config.issuer, audience: client.clientId });
      assert.equal(verified.protectedHeader.kid, oldKid);

      // the retirement time reached (set to now instead of waiting an hour): the old key leaves the JWKS
      await a.services.knex('keys').whereIn('kid', rotation.retiring as string[]).update({ retire_after: Date.now() });
      await until('both instances stop publishing the old key', async () => !(await publishedKids(a)).includes(oldKid) && !(await publishedKids(b)).includes(oldKid), (REFRESH_SECONDS + 2) * 1000);
      await assert.rejects(jose.jwtVerify(oldToken, jose.createRemoteJWKSet(new URL(`${a.url}/jwks`)), { issuer: a.config.issuer, audience: client.clientId }));
      assert.equal(kidOf(await idToken(a, rpA)), newKid);
    });
  });
}
