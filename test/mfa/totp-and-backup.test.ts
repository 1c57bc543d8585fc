import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession } from '../helpers/http-session.js';
import { backupCodesOnPage, postStep, secretOnPage, totpCode } from '../helpers/mfa.js';
import { openSignIn, relyingParty, startAuthorization, submitPassword, type AuthorizationStart } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

for (const engine of engines()) {
  describe(`TOTP enrolment, challenge, backup codes and remembered browser (${engine})`, () => {
    let server: TestServer;
    let client: FixtureClient;
    let user: FixtureUser;
    let config: oidc.Configuration;
    let secret = '';
    let backupCodes: string[] = [];
    let enrolmentCode = '';
    const browser = new HttpSession('http://placeholder', { 'accept-language': 'en' });

    before(async () => {
      server = await startTestServer({ engine });
      const org = await createOrg(server.services, 'ACME', { mfa: 'required', methods: ['totp', 'email'] });
      user = await createUser(server.services, org, { username: 'alice' });
      client = await createClient(server.services, { orgId: org.id });
      config = await relyingParty(server.url, client);
      Object.assign(browser, new HttpSession(server.url, { 'accept-language': 'en' }));
    });
    after(() => server.stop({ dropDatabase: true }));

    async function passwordStep(session: HttpSession, params: Record<string, string> = {}) {
      const start = await startAuthorization(config, client, params);
      const page = await openSignIn(session, start);
      const end = await submitPassword(session, page, user, client.redirectUri);
      return { start, url: end.url, html: end.url.startsWith(client.redirectUri) ? '' : await end.res.text(), status: end.res.status };
    }

    async function tokensFrom(url: string, start: AuthorizationStart) {
      assert.ok(url.startsWith(client.redirectUri), `expected the redirect URI, ended at ${url}`);
      return oidc.authorizationCodeGrant(config, new URL(url), { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce });
    }

    it('forces enrolment: choose TOTP, confirm a code, save backup codes, then signs in with amr otp+mfa', async () => {
      const step1 = await passwordStep(browser);
      assert.match(step1.html, /Set up two-step verification/);
      const chosen = await postStep(browser, step1, 'enrol-choose', { method: 'totp' });
      assert.match(chosen.html, /<svg/);
      assert.match(chosen.html, /href="otpauth:\/\/totp\/[^"]+"/);
      assert.match(chosen.html, /autocomplete="one-time-code"/);
      secret = secretOnPage(chosen.html);

      const wrong = await postStep(browser, chosen, 'enrol-totp', { code: '000000' === totpCode(secret) ? '111111' : '000000' });
      assert.equal(wrong.res.status, 400);
      assert.match(wrong.html, /The code is incorrect/);
      assert.equal(secretOnPage(wrong.html), secret, 'the same secret after a wrong code');

      enrolmentCode = totpCode(secret);
      const confirmed = await postStep(browser, wrong, 'enrol-totp', { code: enrolmentCode, label: 'Phone' });
      assert.match(confirmed.html, /id="backup-codes"/);
      backupCodes = backupCodesOnPage(confirmed.html);
      assert.equal(backupCodes.length, 10);
      assert.ok(backupCodes.every((c) => /^\d{8}$/.test(c)));

      const download = await browser.get(`${new URL(confirmed.url).pathname}/backup-codes.txt`);
      assert.equal(download.status, 200);
      assert.match(download.headers.get('content-disposition')!, /attachment/);
      const text = await download.text();
      assert.ok(backupCodes.every((c) => text.includes(`${c.slice(0, 4)} ${c.slice(4)}`)));

      const notSaved = await postStep(browser, confirmed, 'backup-codes', {});
      assert.equal(notSaved.res.status, 400);
      const done = await postStep(browser, notSaved, 'backup-codes', { saved: 'yes' });
      const tokens = await tokensFrom(done.url, step1.start);
      assert.deepEqual(tokens.claims()!.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(tokens.claims()!.acr, 'urn:idp:acr:mfa');
    });

    it('asks for the TOTP code at the next sign-in and refuses a replayed code', async () => {
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const step1 = await passwordStep(session);
      assert.match(step1.html, /Enter the 6-digit code from your authenticator app/);
      // the very code the enrolment used (not the current step's: a 30-second boundary may
      // have passed since, and a fresh step's code would rightly be accepted)
      const replay = await postStep(session, step1, 'mfa', { method: 'totp', code: enrolmentCode });
      assert.equal(replay.res.status, 400);
      assert.match(replay.html, /already been used/);
      const next = await postStep(session, replay, 'mfa', { method: 'totp', code: totpCode(secret, 1), remember: 'yes' });
      const tokens = await tokensFrom(next.url, step1.start);
      assert.deepEqual(tokens.claims()!.amr, ['pwd', 'otp', 'mfa']);
      assert.ok(session.cookie('idp_rb'), 'a remembered-browser cookie was set');
      Object.assign(browser, session);
    });

    it('skips the second step on a remembered browser, with acr mfa and amr pwd', async () => {
      const step1 = await passwordStep(browser, { prompt: 'login' });
      const tokens = await tokensFrom(step1.url, step1.start);
      assert.deepEqual(tokens.claims()!.amr, ['pwd']);
      assert.equal(tokens.claims()!.acr, 'urn:idp:acr:mfa');
      const [used] = await server.services.repos.audit.list({ type: 'login.succeeded', userId: tokens.claims()!.sub });
      const [browserEntry] = await server.services.repos.rememberedBrowsers.listLive(tokens.claims()!.sub);
      assert.equal(used?.details?.remembered, true, 'the remembered browser standing in for the second factor is audited');
      assert.equal(used.details?.rememberedBrowser, browserEntry?.id, 'naming the browser');
      assert.ok(used.ip && used.clientId, 'with address and client');
    });

    it('does not honour another user\'s remembered-browser cookie', async () => {
      const org = await server.services.repos.orgs.findByCode('ACME');
      const bob = await createUser(server.services, org!, { username: 'bob' });
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      session.setCookie('idp_rb', browser.cookie('idp_rb')!);
      const start = await startAuthorization(config, client);
      const page = await openSignIn(session, start);
      const end = await submitPassword(session, page, bob, client.redirectUri);
      assert.match(await end.res.text(), /Set up two-step verification/);
    });

    it('signs in with a backup code once, says how many remain, and refuses it again', async () => {
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const step1 = await passwordStep(session);
      const chosen = await postStep(session, step1, 'mfa-method', { method: 'backup' });
      assert.match(chosen.html, /Enter one of your 8-digit backup codes/);
      const used = await postStep(session, chosen, 'mfa', { method: 'backup', code: backupCodes[0]! });
      assert.match(used.html, /You have 9 unused backup codes left/);
      const done = await postStep(session, used, 'mfa-continue');
      await tokensFrom(done.url, step1.start);

      const again = new HttpSession(server.url, { 'accept-language': 'en' });
      const second = await passwordStep(again);
      const page = await postStep(again, second, 'mfa-method', { method: 'backup' });
      const refused = await postStep(again, page, 'mfa', { method: 'backup', code: backupCodes[0]! });
      assert.equal(refused.res.status, 400);
      assert.match(refused.html, /The code is incorrect/);
    });

    it('accepts the same backup code only once when two requests race', async () => {
      const a = new HttpSession(server.url, { 'accept-language': 'en' });
      const b = new HttpSession(server.url, { 'accept-language': 'en' });
      const [pa, pb] = await Promise.all([passwordStep(a), passwordStep(b)]);
      const [ma, mb] = await Promise.all([postStep(a, pa, 'mfa-method', { method: 'backup' }), postStep(b, pb, 'mfa-method', { method: 'backup' })]);
      const [ra, rb] = await Promise.all([
        postStep(a, ma, 'mfa', { method: 'backup', code: backupCodes[1]! }),
        postStep(b, mb, 'mfa', { method: 'backup', code: backupCodes[1]! }),
      ]);
      const accepted = [ra, rb].filter((r) => /unused backup codes left/.test(r.html)).length;
      assert.equal(accepted, 1);
    });

    it('accepts the same TOTP code only once when two requests race', async () => {
      const a = new HttpSession(server.url);
      const b = new HttpSession(server.url);
      const [pa, pb] = await Promise.all([passwordStep(a), passwordStep(b)]);
      const code = totpCode(secret, 1);
      // a step newer than any used so far, submitted twice at once
      await server.services.knex('factors').update({ last_used_step: null });
      const [ra, rb] = await Promise.all([postStep(a, pa, 'mfa', { method: 'totp', code }), postStep(b, pb, 'mfa', { method: 'totp', code })]);
      const through = [ra, rb].filter((r) => r.url.startsWith(client.redirectUri)).length;
      assert.equal(through, 1);
    });

    it('revokes remembered browsers when the password changes', async () => {
      const before = await server.services.repos.rememberedBrowsers.listLive(user.id);
      assert.ok(before.length > 0);
      await server.services.repos.users.setPassword(user.id, await server.services.hasher.hash(user.password), true);
      const session = browser;
      const start = await startAuthorization(config, client, { prompt: 'login' });
      const page = await openSignIn(session, start);
      const change = await submitPassword(session, page, user, client.redirectUri);
      const html = await change.res.text();
      assert.match(html, /Change your password/);
      const changed = await postStep(session, { html, url: change.url }, 'password', { newPassword: 'a brand new passphrase 2026', confirm: 'a brand new passphrase 2026' });
      assert.equal((await server.services.repos.rememberedBrowsers.listLive(user.id)).length, 0);
      assert.match(changed.html, /Two-step verification/, 'the second step is asked again');
      user.password = 'a brand new passphrase 2026';
    });

    it('ends the sign-in after the wrong-code limit and locks the second factor with growing delays', async () => {
      const org = await server.services.repos.orgs.findByCode('ACME');
      await server.services.repos.orgs.update(org!.id, { settings: { ...org!.settings, wrongCodeLimit: 3 } });
      // earlier tests' wrong codes count against the account too; start this one clean
      await server.services.knex('throttles').delete();
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      let page: { html: string; url: string } = await passwordStep(session);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await postStep(session, page, 'mfa', { method: 'totp', code: '000000' === totpCode(secret) ? '111111' : '000000' });
        statuses.push(r.res.status);
        page = r;
      }
      assert.deepEqual(statuses, [400, 400, 429]);
      assert.match(page.html, /Too many wrong codes/);
      const audit = await server.services.repos.audit.list({ type: 'mfa.locked', userId: user.id });
      assert.equal(audit.length, 1);
      // even the right code is refused while the lock lasts, in a new sign-in too
      const other = new HttpSession(server.url, { 'accept-language': 'en' });
      const step1 = await passwordStep(other);
      const locked = await postStep(other, step1, 'mfa', { method: 'totp', code: totpCode(secret, 1) });
      assert.equal(locked.res.status, 429);
      const [state] = await server.services.repos.throttles.get([`mfa:acct:${user.id}`]);
      assert.ok(state!.lockedUntil! > Date.now(), 'the account\'s second factor is locked');
    });
  });
}
