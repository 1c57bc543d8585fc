import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { assertLockedAcrossInstances, passwordAttempt, relyingParty, signIn, tokenRequest } from '../helpers/rp.js';
import { createTestDatabase, engines, startTestServer, type TestServer } from '../helpers/server.js';

const ACCOUNT_FAILURES = 4;

/** Two instances on different ports sharing one database, the same issuer and the same secret key. */
async function twoInstances(engine: 'sqlite' | 'postgres', env: Record<string, string> = {}): Promise<[TestServer, TestServer]> {
  const a = await startTestServer({ engine, env });
  const b = await startTestServer({ database: a.database, env: { ...env, IDP_ISSUER: a.config.issuer }, secretKey: a.config.secretKey });
  return [a, b];
}

for (const engine of engines()) {
  describe(`scale-out: two instances share one database (${engine})`, () => {
    let a: TestServer;
    let b: TestServer;
    let client: FixtureClient;
    let alice: FixtureUser;
    let config: oidc.Configuration;

    before(async () => {
      [a, b] = await twoInstances(engine, { IDP_THROTTLE_ACCOUNT_FAILURES: String(ACCOUNT_FAILURES), IDP_THROTTLE_BASE_DELAY_SECONDS: '60' });
      const org = await createOrg(a.services, 'ACME');
      alice = await createUser(a.services, org, { username: 'alice' });
      client = await createClient(a.services, { orgId: org.id });
      config = await relyingParty(a.url, client);
    });
    after(async () => {
      await b.stop();
      await a.stop({ dropDatabase: true });
    });

    const attempt = (server: TestServer, password: string) =>
      passwordAttempt(server.url, config, client, { orgCode: 'ACME', username: 'alice', password });

    it('counts failures and locks an account across instances', async () => {
      await assertLockedAcrossInstances(attempt, a, b, alice.password);
      await a.services.knex('throttles').delete();
      assert.equal(await attempt(b, alice.password), 'signed-in');
    });

    it('serves tokens issued by one instance on the other: userinfo, introspection, refresh with rotation and replay detection', async () => {
      await a.services.knex('throttles').delete();
      const { tokens } = await signIn(a.url, config, client, alice, { scope: 'openid profile offline_access' });
      const me = await fetch(`${b.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(me.status, 200);
      assert.equal(((await me.json()) as { sub: string }).sub, alice.id);
      const seen = await tokenRequest(b, client, { token: tokens.access_token }, '/token/introspection');
      assert.equal(seen.body.active, true);

      const first = await tokenRequest(b, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.notEqual(first.body.refresh_token, tokens.refresh_token, 'rotated');
      // the rotated-away token replayed on the first instance is refused, and revokes the grant
      const replay = await tokenRequest(a, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      const after = await tokenRequest(b, client, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string });
      assert.equal(after.status, 400, 'the replay revoked the whole grant, on every instance');
    });
  });
}

if (engines().includes('postgres')) {
  describe('scale-out: instances starting together on an empty PostgreSQL database', () => {
    it('migrate once under a lock; every instance starts', async () => {
      const database = await createTestDatabase('postgres');
      const servers = await Promise.all([1, 2, 3].map(() => startTestServer({ database })));
      try {
        const rows = await servers[0]!.services.knex('knex_migrations').select('name');
        const names = rows.map((r) => r.name as string);
        assert.equal(new Set(names).size, names.length, 'each migration applied once');
        for (const s of servers) assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
        await database.drop();
      }
    });
  });
}
