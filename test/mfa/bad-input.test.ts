import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession, formField } from '../helpers/http-session.js';
import { postStep, secretOnPage, totpCode } from '../helpers/mfa.js';
import { openSignIn, relyingParty, startAuthorization, submitPassword } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';
import { extractCode, startSmtpSink, type SmtpSink } from '../helpers/smtp.js';

for (const engine of engines()) {
  describe(`second-factor steps refuse bad and out-of-order input (${engine})`, () => {
    let server: TestServer;
    let sink: SmtpSink;
    let client: FixtureClient;
    let config: oidc.Configuration;
    let alice: FixtureUser;
    let bob: FixtureUser;

    before(async () => {
      sink = await startSmtpSink();
      server = await startTestServer({ engine, env: { IDP_SMTP_URL: sink.url } });
      const org = await createOrg(server.services, 'ACME', { mfa: 'required', methods: ['totp', 'email'], totpPeriod: 60, totpDigits: 8 });
      alice = await createUser(server.services, org, { username: 'alice' });
      bob = await createUser(server.services, org, { username: 'bob' });
      client = await createClient(server.services, { orgId: org.id });
      config = await relyingParty(server.url, client);
      for (const user of [alice, bob]) {
        await server.services.repos.factors.create({ userId: user.id, type: 'email', label: 'mail', email: `${user.username}@example.com`, confirmedAt: Date.now() });
      }
    });
    after(async () => {
      await server.stop({ dropDatabase: true });
      await sink.stop();
    });

    async function atSignIn(session: HttpSession) {
      const start = await startAuthorization(config, client);
      return { start, ...(await openSignIn(session, start)) };
    }

    async function afterPassword(session: HttpSession, user: FixtureUser) {
      const page = await atSignIn(session);
      const end = await submitPassword(session, page, user, client.redirectUri);
      return { start: page.start, url: end.url, html: await end.res.text() };
    }

    it('refuses second-factor steps before the password (409) and the password step after it', async () => {
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const page = await atSignIn(session);
      for (const step of ['mfa', 'mfa-send-email', 'enrol-choose', 'enrol-totp', 'backup-codes', 'mfa-continue']) {
        const res = await postStep(session, page, step, { method: 'totp', code: '12345678' });
        assert.equal(res.res.status, 409, step);
      }
      const download = await session.get(`${new URL(page.url).pathname}/backup-codes.txt`);
      assert.equal(download.status, 409, 'no backup codes to download before they exist');

      const mfaPage = await afterPassword(session, alice);
      const again = await postStep(session, mfaPage, 'login', { username: 'alice', password: alice.password });
      assert.equal(again.res.status, 409, 'the password step is over');
    });

    it('does not accept a code mailed to another user', async () => {
      const a = new HttpSession(server.url, { 'accept-language': 'en' });
      const b = new HttpSession(server.url, { 'accept-language': 'en' });
      const pa = await afterPassword(a, alice);
      const pb = await afterPassword(b, bob);
      sink.clear();
      await postStep(a, pa, 'mfa-send-email');
      const aliceCode = extractCode(await sink.waitFor(() => true));
      await postStep(b, pb, 'mfa-send-email');
      const wrong = await postStep(b, pb, 'mfa', { method: 'email', code: aliceCode });
      assert.equal(wrong.res.status, 400);
      const ok = await postStep(a, pa, 'mfa', { method: 'email', code: aliceCode });
      assert.ok(ok.url.startsWith(client.redirectUri), 'the code still works for its own user');
    });

    it('answers malformed codes with a clear message and counts nothing', async () => {
      await server.services.knex('throttles').delete();
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const page = await afterPassword(session, bob);
      await postStep(session, page, 'mfa-send-email');
      for (const code of ['', 'abc', '12345', '1234567', 'x'.repeat(40)]) {
        const res = await postStep(session, page, 'mfa', { method: 'email', code });
        assert.equal(res.res.status, 400, JSON.stringify(code));
        assert.match(res.html, /Enter the 6-digit code, digits only/);
      }
      const counted = await server.services.repos.throttles.get([`mfa:acct:${bob.id}`]);
      assert.equal(counted.length, 0, 'malformed input is not a guess');
      const unknownMethod = await postStep(session, page, 'mfa', { method: 'sms', code: '123456' });
      assert.equal(unknownMethod.res.status, 200, 'an unknown method just shows the page again');
      assert.match(unknownMethod.html, /Two-step verification/);
    });

    it('enrols and signs in with 8-digit codes every 60 seconds where the organisation says so (seed 003)', async () => {
      const org = await createOrg(server.services, 'SLOW', { mfa: 'required', methods: ['totp'], totpPeriod: 60, totpDigits: 8 });
      const carol = await createUser(server.services, org, { username: 'carol' });
      const slowClient = await createClient(server.services, { orgId: org.id });
      const slowConfig = await relyingParty(server.url, slowClient);
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const start = await startAuthorization(slowConfig, slowClient);
      const page = await openSignIn(session, start);
      const end = await submitPassword(session, page, carol, slowClient.redirectUri);
      const setup = { url: end.url, html: await end.res.text() };
      assert.match(setup.html, /period=60/);
      assert.match(setup.html, /digits=8/);
      const secret = secretOnPage(setup.html);
      const sixDigits = await postStep(session, setup, 'enrol-totp', { code: totpCode(secret, 0, 60, 6) });
      assert.equal(sixDigits.res.status, 400);
      assert.match(sixDigits.html, /Enter the 8-digit code/);
      const codes = await postStep(session, sixDigits, 'enrol-totp', { code: totpCode(secret, 0, 60, 8) });
      assert.match(codes.html, /id="backup-codes"/);
      const done = await postStep(session, codes, 'backup-codes', { saved: 'yes' });
      const tokens = await oidc.authorizationCodeGrant(slowConfig, new URL(done.url), { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce });
      assert.deepEqual(tokens.claims()!.amr, ['pwd', 'otp', 'mfa']);
    });

    it('keeps CSRF protection on every second-factor form', async () => {
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const page = await afterPassword(session, alice);
      assert.ok(formField(page.html, 'csrf'));
      const base = /^\/interaction\/[^/]+/.exec(new URL(page.url).pathname)![0];
      const res = await session.post(`${base}/mfa`, { method: 'email', code: '123456', csrf: 'forged' });
      assert.equal(res.status, 403);
    });
  });
}
