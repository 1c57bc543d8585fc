import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';
import { extractLink, startSmtpSink, type SmtpSink } from '../helpers/smtp.js';
import { addAdminClient, api, clientToken, type JsonBody, snapshot } from './helpers.js';

for (const engine of engines()) {
  describe(`admin API (${engine})`, () => {
    let server: TestServer;
    let sink: SmtpSink;
    let token: string;
    let clientId: string;
    let orgId: string;
    let alice: FixtureUser;

    before(async () => {
      sink = await startSmtpSink();
      server = await startTestServer({ engine, env: { IDP_SMTP_URL: sink.url } });
      const org = await createOrg(server.services, 'ACME', { passwordMinLength: 10 });
      orgId = org.id;
      alice = await createUser(server.services, org, { username: 'alice', name: 'Alice Liddell', locale: 'en' });
      await createUser(server.services, org, { username: 'bob', email: 'bob@bobs.example' });
      const client = await addAdminClient(server, { org: 'ACME' });
      clientId = client.client_id;
      token = await clientToken(server, client);
    });
    after(async () => {
      await server.stop({ dropDatabase: true });
      await sink.stop();
    });

    it('serves the OpenAPI document without a token', async () => {
      const res = await api(server, undefined, 'GET', '/openapi.json');
      assert.equal(res.status, 200);
      assert.equal(res.body.openapi, '3.1.0');
      assert.equal(res.body.servers[0].url, `${server.url}/admin/api/v1`);
    });

    it('refuses calls without a valid admin token (401/403 with WWW-Authenticate)', async () => {
      const none = await api(server, undefined, 'GET', '/orgs/ACME');
      assert.equal(none.status, 401);
      assert.equal(none.body.error, 'invalid_token');
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
      assert.equal((await api(server, 'x'.repeat(43), 'GET', '/orgs/ACME')).status, 401, 'unknown token');
      const basic = await api(server, undefined, 'GET', '/orgs/ACME', undefined, { authorization: 'Basic Zm9vOmJhcg==' });
      assert.equal(basic.status, 401);

      // an admin client's token without the scope
      const adminClient = await addAdminClient(server, { org: 'ACME' });
      const unscoped = await clientToken(server, adminClient, '');
      const res = await api(server, unscoped, 'GET', '/orgs/ACME');
      assert.equal(res.status, 403);
      assert.equal(res.body.error, 'insufficient_scope');

      // a client-credentials client the operator did not make an admin client: oidc-provider
      // issues any scope to it, the API still refuses
      const plain = await addAdminClient(server, { org: 'ACME', adminApi: false });
      const plainToken = await clientToken(server, plain);
      assert.equal((await api(server, plainToken, 'GET', '/orgs/ACME')).status, 403);

      // a user's access token (not client credentials) is not an admin token either: a
      // removed client's tokens stop at once
      const gone = await addAdminClient(server, { org: 'ACME' });
      const goneToken = await clientToken(server, gone);
      assert.equal((await api(server, goneToken, 'GET', '/orgs/ACME')).status, 200);
      await server.services.repos.clients.remove(gone.client_id);
      assert.equal((await api(server, goneToken, 'GET', '/orgs/ACME')).status, 401);
    });

    it('lists and searches users, page by page', async () => {
      const all = await api(server, token, 'GET', '/orgs/ACME/users');
      assert.equal(all.status, 200);
      assert.deepEqual(
        all.body.users.map((u: { username: string }) => u.username),
        ['alice', 'bob'],
      );
      assert.equal(all.body.total, 2);
      assert.equal(all.body.users[0].password_hash, undefined);
      const byName = await api(server, token, 'GET', '/orgs/ACME/users?q=liddell');
      assert.deepEqual(byName.body.users.map((u: { username: string }) => u.username), ['alice']);
      const byMail = await api(server, token, 'GET', '/orgs/ACME/users?q=BOBS.EXAMPLE');
      assert.deepEqual(byMail.body.users.map((u: { username: string }) => u.username), ['bob']);
      const wildcard = await api(server, token, 'GET', `/orgs/ACME/users?q=${encodeURIComponent('%')}`);
      assert.equal(wildcard.body.total, 0, '% is a literal, not a wildcard');
      const page2 = await api(server, token, 'GET', '/orgs/ACME/users?limit=1&offset=1');
      assert.deepEqual(page2.body.users.map((u: { username: string }) => u.username), ['bob']);
      assert.equal(page2.body.total, 2);
    });

    it('creates a user with the organisation password policy, audited with the client as actor', async () => {
      const short = await api(server, token, 'POST', '/orgs/ACME/users', { username: 'carol', password: 'short' });
      assert.equal(short.status, 400);
      assert.equal(short.body.field, 'password');
      const res = await api(server, token, 'POST', '/orgs/ACME/users', {
        username: 'carol',
        password: 'correct horse battery',
        email: 'carol@example.com',
        role: 'admin',
        must_change_password: true,
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.user.username, 'carol');
      assert.equal(res.body.user.role, 'admin');
      assert.equal(res.body.user.must_change_password, true);
      const again = await api(server, token, 'POST', '/orgs/ACME/users', { username: 'CAROL', password: 'correct horse battery' });
      assert.equal(again.status, 409);
      const [event] = await server.services.repos.audit.list({ type: 'user.created', userId: res.body.user.id });
      assert.equal(event?.actor, `client:${clientId}`);
      assert.equal(event?.clientId, clientId);
      assert.equal(event?.orgId, orgId);
    });

    it('disables and enables, forces a password change, unlocks', async () => {
      const disabled = await api(server, token, 'POST', `/orgs/ACME/users/${alice.id}/disable`);
      assert.equal(disabled.status, 200);
      assert.equal(disabled.body.user.disabled, true);
      assert.equal((await server.services.repos.users.findById(alice.id))!.disabled, true);
      const enabled = await api(server, token, 'POST', `/orgs/ACME/users/${alice.id}/enable`, {});
      assert.equal(enabled.body.user.disabled, false);

      const forced = await api(server, token, 'POST', `/orgs/ACME/users/${alice.id}/force-password-change`);
      assert.equal(forced.body.user.must_change_password, true);
      assert.equal((await server.services.repos.users.findById(alice.id))!.mustChangePassword, true);

      for (let i = 0; i < 6; i++) await server.services.throttle.fail([`pwd:acct:ACME:alice`]);
      const unlocked = await api(server, token, 'POST', `/orgs/ACME/users/${alice.id}/unlock`);
      assert.equal(unlocked.status, 200);
      assert.equal(unlocked.body.unlocked.was_locked, true);
      assert.equal((await server.services.repos.throttles.get(['pwd:acct:ACME:alice'])).length, 0);

      const types = (await server.services.repos.audit.list({ userId: alice.id })).filter((e) => e.actor === `client:${clientId}`).map((e) => e.type);
      for (const t of ['user.disabled', 'user.enabled', 'password.change_forced', 'account.unlocked']) assert.ok(types.includes(t), `${t} audited`);
    });

    it('sets the 2FA email: the confirmation link goes to that address and confirms it', async () => {
      const res = await api(server, token, 'PUT', `/orgs/ACME/users/${alice.id}/2fa-email`, { email: 'alice.2fa@example.com' });
      assert.equal(res.status, 202);
      const mail = await sink.waitFor((m) => [m.to].flat().some((a) => a?.text === 'alice.2fa@example.com'));
      const factor = await server.services.secondFactors.emailFactor((await server.services.repos.users.findById(alice.id))!, { confirmed: false });
      assert.equal(factor?.email, 'alice.2fa@example.com', 'provisional until confirmed');
      const link = extractLink(mail);
      assert.ok(link.startsWith(`${server.url}/verify-email/`));
      const page = await fetch(link);
      assert.equal(page.status, 200);
      const confirmed = await server.services.secondFactors.emailFactor((await server.services.repos.users.findById(alice.id))!, { confirmed: true });
      assert.equal(confirmed?.email, 'alice.2fa@example.com');
      // another address: provisional while the confirmed one keeps working
      const other = await api(server, token, 'PUT', `/orgs/ACME/users/${alice.id}/2fa-email`, { email: 'other@example.com' });
      assert.equal(other.status, 202);
      // a third request straight away waits for the resend cooldown and changes nothing
      const soon = await api(server, token, 'PUT', `/orgs/ACME/users/${alice.id}/2fa-email`, { email: 'third@example.com' });
      assert.equal(soon.status, 429);
      assert.equal(soon.body.field, 'email');
      const pending = await server.services.secondFactors.emailFactor((await server.services.repos.users.findById(alice.id))!, { confirmed: false });
      assert.equal(pending?.email, 'other@example.com');
      const [event] = await server.services.repos.audit.list({ type: 'mfa.email_set_by_admin', userId: alice.id });
      assert.equal(event?.actor, `client:${clientId}`);
    });

    it('resets MFA', async () => {
      const res = await api(server, token, 'POST', `/orgs/ACME/users/${alice.id}/reset-mfa`);
      assert.equal(res.status, 200);
      assert.equal(res.body.mfa_reset.factors_removed, 2, 'the confirmed and the provisional address');
      assert.equal((await server.services.secondFactors.confirmedFactors(alice.id)).length, 0);
      const [event] = await server.services.repos.audit.list({ type: 'mfa.reset', userId: alice.id });
      assert.equal(event?.actor, `client:${clientId}`);
    });

    it('reads and changes the policy; a bad value changes nothing', async () => {
      const got = await api(server, token, 'GET', '/orgs/ACME');
      assert.equal(got.body.org.settings.password_min_length, 10);
      const changed = await api(server, token, 'PATCH', '/orgs/ACME/policy', { mfa: 'required', methods: ['totp', 'email'], system_title: 'Acme 安否' });
      assert.equal(changed.status, 200);
      assert.equal(changed.body.org.settings.mfa, 'required');
      assert.equal(changed.body.org.settings.password_min_length, 10, 'untouched settings keep their values');
      const before = await snapshot(server, orgId);
      for (const bad of [{ mfa: 'sometimes' }, { methods: [] }, { totp_period: 45 }, { remember_hours: '8' }, { nonsense: 1 }, { wrong_code_limit: 1.5 }]) {
        const res = await api(server, token, 'PATCH', '/orgs/ACME/policy', bad);
        assert.equal(res.status, 400, JSON.stringify(bad));
        assert.ok(res.body.field, 'names the field');
      }
      assert.equal(await snapshot(server, orgId), before);
      const removeTitle = await api(server, token, 'PATCH', '/orgs/ACME/policy', { system_title: null });
      assert.equal(removeTitle.body.org.settings.system_title, undefined);
    });

    it('queries the audit log by user, type and time, page by page', async () => {
      const all = await api(server, token, 'GET', '/orgs/ACME/audit?limit=500');
      assert.equal(all.status, 200);
      assert.ok(all.body.events.length >= 8);
      assert.ok(all.body.events.every((e: { id: number }, i: number, a: { id: number }[]) => i === 0 || a[i - 1]!.id > e.id), 'newest first');
      const forAlice = await api(server, token, 'GET', `/orgs/ACME/audit?user=${alice.id}`);
      assert.ok(forAlice.body.events.length > 0);
      assert.ok(forAlice.body.events.every((e: { user_id: string; username: string }) => e.user_id === alice.id && e.username === 'alice'));
      const disabled = await api(server, token, 'GET', '/orgs/ACME/audit?type=user.disabled');
      assert.deepEqual(
        disabled.body.events.map((e: { type: string; actor: string }) => [e.type, e.actor]),
        [['user.disabled', `client:${clientId}`]],
      );
      const future = await api(server, token, 'GET', `/orgs/ACME/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
      assert.deepEqual(future.body.events, []);
      const past = await api(server, token, 'GET', '/orgs/ACME/audit?to=2000-01-01');
      assert.deepEqual(past.body.events, []);

      const seen: number[] = [];
      let next: number | null = null;
      do {
        const page: { body: JsonBody } = await api(server, token, 'GET', `/orgs/ACME/audit?limit=3${next ? `&before=${next}` : ''}`);
        assert.ok(page.body.events.length <= 3);
        seen.push(...page.body.events.map((e: { id: number }) => e.id));
        next = page.body.next;
      } while (next !== null);
      assert.deepEqual(seen, all.body.events.map((e: { id: number }) => e.id), 'pages cover every event once');
    });

    it('answers bad input on every route with 4xx and changes nothing', async () => {
      const before = await snapshot(server, orgId);
      const u = `/orgs/ACME/users/${alice.id}`;
      const cases: [string, string, unknown, number][] = [
        ['POST', '/orgs/ACME/users', { username: 'dave' }, 400],
        ['POST', '/orgs/ACME/users', { username: 'dave', password: 12345678901 }, 400],
        ['POST', '/orgs/ACME/users', { username: 'da ve', password: 'correct horse battery' }, 400],
        ['POST', '/orgs/ACME/users', { username: 'dave', password: 'correct horse battery', role: 'root' }, 400],
        ['POST', '/orgs/ACME/users', { username: 'dave', password: 'correct horse battery', email: 'nope' }, 400],
        ['POST', '/orgs/ACME/users', { username: 'dave', password: 'correct horse battery', extra: true }, 400],
        ['POST', '/orgs/ACME/users', { username: 'x'.repeat(129), password: 'correct horse battery' }, 400],
        ['POST', '/orgs/ACME/users', { username: 'dave', password: 'p'.repeat(20_000) }, 413],
        ['POST', '/orgs/ACME/users', '{"username": "dave",', 400],
        ['POST', '/orgs/ACME/users', '[1,2]', 400],
        ['POST', '/orgs/ACME/users', 'null', 400],
        ['PUT', `${u}/2fa-email`, { email: 'not-an-address' }, 400],
        ['PUT', `${u}/2fa-email`, { email: ['a@example.com'] }, 400],
        ['PUT', `${u}/2fa-email`, {}, 400],
        ['POST', `${u}/disable`, { now: true }, 400],
        ['POST', `${u}/reset-mfa`, { all: 1 }, 400],
        ['POST', `${u}/unlock`, 'x', 400],
        ['PATCH', '/orgs/ACME/policy', { session_idle_minutes: 0 }, 400],
        ['PATCH', '/orgs/ACME/policy', { password_min_length: 'ten' }, 400],
        ['GET', '/orgs/ACME/users?limit=0', undefined, 400],
        ['GET', '/orgs/ACME/users?limit=abc', undefined, 400],
        ['GET', '/orgs/ACME/users?q=a&q=b', undefined, 400],
        ['GET', `/orgs/ACME/users?q=${'a'.repeat(101)}`, undefined, 400],
        ['GET', '/orgs/ACME/users?sort=name', undefined, 400],
        ['GET', '/orgs/ACME/audit?from=yesterday', undefined, 400],
        ['GET', '/orgs/ACME/audit?from=2025-02-01&to=2025-01-01', undefined, 400],
        ['GET', '/orgs/ACME/audit?limit=501', undefined, 400],
        ['GET', '/orgs/ACME/audit?type=DROP%20TABLE', undefined, 400],
        ['GET', '/orgs/ACME/audit?user=unknown-user-id', undefined, 404],
        ['GET', '/orgs/ACME/users/unknown-user-id', undefined, 404],
        ['GET', `/orgs/ACME/users/${'%27%3B--'}`, undefined, 400],
        ['POST', '/orgs/ACME/users/unknown-user-id/disable', undefined, 404],
        ['GET', '/orgs/NOPE/users', undefined, 404],
        ['GET', '/orgs/bad%20code/users', undefined, 404],
        ['GET', '/orgs/ACME/nothing-here', undefined, 404],
        ['DELETE', `${u}`, undefined, 405],
        ['GET', `${u}/disable`, undefined, 405],
      ];
      for (const [method, path, body, status] of cases) {
        const res = await api(server, token, method, path, body);
        assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 60)} → ${JSON.stringify(res.body)}`);
        assert.equal(typeof res.body.error, 'string', `${method} ${path}: JSON error`);
      }
      const wrongType = await api(server, token, 'POST', '/orgs/ACME/users', 'username=dave', { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(wrongType.status, 415);
      assert.equal(await snapshot(server, orgId), before);
    });
  });
}
