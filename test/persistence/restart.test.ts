import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { connect } from '../../src/db/connect.js';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/server.js';
import { HttpSession } from '../helpers/http-session.js';
import { relyingParty, signIn, signInSilently } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

const jwksKids = async (url: string): Promise<string[]> => {
  const res = await fetch(`${url}/jwks`);
  assert.equal(res.status, 200);
  const { keys } = (await res.json()) as { keys: { kid: string }[] };
  return keys.map((k) => k.kid).sort();
};

for (const engine of engines()) {
  describe(`a restart keeps users, clients, keys and sessions (${engine})`, () => {
    let first: TestServer | undefined;
    let second: TestServer | undefined;
    let client: FixtureClient;
    let user: FixtureUser;
    let port: number;
    let kidsBefore: string[];
    let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    let browser: HttpSession;
    let config: oidc.Configuration;
    let startupError: unknown;

    before(async () => {
      first = await startTestServer({ engine });
      port = Number(new URL(first.url).port);
      const org = await createOrg(first.services, 'RESTART');
      user = await createUser(first.services, org, { username: 'rita', name: 'Rita Restart' });
      client = await createClient(first.services, { orgId: org.id, grantTypes: ['authorization_code', 'refresh_token'] });
      const firstConfig = await relyingParty(first.url, client);
      ({ tokens, session: browser } = await signIn(first.url, firstConfig, client, user));
      assert.ok(tokens.refresh_token, 'a refresh token is issued before the restart');
      kidsBefore = await jwksKids(first.url);
      assert.ok(kidsBefore.length >= 3);

      await first.stop();
      // fetch keeps idle keep-alive sockets to the first server. Their close (FIN) is only read
      // when the event loop polls I/O, and a SQLite start-up never gets there (better-sqlite3 is
      // synchronous): without this pause the first request to the new server reuses a dead
      // socket and fails with "other side closed".
      await new Promise((resolve) => setTimeout(resolve, 100));
      second = await startTestServer({ database: first.database, port });
      assert.equal(second.url, first.url, 'the new server has the same issuer');
      config = await relyingParty(second.url, client);
    });
    after(async () => {
      if (second) await second.stop({ dropDatabase: true });
      else await first?.database.drop();
    });

    it('serves the same signing keys (JWKS kids), and pre-restart ID tokens verify', async () => {
      assert.deepEqual(await jwksKids(second!.url), kidsBefore);
      const jwks = jose.createRemoteJWKSet(new URL(`${second!.url}/jwks`));
      const { payload } = await jose.jwtVerify(tokens.id_token!, jwks, { issuer: second!.url, audience: client.clientId });
      assert.equal(payload.sub, user.id);
    });

    it('still introspects the old access token as active', async () => {
      const info = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(info.active, true);
      assert.equal(info.sub, user.id);
      assert.equal(info.client_id, client.clientId);
    });

    it('accepts the refresh token issued before the restart', async () => {
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      assert.ok(refreshed.access_token);
      assert.equal(refreshed.claims()?.sub, user.id);
      const info = await oidc.tokenIntrospection(config, refreshed.access_token);
      assert.equal(info.active, true);
    });

    it('keeps the browser session: the old cookies get a code without a password', async () => {
      // the session cookie was signed with the cookie keys of the first server: it only
      // validates if those keys came back from the database
      const again = await signInSilently(browser, config, client);
      assert.equal(again.claims()?.sub, user.id);
    });

    it('lets the user sign in again with the password', async () => {
      const { tokens: fresh } = await signIn(second!.url, config, client, user, {}, new HttpSession(second!.url));
      assert.equal(fresh.claims()?.sub, user.id);
      assert.deepEqual(fresh.claims()?.amr, ['pwd']);
    });

    it('refuses to start with a different IDP_SECRET_KEY on the same database', async (t) => {
      // startServer is called with our own knex: when start-up fails it does not destroy a
      // pool it opened itself, which would keep this test process alive (see the report).
      const knex = connect(second!.database.url);
      try {
        await assert.rejects(
          startServer({ ...second!.config, port: 0, secretKey: 'a-completely-different-secret-key-9876543210' }, createLogger('silent'), { knex }),
          (err: unknown) => {
            startupError = err;
            return err instanceof Error;
          },
        );
      } finally {
        await knex.destroy();
      }
      t.diagnostic(`start-up error with the wrong IDP_SECRET_KEY: ${(startupError as Error).message}`);
      // the running server is unaffected
      assert.deepEqual(await jwksKids(second!.url), kidsBefore);
    });

    it('says which setting is wrong when IDP_SECRET_KEY does not decrypt the stored keys', () => {
      assert.match((startupError as Error | undefined)?.message ?? '', /^IDP_SECRET_KEY cannot decrypt the stored keys/);
    });
  });
}
