import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession } from '../helpers/http-session.js';
import { postStep } from '../helpers/mfa.js';
import { openSignIn, relyingParty, startAuthorization, submitPassword } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';
import { extractCode, extractLink, startSmtpSink, type SmtpSink } from '../helpers/smtp.js';

for (const engine of engines()) {
  describe(`email one-time codes over real SMTP (${engine})`, () => {
    let server: TestServer;
    let sink: SmtpSink;
    let client: FixtureClient;
    let config: oidc.Configuration;
    let orgId: string;

    before(async () => {
      sink = await startSmtpSink({ rejectRecipient: (address) => address.startsWith('bounce@') });
      server = await startTestServer({ engine, env: { IDP_SMTP_URL: sink.url } });
      const org = await createOrg(server.services, 'MAILCO', { mfa: 'required', methods: ['email'], systemTitle: 'Biz安否確認', emailCodeMinutes: 60 });
      orgId = org.id;
      client = await createClient(server.services, { orgId: org.id });
      config = await relyingParty(server.url, client);
    });
    after(async () => {
      await server.stop({ dropDatabase: true });
      await sink.stop();
    });

    async function passwordStep(session: HttpSession, user: FixtureUser) {
      const start = await startAuthorization(config, client);
      const page = await openSignIn(session, start);
      const end = await submitPassword(session, page, user, client.redirectUri);
      return { start, url: end.url, html: await end.res.text() };
    }

    async function newUser(locale: 'ja' | 'en') {
      const org = (await server.services.repos.orgs.findById(orgId))!;
      return createUser(server.services, org, { locale });
    }

    it('enrols the 2FA address with a mailed code (address typed twice) and signs in with codes later', async () => {
      const user = await newUser('ja');
      const session = new HttpSession(server.url, { 'accept-language': 'ja' });
      const step1 = await passwordStep(session, user);
      assert.match(step1.html, /2段階認証用メールアドレスの設定/, 'the only method goes straight to its form');

      const mismatch = await postStep(session, step1, 'enrol-email', { email: 'alice@example.com', emailConfirm: 'alice@example.org' });
      assert.equal(mismatch.res.status, 400);
      assert.match(mismatch.html, /メールアドレスが一致しません/);
      const invalid = await postStep(session, step1, 'enrol-email', { email: 'nope', emailConfirm: 'nope' });
      assert.equal(invalid.res.status, 400);
      assert.equal(sink.messages.length, 0, 'nothing mailed for bad input');

      const sent = await postStep(session, step1, 'enrol-email', { email: 'alice@example.com', emailConfirm: 'alice@example.com' });
      assert.match(sent.html, /alice@example\.com に6桁のコードを送信しました/);
      const mail = await sink.waitFor((m) => [m.to].flat().some((a) => a?.text === 'alice@example.com'));
      assert.match(mail.subject!, /【Biz安否確認】/);
      assert.match(mail.from!.text, /Biz安否確認/);
      assert.match(mail.text!, /有効期限/);
      assert.match(mail.text!, /パスワードを変更してください/);
      const code = extractCode(mail);

      const wrong = await postStep(session, sent, 'enrol-email-code', { code: code === '000000' ? '111111' : '000000' });
      assert.equal(wrong.res.status, 400);
      const ok = await postStep(session, wrong, 'enrol-email-code', { code });
      assert.match(ok.html, /id="backup-codes"/);
      const done = await postStep(session, ok, 'backup-codes', { saved: 'yes' });
      assert.ok(done.url.startsWith(client.redirectUri));

      // a later sign-in: the code is mailed on request, in the user's language
      sink.clear();
      const later = new HttpSession(server.url, { 'accept-language': 'en' });
      const step2 = await passwordStep(later, user);
      assert.match(step2.html, /alice@example\.com に6桁のコードを送信します/);
      const requested = await postStep(later, step2, 'mfa-send-email');
      const challenge = await sink.waitFor(() => true);
      const reused = await postStep(later, requested, 'mfa', { method: 'email', code });
      assert.equal(reused.res.status, 400, 'the enrolment code does not work again');
      const signedIn = await postStep(later, reused, 'mfa', { method: 'email', code: extractCode(challenge) });
      assert.ok(signedIn.url.startsWith(client.redirectUri));
    });

    it('voids the old code when a new one is sent, and waits before resending', async () => {
      const user = await newUser('en');
      await server.services.repos.factors.create({ userId: user.id, type: 'email', label: 'mail', email: 'bob@example.com', confirmedAt: Date.now() });
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      sink.clear();
      const step1 = await passwordStep(session, user);
      const first = await postStep(session, step1, 'mfa-send-email');
      const firstCode = extractCode(await sink.waitFor(() => true));
      const tooSoon = await postStep(session, first, 'mfa-send-email');
      assert.equal(tooSoon.res.status, 429);
      assert.match(tooSoon.html, /Please wait \d+ seconds/);
      // the cooldown passes
      await server.services.knex('one_time_codes').update({ created_at: Date.now() - 60_000 });
      sink.clear();
      const second = await postStep(session, tooSoon, 'mfa-send-email');
      const secondCode = extractCode(await sink.waitFor(() => true));
      const old = await postStep(session, second, 'mfa', { method: 'email', code: firstCode });
      assert.equal(old.res.status, 400);
      assert.match(old.html, /expired or was replaced|incorrect/);
      const ok = await postStep(session, old, 'mfa', { method: 'email', code: secondCode });
      assert.ok(ok.url.startsWith(client.redirectUri));
    });

    it('refuses an expired code', async () => {
      const user = await newUser('en');
      await server.services.repos.factors.create({ userId: user.id, type: 'email', label: 'mail', email: 'carol@example.com', confirmedAt: Date.now() });
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      sink.clear();
      const step1 = await passwordStep(session, user);
      const sent = await postStep(session, step1, 'mfa-send-email');
      const code = extractCode(await sink.waitFor(() => true));
      await server.services.knex('one_time_codes').where({ user_id: user.id }).update({ expires_at: Date.now() - 1 });
      const late = await postStep(session, sent, 'mfa', { method: 'email', code });
      assert.equal(late.res.status, 400);
      assert.match(late.html, /expired/);
    });

    it('confirms a provisional address by the link in the mail where the organisation asks (seed 000)', async () => {
      const org = (await server.services.repos.orgs.findById(orgId))!;
      await server.services.repos.orgs.update(orgId, { settings: { ...org.settings, requireVerifiedEmail: true } });
      try {
        const user = await newUser('en');
        const session = new HttpSession(server.url, { 'accept-language': 'en' });
        sink.clear();
        const step1 = await passwordStep(session, user);
        const sent = await postStep(session, step1, 'enrol-email', { email: 'dave@example.com', emailConfirm: 'dave@example.com' });
        const mail = await sink.waitFor(() => true);
        const link = extractLink(mail);
        assert.ok(link.startsWith(`${server.url}/verify-email/`));
        const early = await postStep(session, sent, 'enrol-email-check');
        assert.equal(early.res.status, 409);
        assert.match(early.html, /not confirmed yet/);

        const otherDevice = new HttpSession(server.url, { 'accept-language': 'en' });
        const opened = await otherDevice.get(link);
        assert.equal(opened.status, 200);
        assert.match(await opened.text(), /Email address confirmed/);
        const again = await otherDevice.get(link);
        assert.equal(again.status, 410, 'the link works once');

        const next = await postStep(session, early, 'enrol-email-check');
        assert.match(next.html, /id="backup-codes"/);
      } finally {
        await server.services.repos.orgs.update(orgId, { settings: { ...org.settings, requireVerifiedEmail: false } });
      }
    });

    it('reports a mail that cannot be delivered without losing the sign-in', async () => {
      const user = await newUser('en');
      await server.services.repos.factors.create({ userId: user.id, type: 'email', label: 'mail', email: 'bounce@example.com', confirmedAt: Date.now() });
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const step1 = await passwordStep(session, user);
      const failed = await postStep(session, step1, 'mfa-send-email');
      assert.equal(failed.res.status, 503);
      assert.match(failed.html, /could not be sent/);
      assert.match(failed.html, /Send the code by email/, 'the sign-in goes on: the user can try again');
      const live = await server.services.knex('one_time_codes').where({ user_id: user.id }).whereNull('used_at');
      assert.equal(live.length, 0, 'an undelivered code is void');
    });
  });
}
