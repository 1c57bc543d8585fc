/**
 * "Forgot password" over HTTP with mails read from a real SMTP server: the same answer
 * for every account, a single-use expiring link, sessions and remembered browsers ended,
 * MFA kept by default and reset where the organisation asks (seed 002); throttled.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { User } from '../../src/model.js';
import { newSession, signInToAccount } from '../helpers/account.js';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { formField, type HttpSession } from '../helpers/http-session.js';
import { totpCode } from '../helpers/mfa.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.js';

for (const engine of engines()) {
  describe(`forgot password (${engine})`, () => {
    let server: TestServer;
    let sink: SmtpSink;
    let alice: FixtureUser;
    let zoe: FixtureUser;

    before(async () => {
      sink = await startSmtpSink();
      server = await startTestServer({ engine, env: { IDP_SMTP_URL: sink.url } });
      const org = await createOrg(server.services, 'ACME', { mfa: 'optional', systemTitle: 'Acme Portal' });
      const strict = await createOrg(server.services, 'STRICT', { mfa: 'optional', resetMfaOnPasswordReset: true });
      alice = await createUser(server.services, org, { username: 'alice', email: 'alice@example.com', locale: 'en' });
      zoe = await createUser(server.services, strict, { username: 'zoe', email: 'zoe@example.com', locale: 'ja' });
    });
    after(async () => {
      await server.stop({ dropDatabase: true });
      await sink.stop();
    });

    async function ask(session: HttpSession, org: string, username: string) {
      const form = await session.get(`${server.url}/forgot-password`);
      const csrf = formField(await form.text(), 'csrf')!;
      const res = await session.post(`${server.url}/forgot-password`, { csrf, org, username });
      return { status: res.status, html: await res.text() };
    }

    const linkIn = (text: string) => /(http:\/\/localhost:\d+\/reset-password\/[\w-]+)/.exec(text)?.[1];

    async function addTotp(u: FixtureUser) {
      const user = (await server.services.repos.users.findById(u.id)) as User;
      const org = (await server.services.repos.orgs.findById(u.orgId))!;
      const started = await server.services.secondFactors.startTotp(user, org);
      const secret = started.secret.replace(/\s+/g, '');
      assert.ok((await server.services.secondFactors.confirmTotp(user, started.factorId, totpCode(secret), 'Phone')).ok);
      return secret;
    }

    it('gives the same answer for an existing and an unknown account, and mails only the real one', async () => {
      const s = newSession(server.url);
      const real = await ask(s, 'acme', 'ALICE');
      const unknownUser = await ask(newSession(server.url), 'ACME', 'nobody');
      const unknownOrg = await ask(newSession(server.url), 'NOPE', 'alice');
      assert.equal(real.status, 200);
      for (const other of [unknownUser, unknownOrg]) {
        assert.equal(other.status, real.status);
        assert.equal(other.html, real.html);
      }
      const mail = await sink.waitFor((m) => Boolean(m.to) && JSON.stringify(m.to).includes('alice@example.com'));
      assert.match(mail.subject ?? '', /Reset your password/);
      assert.match(mail.subject ?? '', /Acme Portal/);
      assert.ok(linkIn(mail.text ?? ''));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(sink.messages.length, 1, 'no mail for unknown accounts');
      const audit = await server.services.repos.audit.list({ type: 'password.reset_requested' });
      assert.equal(audit.length, 3);
    });

    it('sets a new password once; ends sessions and remembered browsers; MFA still asked afterwards', async () => {
      sink.clear();
      const secret = await addTotp(alice);
      const signedIn = newSession(server.url);
      await signInToAccount(signedIn, alice, { totpSecret: secret, totpOffset: 1, remember: true });
      assert.equal((await signedIn.get(`${server.url}/account`)).status, 200);

      await ask(newSession(server.url), 'ACME', 'alice');
      const mail = await sink.waitFor((m) => JSON.stringify(m.to).includes('alice@example.com'));
      const link = linkIn(mail.text ?? '')!;
      const s = newSession(server.url);
      const form = await s.get(link);
      assert.equal(form.status, 200);
      const html = await form.text();
      assert.match(html, /autocomplete="new-password"/);
      const csrf = formField(html, 'csrf')!;
      const weak = await s.post(link, { csrf, newPassword: 'short', confirm: 'short' });
      assert.equal(weak.status, 400);
      const mismatch = await s.post(link, { csrf, newPassword: 'a-brand-new-password-1', confirm: 'different-password-1' });
      assert.equal(mismatch.status, 400);
      assert.equal((await s.post(link, { newPassword: 'a-brand-new-password-1', confirm: 'a-brand-new-password-1' })).status, 403, 'CSRF');
      const done = await s.post(link, { csrf, newPassword: 'a-brand-new-password-1', confirm: 'a-brand-new-password-1' });
      assert.equal(done.status, 200);
      assert.match(await done.text(), /All sessions were signed out/);
      const again = await s.post(link, { csrf, newPassword: 'another-new-password-2', confirm: 'another-new-password-2' });
      assert.equal(again.status, 410, 'the link works once');
      assert.equal((await s.get(link)).status, 410);

      const stored = await server.services.repos.users.findById(alice.id);
      assert.ok(await server.services.hasher.verify(stored!.passwordHash, 'a-brand-new-password-1'));
      assert.equal((await signedIn.get(`${server.url}/account`)).status, 302, 'the old session ended');
      assert.equal((await server.services.repos.rememberedBrowsers.listLive(alice.id)).length, 0);
      assert.equal((await server.services.secondFactors.enrolledMethods(alice.id)).length, 1, 'MFA kept by default');
      // the remembered browser no longer skips the second step
      const next = newSession(server.url);
      next.setCookie('idp_rb', signedIn.cookie('idp_rb') ?? 'x');
      const page = await signInToAccount(next, { ...alice, password: 'a-brand-new-password-1' });
      assert.match(page.url, /\/interaction\//);
      assert.match(page.html, /authenticator app/);
    });

    it('resets MFA too where the organisation asks (seed 002), in Japanese', async () => {
      sink.clear();
      await addTotp(zoe);
      const s = newSession(server.url, 'ja');
      await ask(s, 'STRICT', 'zoe');
      const mail = await sink.waitFor((m) => JSON.stringify(m.to).includes('zoe@example.com'));
      assert.match(mail.subject ?? '', /パスワードの再設定/);
      const link = linkIn(mail.text ?? '')!;
      const html = await (await s.get(link)).text();
      const done = await s.post(link, { csrf: formField(html, 'csrf')!, newPassword: 'zoe-new-password-42', confirm: 'zoe-new-password-42' });
      assert.equal(done.status, 200);
      assert.match(await done.text(), /2段階認証もリセット/);
      assert.equal((await server.services.secondFactors.enrolledMethods(zoe.id)).length, 0);
    });

    it('refuses an expired link, a malformed token and a token of another purpose', async () => {
      sink.clear();
      await ask(newSession(server.url), 'ACME', 'alice');
      const mail = await sink.waitFor((m) => JSON.stringify(m.to).includes('alice@example.com'));
      const link = linkIn(mail.text ?? '')!;
      await server.services.knex('one_time_codes').where({ purpose: 'password_reset', user_id: alice.id }).whereNull('used_at').update({ expires_at: Date.now() - 1000 });
      const s = newSession(server.url);
      assert.equal((await s.get(link)).status, 410);
      assert.equal((await s.get(`${server.url}/reset-password/${'a'.repeat(300)}`)).status, 410);
      assert.equal((await s.get(`${server.url}/reset-password/%00%01`)).status, 410);
    });

    it('throttles per account with the same answer, and refuses bad input', async () => {
      const s = newSession(server.url);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await ask(s, 'ACME', 'throttled-user')).status);
      assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
      assert.equal(statuses[4], 429);
      const form = await s.get(`${server.url}/forgot-password`);
      const csrf = formField(await form.text(), 'csrf')!;
      assert.equal((await s.post(`${server.url}/forgot-password`, { csrf: 'bad', org: 'ACME', username: 'alice' })).status, 403);
      assert.equal((await s.post(`${server.url}/forgot-password`, { csrf, org: 'ACME' })).status, 400);
      assert.equal((await s.post(`${server.url}/forgot-password`, { csrf, org: 'A'.repeat(500), username: 'x' })).status, 400);
      assert.equal((await s.post(`${server.url}/forgot-password`, { csrf, org: 'ACME', username: 'x'.repeat(20_000) })).status, 413);
    });

    it('links the sign-in page to the forgotten-password page', async () => {
      const page = await newSession(server.url).get(`${server.url}/account`);
      assert.equal(page.status, 302);
      const s = newSession(server.url);
      const { html } = await (async () => {
        const r = await s.get(`${server.url}/account/login`);
        const f = await s.follow(r, `${server.url}/account/login`);
        return { html: await f.res.text() };
      })();
      assert.match(html, /<a href="\/forgot-password" id="forgot-password">Forgot your password\?<\/a>/);
    });
  });
}
