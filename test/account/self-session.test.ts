/**
 * The account pages sign in through the provider itself (internal client, code + PKCE
 * redeemed in-process) and keep a sealed cookie tied to the provider's Session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_CLIENT_ID } from '../../src/account/internal-client.js';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { newSession, openAccount, postAccount, signInToAccount } from '../helpers/account.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

for (const engine of engines()) {
  describe(`account sign-in through the provider (${engine})`, () => {
    let server: TestServer;
    let alice: FixtureUser;

    before(async () => {
      server = await startTestServer({ engine });
      const org = await createOrg(server.services, 'ACME');
      await createOrg(server.services, 'OTHER');
      alice = await createUser(server.services, org, { username: 'alice', name: 'Alice' });
    });
    after(() => server.stop({ dropDatabase: true }));

    it('sends an anonymous visitor to the sign-in page of the internal client, then shows the account', async () => {
      const session = newSession(server.url);
      const first = await session.get(`${server.url}/account?x=1`);
      assert.equal(first.status, 302);
      assert.match(first.headers.get('location')!, /^\/account\/login\?return=%2Faccount%3Fx%3D1$/);
      const page = await signInToAccount(session, alice, { path: '/account?x=1' });
      assert.equal(new URL(page.url).pathname, '/account');
      assert.match(page.html, /Signed in as alice \(ACME\)/);
      const cookie = session.cookie('idp_account')!;
      assert.ok(cookie && !cookie.includes(alice.id), 'the account cookie is sealed');
      const events = await server.services.repos.audit.list({ userId: alice.id, type: 'login.succeeded' });
      assert.equal(events[0]?.clientId, ACCOUNT_CLIENT_ID);
    });

    it('sets the account cookie HttpOnly and SameSite=Lax', async () => {
      const session = newSession(server.url);
      const login = await session.get(`${server.url}/account/login`);
      const pending = login.headers.getSetCookie().find((c) => c.startsWith('idp_account_pending='))!;
      assert.match(pending, /httponly/i);
      assert.match(pending, /samesite=lax/i);
      const auth = new URL(login.headers.get('location')!);
      assert.equal(auth.searchParams.get('client_id'), ACCOUNT_CLIENT_ID);
      assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    });

    it('ends with the sign-in session: logout, or the Session deleted, signs the account out', async () => {
      const session = newSession(server.url);
      const page = await signInToAccount(session, alice);
      const out = await postAccount(session, page, '/account/logout');
      assert.match(out.url, /\/session\/end/);
      assert.equal(session.cookie('idp_account'), undefined);

      const again = newSession(server.url);
      await signInToAccount(again, alice);
      assert.equal((await again.get(`${server.url}/account`)).status, 200);
      await server.services.knex('oidc_payloads').where({ type: 'Session', account_id: alice.id }).delete();
      const ended = await again.get(`${server.url}/account`);
      assert.equal(ended.status, 302);
      assert.match(ended.headers.get('location')!, /^\/account\/login/);
    });

    it('refuses a tampered cookie, a replayed callback and a callback without its state', async () => {
      const session = newSession(server.url);
      session.setCookie('idp_account', 'v1.AAAA' + 'B'.repeat(80));
      assert.equal((await session.get(`${server.url}/account`)).status, 302);

      const s2 = newSession(server.url);
      const start = await openAccount(s2, '/account');
      const login = await s2.post(new URL(/action="([^"]+)"/.exec(start.html)![1]!, start.url).toString(), {
        csrf: /name="csrf" value="([^"]+)"/.exec(start.html)![1]!,
        org: 'ACME',
        username: 'alice',
        password: alice.password,
      });
      // follow by hand up to the callback, keep its URL
      let res = login;
      let callback = '';
      for (let i = 0; i < 5 && res.status >= 300 && res.status < 400; i++) {
        const to = new URL(res.headers.get('location')!, server.url).toString();
        if (to.includes('/account/callback')) {
          callback = to;
          break;
        }
        res = await s2.get(to);
      }
      assert.ok(callback, 'reached the callback');
      const pending = s2.cookie('idp_account_pending')!;
      const ok = await s2.get(callback);
      assert.equal(ok.status, 303);
      // the same code again, even with the pending cookie restored, is refused
      s2.setCookie('idp_account_pending', pending);
      const replay = await s2.get(callback);
      assert.equal(replay.status, 400);
      // no pending cookie at all
      const s3 = newSession(server.url);
      assert.equal((await s3.get(callback)).status, 400);
      assert.equal((await s3.get(`${server.url}/account/callback?code=${'x'.repeat(5000)}&state=y`)).status, 400);
    });

    it('never returns to another site after sign-in', async () => {
      const session = newSession(server.url);
      for (const target of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
        const res = await session.get(`${server.url}/account/login?return=${encodeURIComponent(target)}`);
        assert.equal(res.status, 302);
      }
      const page = await signInToAccount(session, alice, { path: '/account/login?return=%2F%2Fevil.example%2F' });
      assert.equal(new URL(page.url).origin, server.url);
    });

    it('hides the internal client from the operator', async () => {
      const stored = await server.services.repos.clients.find(ACCOUNT_CLIENT_ID);
      assert.ok(stored?.firstParty);
      assert.deepEqual(stored.metadata.redirect_uris, [`${server.config.issuer}/account/callback`]);
    });
  });
}
