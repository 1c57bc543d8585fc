/**
 * The account pages over HTTP: factors (rename, remove with step-up and the last-factor
 * rule, QR again after a code), password change, sessions and remembered browsers,
 * activity — and bad input on every form: 4xx, nothing changed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { User } from '../../src/model.js';
import { newSession, openAccount, postAccount, signInToAccount } from '../helpers/account.js';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { formField } from '../helpers/http-session.js';
import { totpCode } from '../helpers/mfa.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

for (const engine of engines()) {
  describe(`account pages (${engine})`, () => {
    let server: TestServer;
    let alice: FixtureUser;
    let bob: FixtureUser;
    let secret = '';
    let factorId = '';
    let bobFactorId = '';

    async function addTotp(u: FixtureUser, label: string) {
      const user = (await server.services.repos.users.findById(u.id)) as User;
      const org = (await server.services.repos.orgs.findById(u.orgId))!;
      const started = await server.services.secondFactors.startTotp(user, org);
      const s = started.secret.replace(/\s+/g, '');
      const ok = await server.services.secondFactors.confirmTotp(user, started.factorId, totpCode(s), label);
      assert.ok(ok.ok);
      return { secret: s, factorId: started.factorId };
    }

    before(async () => {
      server = await startTestServer({ engine });
      const org = await createOrg(server.services, 'ACME', { mfa: 'required', methods: ['totp', 'email'] });
      alice = await createUser(server.services, org, { username: 'alice' });
      bob = await createUser(server.services, org, { username: 'bob' });
      ({ secret, factorId } = await addTotp(alice, 'Phone'));
      ({ factorId: bobFactorId } = await addTotp(bob, 'Bob phone'));
    });
    after(() => server.stop({ dropDatabase: true }));

    it('lists and renames a factor; another user\'s factor or an unknown kind is 404 and unchanged', async () => {
      const session = newSession(server.url);
      const page = await signInToAccount(session, alice, { path: '/account/security', totpSecret: secret, totpOffset: 1 });
      assert.equal(new URL(page.url).pathname, '/account/security');
      assert.match(page.html, /Phone/);
      const renamed = await postAccount(session, page, `/account/factors/totp/${factorId}/rename`, { label: 'Work phone' });
      assert.match(renamed.html, /Work phone/);
      const bad = await postAccount(session, page, `/account/factors/totp/${factorId}/rename`, { label: ' ' });
      assert.equal(bad.res.status, 400);
      const foreign = await postAccount(session, page, `/account/factors/totp/${bobFactorId}/rename`, { label: 'mine' });
      assert.equal(foreign.res.status, 404);
      assert.equal((await server.services.repos.factors.findForUser(bob.id, bobFactorId))?.label, 'Bob phone');
      assert.equal((await postAccount(session, page, `/account/factors/sms/${factorId}/rename`, { label: 'x' })).res.status, 404);
      assert.equal((await postAccount(session, page, `/account/factors/totp/${'x'.repeat(300)}/remove`)).res.status, 404);
      const noCsrf = await session.post(`${server.url}/account/factors/totp/${factorId}/rename`, { label: 'Hacked' });
      assert.equal(noCsrf.status, 403);
      const big = await session.post(`${server.url}/account/factors/totp/${factorId}/rename`, { csrf: formField(page.html, 'csrf')!, label: 'x'.repeat(20_000) });
      assert.equal(big.status, 413);
      const json = await session.request(`${server.url}/account/profile`, { method: 'POST', body: '{"name":"x"}', headers: { 'content-type': 'application/json' } });
      assert.equal(json.status, 400);
      assert.equal((await server.services.repos.factors.findForUser(alice.id, factorId))?.label, 'Work phone');
      const events = await server.services.repos.audit.list({ userId: alice.id, type: 'mfa.factor_renamed' });
      assert.equal(events.length, 1);
    });

    it('refuses to remove the last factor where MFA is required', async () => {
      const org = await createOrg(server.services, 'REQ', { mfa: 'required', methods: ['totp'] });
      const gina = await createUser(server.services, org, { username: 'gina' });
      const only = await addTotp(gina, 'Only');
      const session = newSession(server.url);
      const page = await signInToAccount(session, gina, { path: '/account/security', totpSecret: only.secret, totpOffset: 1 });
      const refused = await postAccount(session, page, `/account/factors/totp/${only.factorId}/remove`);
      assert.equal(refused.res.status, 409);
      assert.match(refused.html, /requires two-step verification/);
      assert.ok(await server.services.repos.factors.findForUser(gina.id, only.factorId));
    });

    it('asks for a fresh second factor on a remembered browser before removing, then removes', async () => {
      // a second authenticator, so one may go
      const second = await addTotp(alice, 'Tablet');
      const session = newSession(server.url);
      await signInToAccount(session, alice, { totpSecret: second.secret, totpOffset: 1, remember: true });
      assert.ok(session.cookie('idp_rb'));
      // a new sign-in on the remembered browser: amr is pwd only
      session.setCookie('idp_account', 'gone');
      await server.services.knex('oidc_payloads').where({ type: 'Session', account_id: alice.id }).delete();
      const page = await signInToAccount(session, alice, { path: '/account/security' });
      assert.equal(new URL(page.url).pathname, '/account/security', 'no second step asked on the remembered browser');
      const res = await session.post(`${server.url}/account/factors/totp/${second.factorId}/remove`, { csrf: formField(page.html, 'csrf')! });
      assert.equal(res.status, 303);
      assert.match(res.headers.get('location')!, /^\/account\/verify\?return=/);
      assert.ok(await server.services.repos.factors.findForUser(alice.id, second.factorId), 'nothing removed without step-up');

      const fresh = await addTotp(alice, 'Fresh');
      const verify = await openAccount(session, res.headers.get('location')!);
      const wrong = await postAccount(session, verify, '/account/verify', { method: 'totp', code: '12345', return: '/account/security' });
      assert.equal(wrong.res.status, 400);
      const bogus = await postAccount(session, verify, '/account/verify', { method: 'sms', code: '123456' });
      assert.equal(bogus.res.status, 400);
      const ok = await postAccount(session, verify, '/account/verify', { method: 'totp', code: totpCode(fresh.secret, 1), return: '/account/security' });
      assert.equal(new URL(ok.url).pathname, '/account/security');
      assert.match(ok.html, /Confirmed\. You can now make the change/, 'the page says the change may now be repeated');
      const removed = await postAccount(session, ok, `/account/factors/totp/${second.factorId}/remove`);
      assert.match(removed.html, /The method was removed/);
      assert.equal(await server.services.repos.factors.findForUser(alice.id, second.factorId), undefined);
      assert.equal(session.cookie('idp_rb') && (await server.services.repos.rememberedBrowsers.listLive(alice.id)).length, 0, 'removal forgets remembered browsers');
    });

    it('shows the QR code again only after a current code from that authenticator (seed 004)', async () => {
      const session = newSession(server.url);
      const signIn = await addTotp(alice, 'Sign-in');
      const target = await addTotp(alice, 'Target');
      await signInToAccount(session, alice, { totpSecret: signIn.secret, totpOffset: 1 });
      const form = await openAccount(session, `/account/factors/totp/${target.factorId}/qr`);
      assert.doesNotMatch(form.html, /otpauth:/);
      const other = await postAccount(session, form, `/account/factors/totp/${target.factorId}/qr`, { code: totpCode(signIn.secret, 0) === totpCode(target.secret, 1) ? '000000' : totpCode(signIn.secret, 0) });
      assert.equal(other.res.status, 400, "another authenticator's code does not show this one");
      const wrong = await postAccount(session, form, `/account/factors/totp/${target.factorId}/qr`, { code: totpCode(target.secret, 0) });
      assert.equal(wrong.res.status, 400, 'the step used at set-up is a replay');
      assert.doesNotMatch(wrong.html, /otpauth:/);
      const shown = await postAccount(session, form, `/account/factors/totp/${target.factorId}/qr`, { code: totpCode(target.secret, 1) });
      assert.match(shown.html, /href="otpauth:\/\/totp\//);
      assert.equal((await openAccount(session, `/account/factors/totp/${bobFactorId}/qr`)).res.status, 404);
    });

    it('changes the password with the current one; ends the other sessions; refuses a wrong current password', async () => {
      const s1 = newSession(server.url);
      const s2 = newSession(server.url);
      const org2 = await createOrg(server.services, 'OPT', { mfa: 'optional' });
      const dave = await createUser(server.services, org2, { username: 'dave', password: 'first-password-123' });
      await signInToAccount(s1, dave);
      await signInToAccount(s2, dave);
      const page = await openAccount(s1, '/account/password');
      const wrong = await postAccount(s1, page, '/account/password', { current: 'nope', newPassword: 'a-new-long-password-9', confirm: 'a-new-long-password-9' });
      assert.equal(wrong.res.status, 400);
      assert.match(wrong.html, /current password is incorrect/);
      const mismatch = await postAccount(s1, page, '/account/password', { current: dave.password, newPassword: 'a-new-long-password-9', confirm: 'other' });
      assert.equal(mismatch.res.status, 400);
      const missing = await postAccount(s1, page, '/account/password', { current: dave.password });
      assert.equal(missing.res.status, 400);
      const ok = await postAccount(s1, page, '/account/password', { current: dave.password, newPassword: 'a-new-long-password-9', confirm: 'a-new-long-password-9' });
      assert.match(ok.html, /Your password was changed/);
      const stored = await server.services.repos.users.findById(dave.id);
      assert.ok(await server.services.hasher.verify(stored!.passwordHash, 'a-new-long-password-9'));
      assert.equal((await s2.get(`${server.url}/account`)).status, 302, 'the other session ended');
      assert.equal((await s1.get(`${server.url}/account`)).status, 200, 'this session stays');
      const strength = await s1.post(`${server.url}/account/password/strength`, { csrf: formField(page.html, 'csrf')!, password: 'correct horse battery staple' });
      assert.ok((await strength.json()).score >= 3);
    });

    it('lists sessions and ends one, or all others; another user\'s session is 404', async () => {
      const org3 = await createOrg(server.services, 'SES');
      const erin = await createUser(server.services, org3, { username: 'erin' });
      const frank = await createUser(server.services, org3, { username: 'frank' });
      const a = newSession(server.url);
      const b = newSession(server.url);
      const c = newSession(server.url);
      const f = newSession(server.url);
      await signInToAccount(a, erin);
      await signInToAccount(b, erin);
      await signInToAccount(c, erin);
      await signInToAccount(f, frank);
      const page = await openAccount(a, '/account/sessions');
      const uids = [...page.html.matchAll(/data-session="([^"]+)"/g)].map((m) => m[1]!);
      assert.equal(uids.length, 3);
      const frankPage = await openAccount(f, '/account/sessions');
      const frankUid = /data-session="([^"]+)"/.exec(frankPage.html)![1]!;
      assert.equal((await postAccount(a, page, '/account/sessions/revoke', { session: frankUid })).res.status, 404);
      assert.equal((await f.get(`${server.url}/account`)).status, 200, "frank's session untouched");
      assert.equal((await postAccount(a, page, '/account/sessions/revoke', { session: '../../x' })).res.status, 400);
      const current = /<li data-session="([^"]+)"><strong>This session/.exec(page.html)![1]!;
      const other = uids.find((u) => u !== current)!;
      const ended = await postAccount(a, page, '/account/sessions/revoke', { session: other });
      assert.match(ended.html, /The session was ended/);
      const all = await postAccount(a, page, '/account/sessions/revoke-all');
      assert.match(all.html, /All other sessions were ended/);
      assert.equal([...all.html.matchAll(/data-session=/g)].length, 1);
      assert.equal((await b.get(`${server.url}/account`)).status, 302);
      assert.equal((await c.get(`${server.url}/account`)).status, 302);
      const events = await server.services.repos.audit.list({ userId: erin.id, type: 'session.revoked' });
      assert.equal(events.length, 2);
      const activity = await openAccount(a, '/account/activity');
      assert.match(activity.html, /Session ended/);
      assert.match(activity.html, /Signed in/);
    });

    it('forgets remembered browsers one by one; another user\'s browser is 404', async () => {
      const session = newSession(server.url);
      const fresh = await addTotp(alice, 'Browser test');
      await signInToAccount(session, alice, { totpSecret: fresh.secret, totpOffset: 1, remember: true });
      const page = await openAccount(session, '/account/sessions');
      const id = /data-browser="([^"]+)"/.exec(page.html)![1]!;
      const bobs = await server.services.remembered.remember(bob.id, ['otp'], 8, 'Bob browser');
      void bobs;
      const bobId = (await server.services.repos.rememberedBrowsers.listLive(bob.id))[0]!.id;
      assert.equal((await postAccount(session, page, '/account/browsers/revoke', { browser: bobId })).res.status, 404);
      assert.equal((await server.services.repos.rememberedBrowsers.listLive(bob.id)).length, 1);
      const done = await postAccount(session, page, '/account/browsers/revoke', { browser: id });
      assert.match(done.html, /The browser was forgotten/);
      assert.equal((await server.services.repos.rememberedBrowsers.listLive(alice.id)).length, 0);
    });

    it('saves the profile and refuses bad values', async () => {
      const session = newSession(server.url);
      const fresh = await addTotp(alice, 'Profile test');
      const page = await signInToAccount(session, alice, { totpSecret: fresh.secret, totpOffset: 1 });
      const bad = await postAccount(session, page, '/account/profile', { name: 'A', locale: 'fr' });
      assert.equal(bad.res.status, 400);
      const long = await postAccount(session, page, '/account/profile', { name: 'x'.repeat(101), locale: 'en' });
      assert.equal(long.res.status, 400);
      const ok = await postAccount(session, page, '/account/profile', { name: 'Alice Liddell', locale: 'ja' });
      assert.match(ok.html, /変更を保存しました/);
      const stored = await server.services.repos.users.findById(alice.id);
      assert.equal(stored?.name, 'Alice Liddell');
      assert.equal(stored?.locale, 'ja');
    });
  });
}
