import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { accountKey } from '../../src/auth/throttle.js';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession } from '../helpers/http-session.js';
import { openSignIn, relyingParty, startAuthorization, submitPassword } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

const ACCOUNT_FAILURES = 3;
const ADDRESS_FAILURES = 8;

for (const engine of engines()) {
  describe(`password guessing is throttled per account and per address (${engine})`, () => {
    let server: TestServer;
    let client: FixtureClient;
    let alice: FixtureUser;
    let bob: FixtureUser;
    let config: oidc.Configuration;

    before(async () => {
      server = await startTestServer({
        engine,
        env: {
          IDP_THROTTLE_ACCOUNT_FAILURES: String(ACCOUNT_FAILURES),
          IDP_THROTTLE_ADDRESS_FAILURES: String(ADDRESS_FAILURES),
          IDP_THROTTLE_BASE_DELAY_SECONDS: '1',
          IDP_THROTTLE_MAX_DELAY_SECONDS: '600',
        },
      });
      const org = await createOrg(server.services, 'ACME');
      alice = await createUser(server.services, org, { username: 'alice' });
      bob = await createUser(server.services, org, { username: 'bob' });
      client = await createClient(server.services, { orgId: org.id });
      config = await relyingParty(server.url, client);
    });
    after(() => server.stop({ dropDatabase: true }));

    async function attempt(username: string, password: string, headers: Record<string, string> = {}) {
      const session = new HttpSession(server.url, { 'accept-language': 'en', ...headers });
      const page = await openSignIn(session, await startAuthorization(config, client));
      const { res, url } = await submitPassword(session, page, { orgCode: 'ACME', username, password }, client.redirectUri);
      const text = url.startsWith(client.redirectUri) ? '' : await res.text();
      const message = /role="alert"[^>]*>([^<]+)</.exec(text)?.[1] ?? '';
      return { status: url.startsWith(client.redirectUri) ? 'signed-in' : res.status, message, retryAfter: res.headers.get('retry-after') };
    }

    const clearAll = () => server.services.knex('throttles').delete();

    it('locks an account after the configured failures, even for the right password, with growing delays', async () => {
      await clearAll();
      for (let i = 0; i < ACCOUNT_FAILURES - 1; i++) assert.equal((await attempt('alice', 'wrong')).status, 401);
      const locking = await attempt('alice', 'wrong');
      assert.equal(locking.status, 429);
      assert.match(locking.message, /Too many failed attempts\. Please try again after \d\d:\d\d/);
      assert.ok(Number(locking.retryAfter) >= 1);
      const refused = await attempt('alice', alice.password);
      assert.equal(refused.status, 429, 'the right password does not get through a lock');

      const key = accountKey('ACME', 'alice');
      const [first] = await server.services.repos.throttles.get([key]);
      const firstLock = first!.lockedUntil! - first!.lastFailureAt;
      await new Promise((r) => setTimeout(r, firstLock + 100));
      assert.equal((await attempt('alice', 'wrong')).status, 429, 'another failure after the lock locks again');
      const [second] = await server.services.repos.throttles.get([key]);
      assert.ok(second!.lockedUntil! - second!.lastFailureAt > firstLock, 'the next lock is longer');

      // another account from the same address is not affected
      assert.equal((await attempt('bob', bob.password)).status, 'signed-in');
    });

    it('answers an unknown account exactly like a real one', async () => {
      await clearAll();
      const real: string[] = [];
      const ghost: string[] = [];
      for (let i = 0; i < ACCOUNT_FAILURES + 1; i++) {
        const a = await attempt('alice', 'wrong');
        const g = await attempt('ghost', 'wrong');
        real.push(`${a.status} ${a.message.replace(/\d\d:\d\d/, 'HH:MM')}`);
        ghost.push(`${g.status} ${g.message.replace(/\d\d:\d\d/, 'HH:MM')}`);
      }
      assert.deepEqual(ghost, real);
      assert.equal(real[0], '401 The organisation code, user ID or password is incorrect.');
    });

    it('a success forgives the account\'s earlier failures', async () => {
      await clearAll();
      for (let i = 0; i < ACCOUNT_FAILURES - 1; i++) await attempt('bob', 'wrong');
      assert.equal((await attempt('bob', bob.password)).status, 'signed-in');
      for (let i = 0; i < ACCOUNT_FAILURES - 1; i++) assert.equal((await attempt('bob', 'wrong')).status, 401);
    });

    it('locks an address that sprays many accounts, and X-Forwarded-For does not get around it', async () => {
      await clearAll();
      for (let i = 0; i < ADDRESS_FAILURES - 1; i++) {
        const r = await attempt(`user${i}`, 'wrong', { 'x-forwarded-for': `10.0.0.${i}` });
        assert.equal(r.status, 401);
      }
      assert.equal((await attempt('someone', 'wrong', { 'x-forwarded-for': '10.9.9.9' })).status, 429);
      assert.equal((await attempt('bob', bob.password, { 'x-forwarded-for': '10.9.9.8' })).status, 429);
    });

    it('audits failures and locks', async () => {
      const failed = await server.services.repos.audit.list({ type: 'login.failed' });
      const locked = await server.services.repos.audit.list({ type: 'login.locked' });
      assert.ok(failed.some((e) => e.details?.reason === 'unknown_user'));
      assert.ok(failed.some((e) => e.details?.reason === 'wrong_password' && e.userId === alice.id));
      assert.ok(locked.length > 0);
      assert.ok(failed.every((e) => e.ip && !JSON.stringify(e.details).includes('wrong"')), 'no password in the audit');
    });
  });
}
