/**
 * The hosted admin pages over HTTP: who may see them, every route with good and bad
 * input (wrong types, oversized, unknown ids, missing CSRF), step-up before reset MFA
 * and disable, audit with who did it, and the 2FA address confirmation mail from the
 * real SMTP sink.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accountKey } from '../../src/auth/throttle.js';
import { linkAccount } from '../../src/federation/links.js';
import { addUpstream } from '../../src/federation/upstreams.js';
import { openAccount, postAccount, newSession } from '../helpers/account.js';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { formField, type HttpSession } from '../helpers/http-session.js';
import { totpCode } from '../helpers/mfa.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';
import { extractLink, type SmtpSink, startSmtpSink } from '../helpers/smtp.js';
import { addTotp, createAdmin, type FixtureAdmin, signInAdmin } from './pages-helpers.js';

for (const engine of engines()) {
  describe(`admin pages over HTTP (${engine})`, () => {
    let server: TestServer;
    let sink: SmtpSink;
    let acme: { id: string; code: string };
    let other: { id: string; code: string };
    let admin: FixtureAdmin;
    let session: HttpSession;
    let carol: FixtureUser;
    let stranger: FixtureUser;

    const user = (id: string) => server.services.repos.users.findById(id);
    const audits = (type: string, userId?: string) => server.services.repos.audit.list({ orgId: acme.id, type, ...(userId ? { userId } : {}) });

    before(async () => {
      sink = await startSmtpSink();
      server = await startTestServer({ engine, env: { IDP_SMTP_URL: sink.url } });
      acme = await createOrg(server.services, 'ACME', { mfa: 'optional', methods: ['totp', 'email'], passwordMinLength: 10 });
      other = await createOrg(server.services, 'OTHER');
      admin = await createAdmin(server.services, acme);
      carol = await createUser(server.services, acme, { username: 'carol', name: 'Carol Example' });
      stranger = await createUser(server.services, other, { username: 'carol' });
      session = newSession(server.url);
      await signInAdmin(session, admin);
    });
    after(async () => {
      await server.stop({ dropDatabase: true });
      await sink.stop();
    });

    it('sends a visitor who is not signed in to sign in, and back to the admin page', async () => {
      const anon = newSession(server.url);
      const res = await anon.get(`${server.url}/admin/users?q=carol`);
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), `/account/login?return=${encodeURIComponent('/admin/users?q=carol')}`);
      const post = await anon.post(`${server.url}/admin/policy`, { csrf: 'x', mfa: 'off' });
      assert.equal(post.status, 401);
    });

    it('shows a user without the admin role a 403 page in their language, and refuses their forms', async () => {
      const plain = await createUser(server.services, acme, { username: 'plain', locale: 'ja' });
      const s = newSession(server.url, 'ja');
      const { signInToAccount } = await import('../helpers/account.js');
      const account = await signInToAccount(s, plain, { path: '/account' });
      const res = await openAccount(s, '/admin/users');
      assert.equal(res.res.status, 403);
      assert.match(res.html, /このページは組織の管理者専用です/);
      assert.match(res.html, /lang="ja"/);
      const policyBefore = JSON.stringify((await server.services.repos.orgs.findById(acme.id))!.settings);
      const posted = await postAccount(s, account, '/admin/policy', { mfa: 'off' });
      assert.equal(posted.res.status, 403);
      for (const path of ['/admin', '/admin/audit', '/admin/policy', `/admin/users/${carol.id}`, '/admin/users/new']) {
        assert.equal((await s.get(`${server.url}${path}`)).status, 403, path);
      }
      const forced = await postAccount(s, account, `/admin/users/${carol.id}/force-password-change`);
      assert.equal(forced.res.status, 403);
      assert.equal((await user(carol.id))!.mustChangePassword, false);
      assert.equal(JSON.stringify((await server.services.repos.orgs.findById(acme.id))!.settings), policyBefore);
    });

    it('lists and searches the organisation\'s users with paging; bad queries are 400', async () => {
      for (let i = 0; i < 22; i++) await createUser(server.services, acme, { username: `bulk-${String(i).padStart(2, '0')}` });
      const first = await openAccount(session, '/admin/users');
      assert.equal(first.res.status, 200);
      assert.equal([...first.html.matchAll(/data-user="/g)].length, 20);
      assert.match(first.html, /1–20 of 25 users/);
      assert.match(first.html, /id="next-page"/);
      assert.doesNotMatch(first.html, new RegExp(stranger.id), 'no user of another organisation');
      const second = await openAccount(session, '/admin/users?offset=20');
      assert.equal([...second.html.matchAll(/data-user="/g)].length, 5);
      assert.match(second.html, /id="previous-page"/);
      const found = await openAccount(session, '/admin/users?q=Carol+Ex');
      assert.deepEqual([...found.html.matchAll(/data-user="([^"]+)"/g)].map((m) => m[1]), [carol.id]);
      const none = await openAccount(session, `/admin/users?q=${encodeURIComponent('%_')}`);
      assert.match(none.html, /No user matches/);
      for (const bad of [`q=${'x'.repeat(101)}`, 'offset=-1', 'offset=abc', 'limit=0', 'limit=5000', 'q=a&q=b', 'sort=name']) {
        assert.equal((await session.get(`${server.url}/admin/users?${bad}`)).status, 400, bad);
      }
      assert.equal((await session.get(`${server.url}/admin`)).headers.get('location'), '/admin/users');
    });

    it('shows a user of the organisation; unknown, malformed and other organisations\' ids are 404', async () => {
      const detail = await openAccount(session, `/admin/users/${carol.id}`);
      assert.equal(detail.res.status, 200);
      assert.match(detail.html, /User carol/);
      assert.match(detail.html, /Carol Example/);
      for (const id of [stranger.id, 'nope', 'x'.repeat(300), '..%2F..%2Fetc']) {
        const res = await session.get(`${server.url}/admin/users/${id}`);
        assert.equal(res.status, 404, id);
        assert.match(await res.text(), /The user was not found/);
      }
    });

    it('creates a user, audited with who did it; refuses taken IDs, weak passwords and bad fields', async () => {
      const form = await openAccount(session, '/admin/users/new');
      const fields = { username: 'dave', password: 'a-long-password-1', email: 'dave@example.com', name: 'Dave', locale: 'ja', role: 'user', must_change_password: 'yes' };
      const created = await postAccount(session, form, '/admin/users', fields);
      assert.equal(created.res.status, 200);
      assert.match(created.url, /\/admin\/users\/[\w-]+\?done=created$/);
      assert.match(created.html, /The user was created/);
      const dave = await server.services.repos.users.findByUsername(acme.id, 'dave');
      assert.ok(dave);
      assert.equal(dave.mustChangePassword, true);
      assert.equal(dave.locale, 'ja');
      assert.ok(await server.services.hasher.verify(dave.passwordHash, 'a-long-password-1'));
      const [event] = await audits('user.created', dave.id);
      assert.equal(event?.actor, `user:${admin.id}`);

      const taken = await postAccount(session, form, '/admin/users', { ...fields, username: 'DAVE' });
      assert.equal(taken.res.status, 409);
      assert.match(taken.html, /already exists/);
      const short = await postAccount(session, form, '/admin/users', { ...fields, username: 'erin', password: 'short' });
      assert.equal(short.res.status, 400);
      assert.match(short.html, /at least 10 characters/);
      assert.doesNotMatch(short.html, /value="short"/, 'the password is never sent back');
      for (const [name, value] of <[string, string][]>[['username', 'has space'], ['username', ''], ['email', 'not-an-email'], ['locale', 'fr'], ['role', 'root'], ['name', 'a\u0007b'], ['password', '']]) {
        const res = await postAccount(session, form, '/admin/users', { ...fields, username: 'erin', [name]: value });
        assert.equal(res.res.status, 400, `${name}=${value}`);
        assert.match(res.html, /role="alert"/);
      }
      const csrf = formField(form.html, 'csrf')!;
      const missing = await session.post(`${server.url}/admin/users`, { csrf, username: 'erin' });
      assert.equal(missing.status, 400);
      const unknown = await session.post(`${server.url}/admin/users`, { csrf, ...fields, username: 'erin', admin: 'yes' });
      assert.equal(unknown.status, 400);
      const big = await session.post(`${server.url}/admin/users`, { csrf, ...fields, username: 'erin', name: 'x'.repeat(20_000) });
      assert.equal(big.status, 413);
      const json = await session.request(`${server.url}/admin/users`, { method: 'POST', body: JSON.stringify({ csrf, ...fields, username: 'erin' }), headers: { 'content-type': 'application/json' } });
      assert.equal(json.status, 400);
      const noCsrf = await session.post(`${server.url}/admin/users`, { ...fields, username: 'erin' });
      assert.equal(noCsrf.status, 403);
      const wrongCsrf = await session.post(`${server.url}/admin/users`, { ...fields, username: 'erin', csrf: `${csrf.slice(0, -2)}xx` });
      assert.equal(wrongCsrf.status, 403);
      assert.equal(await server.services.repos.users.findByUsername(acme.id, 'erin'), undefined, 'nothing created by refused requests');
    });

    it('forces a password change and unlocks, audited with who did it; extra fields, no CSRF, unknown ids refused', async () => {
      const detail = await openAccount(session, `/admin/users/${carol.id}`);
      const forced = await postAccount(session, detail, `/admin/users/${carol.id}/force-password-change`);
      assert.match(forced.html, /choose a new password at the next sign-in/);
      assert.equal((await user(carol.id))!.mustChangePassword, true);
      assert.equal((await audits('password.change_forced', carol.id))[0]?.actor, `user:${admin.id}`);

      const key = accountKey('ACME', 'carol');
      for (let i = 0; i < 12; i++) await server.services.throttle.fail([key]);
      assert.ok(await server.services.throttle.lockedUntil([key]));
      assert.match((await openAccount(session, `/admin/users/${carol.id}`)).html, /Locked until/);
      const unlocked = await postAccount(session, detail, `/admin/users/${carol.id}/unlock`);
      assert.match(unlocked.html, /The account was unlocked/);
      assert.equal(await server.services.throttle.lockedUntil([key]), undefined);
      const [ev] = await audits('account.unlocked', carol.id);
      assert.equal(ev?.actor, `user:${admin.id}`);
      assert.equal(ev?.details?.wasLocked, true);

      const csrf = formField(detail.html, 'csrf')!;
      assert.equal((await session.post(`${server.url}/admin/users/${carol.id}/unlock`, { csrf, extra: '1' })).status, 400);
      assert.equal((await session.post(`${server.url}/admin/users/${carol.id}/unlock`, {})).status, 403);
      assert.equal((await session.post(`${server.url}/admin/users/nope/unlock`, { csrf })).status, 404);
      assert.equal((await session.post(`${server.url}/admin/users/${stranger.id}/force-password-change`, { csrf })).status, 404);
      assert.equal((await user(stranger.id))!.mustChangePassword, false);
      assert.equal((await audits('account.unlocked', carol.id)).length, 1);
    });

    it("lists a user's external sign-ins and unlinks one, audited with who did it; bad forms and other users' links refused", async () => {
      const link = async (u: FixtureUser, code: string, subject: string) => {
        const org = (await server.services.repos.orgs.findByCode(code))!;
        const up = await addUpstream(server.services, org, { slug: 'corp', issuer: `https://${code.toLowerCase()}.example`, client_id: 'c', display_name: `${code} Corp ID` }, 'test');
        return linkAccount(server.services, (await user(u.id))!, up, subject, { by: 'test' });
      };
      const none = await openAccount(session, `/admin/users/${carol.id}`);
      assert.match(none.html, /id="user-links-none"/);
      const carolLink = await link(carol, 'ACME', 'carol@corp');
      const strangerLink = await link(stranger, 'OTHER', 'stranger@other');

      const detail = await openAccount(session, `/admin/users/${carol.id}`);
      assert.match(detail.html, /External sign-ins/);
      assert.match(detail.html, /<td>ACME Corp ID<\/td>/);
      assert.match(detail.html, /<code>carol@corp<\/code>/);
      assert.match(detail.html, new RegExp(`action="/admin/users/${carol.id}/links/${carolLink.id}/unlink"`));
      assert.doesNotMatch(detail.html, /stranger@other/);

      const csrf = formField(detail.html, 'csrf')!;
      const unlinkPath = `/admin/users/${carol.id}/links/${carolLink.id}/unlink`;
      assert.equal((await session.post(`${server.url}${unlinkPath}`, {})).status, 403, 'no CSRF token');
      assert.equal((await session.post(`${server.url}${unlinkPath}`, { csrf, extra: '1' })).status, 400, 'extra field');
      assert.equal((await session.post(`${server.url}/admin/users/${carol.id}/links/nope/unlink`, { csrf })).status, 404, 'unknown link');
      assert.equal((await session.post(`${server.url}/admin/users/${carol.id}/links/${'x'.repeat(100)}/unlink`, { csrf })).status, 404, 'oversized id');
      // another organisation's user and link, by its own path or under our user
      assert.equal((await session.post(`${server.url}/admin/users/${carol.id}/links/${strangerLink.id}/unlink`, { csrf })).status, 404);
      assert.equal((await session.post(`${server.url}/admin/users/${stranger.id}/links/${strangerLink.id}/unlink`, { csrf })).status, 404);
      assert.equal((await server.services.repos.links.listByUser(stranger.id)).length, 1, "the other organisation's link stays");
      assert.equal((await server.services.repos.links.listByUser(carol.id)).length, 1, 'refused forms removed nothing');

      const done = await postAccount(session, detail, unlinkPath);
      assert.match(done.html, /The external sign-in was unlinked/);
      assert.match(done.html, /id="user-links-none"/);
      assert.equal((await server.services.repos.links.listByUser(carol.id)).length, 0);
      const [ev] = await audits('federation.unlinked', carol.id);
      assert.equal(ev?.actor, `user:${admin.id}`);
      assert.equal(ev?.details?.linkId, carolLink.id);
      assert.equal((await session.post(`${server.url}${unlinkPath}`, { csrf })).status, 404, 'a second unlink is 404');
    });

    it('disables after confirmation (never oneself) and enables again', async () => {
      const confirm = await openAccount(session, `/admin/users/${carol.id}/disable`);
      assert.equal(confirm.res.status, 200);
      assert.match(confirm.html, /Disable carol\?/);
      const csrf = formField(confirm.html, 'csrf')!;
      const unconfirmed = await session.post(`${server.url}/admin/users/${carol.id}/disable`, { csrf });
      assert.equal(unconfirmed.status, 400);
      assert.equal((await user(carol.id))!.disabled, false);
      const done = await postAccount(session, confirm, `/admin/users/${carol.id}/disable`, { confirm: 'yes' });
      assert.match(done.html, /can no longer sign in/);
      assert.equal((await user(carol.id))!.disabled, true);
      assert.equal((await audits('user.disabled', carol.id))[0]?.actor, `user:${admin.id}`);
      const enabled = await postAccount(session, done, `/admin/users/${carol.id}/enable`);
      assert.match(enabled.html, /can sign in again/);
      assert.equal((await user(carol.id))!.disabled, false);

      assert.equal((await session.get(`${server.url}/admin/users/${admin.id}/disable`)).status, 409);
      const self = await session.post(`${server.url}/admin/users/${admin.id}/disable`, { csrf, confirm: 'yes' });
      assert.equal(self.status, 409);
      assert.match(await self.text(), /cannot do this to your own account/);
      assert.equal((await user(admin.id))!.disabled, false);
      assert.doesNotMatch((await openAccount(session, `/admin/users/${admin.id}`)).html, /id="disable"/);
    });

    it('resets a user\'s MFA after confirmation, audited with who did it (seeds 001, 004)', async () => {
      await addTotp(server.services, carol);
      await server.services.secondFactors.issueBackupCodes((await user(carol.id))!);
      const confirm = await openAccount(session, `/admin/users/${carol.id}/reset-mfa`);
      assert.match(confirm.html, /Reset two-step verification of carol\?/);
      const done = await postAccount(session, confirm, `/admin/users/${carol.id}/reset-mfa`, { confirm: 'yes' });
      assert.match(done.html, /Two-step verification was reset/);
      assert.deepEqual(await server.services.secondFactors.enrolledMethods(carol.id), []);
      assert.equal(await server.services.secondFactors.hasBackupCodes(carol.id), false);
      const [ev] = await audits('mfa.reset', carol.id);
      assert.equal(ev?.actor, `user:${admin.id}`);
      assert.equal((await session.post(`${server.url}/admin/users/${carol.id}/reset-mfa`, { csrf: formField(confirm.html, 'csrf')!, confirm: 'no' })).status, 400);
    });

    it('asks for a fresh second factor before reset MFA and disable, then goes on; refuses an administrator without one', async () => {
      // signed in with the password alone; the authenticator comes afterwards
      const late = await createAdmin(server.services, acme, { username: 'late-admin', totp: false });
      const s = newSession(server.url);
      await signInAdmin(s, late);
      const secret = await addTotp(server.services, late);
      const target = await createUser(server.services, acme, { username: 'target' });
      const targetSecret = await addTotp(server.services, target);
      void targetSecret;
      const detail = await openAccount(s, `/admin/users/${target.id}`);
      for (const action of ['reset-mfa', 'disable']) {
        const get = await s.get(`${server.url}/admin/users/${target.id}/${action}`);
        assert.equal(get.status, 303);
        assert.equal(get.headers.get('location'), `/account/verify?return=${encodeURIComponent(`/admin/users/${target.id}/${action}`)}`);
        const post = await s.post(`${server.url}/admin/users/${target.id}/${action}`, { csrf: formField(detail.html, 'csrf')!, confirm: 'yes' });
        assert.equal(post.status, 303);
        assert.match(post.headers.get('location')!, /^\/account\/verify\?return=/);
      }
      assert.deepEqual(await server.services.secondFactors.enrolledMethods(target.id), ['totp'], 'nothing reset without step-up');
      assert.equal((await user(target.id))!.disabled, false);

      const verify = await openAccount(s, `/account/verify?return=${encodeURIComponent(`/admin/users/${target.id}/reset-mfa`)}`);
      const stepped = await postAccount(s, verify, '/account/verify', { method: 'totp', code: totpCode(secret, 1), return: `/admin/users/${target.id}/reset-mfa` });
      assert.equal(new URL(stepped.url).pathname, `/admin/users/${target.id}/reset-mfa`);
      const done = await postAccount(s, stepped, `/admin/users/${target.id}/reset-mfa`, { confirm: 'yes' });
      assert.match(done.html, /Two-step verification was reset/);
      assert.deepEqual(await server.services.secondFactors.enrolledMethods(target.id), []);

      const bare = await createAdmin(server.services, acme, { username: 'bare-admin', totp: false });
      const b = newSession(server.url);
      const bPage = await signInAdmin(b, bare);
      const refused = await b.get(`${server.url}/admin/users/${target.id}/disable`);
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /need your own second step/);
      const refusedPost = await b.post(`${server.url}/admin/users/${target.id}/disable`, { csrf: formField(bPage.html, 'csrf')!, confirm: 'yes' });
      assert.equal(refusedPost.status, 403);
      assert.equal((await user(target.id))!.disabled, false);
    });

    it('sets a user\'s 2FA address: the confirmation link goes to that address (seed 000); bad input refused', async () => {
      const detail = await openAccount(session, `/admin/users/${carol.id}`);
      sink.clear();
      const sent = await postAccount(session, detail, `/admin/users/${carol.id}/2fa-email`, { email: 'carol.2fa@example.org' });
      assert.equal(sent.res.status, 200);
      assert.match(sent.html, /A confirmation link was sent to carol\.2fa@example\.org/);
      assert.match(sent.html, /Waiting for confirmation: carol\.2fa@example\.org/);
      const mail = await sink.waitFor((m) => JSON.stringify(m.to).includes('carol.2fa@example.org'));
      const link = extractLink(mail);
      assert.ok(link.startsWith(`${server.url}/verify-email`), link);
      const [ev] = await audits('mfa.email_set_by_admin', carol.id);
      assert.equal(ev?.actor, `user:${admin.id}`);

      const again = await postAccount(session, detail, `/admin/users/${carol.id}/2fa-email`, { email: 'carol.other@example.org' });
      assert.equal(again.res.status, 429);
      assert.match(again.html, /Please wait \d+ seconds/);
      for (const email of ['nope', `${'x'.repeat(250)}@example.org`, '']) {
        const bad = await postAccount(session, detail, `/admin/users/${carol.id}/2fa-email`, { email });
        assert.equal(bad.res.status, 400, email);
        assert.match(bad.html, /Enter an email address/);
      }
      const csrf = formField(detail.html, 'csrf')!;
      assert.equal((await session.post(`${server.url}/admin/users/${carol.id}/2fa-email`, { csrf })).status, 400);
      assert.equal((await session.post(`${server.url}/admin/users/${carol.id}/2fa-email`, { email: 'x@example.org' })).status, 403);
      assert.equal(sink.messages.length, 1, 'one mail only');

      // the link, opened by the owner of the address, confirms it
      const opened = await fetch(link, { redirect: 'manual' });
      assert.ok(opened.status < 500);
      const factor = await server.services.secondFactors.emailFactor((await user(carol.id))!, { confirmed: true });
      assert.equal(factor?.email, 'carol.2fa@example.org');
    });

    it('shows the audit log filtered by user, type and time, with paging; bad filters are 400 and other organisations\' ids 404', async () => {
      const t0 = Date.parse('2030-01-01T00:00:00+09:00');
      for (let i = 0; i < 60; i++) {
        await server.services.repos.audit.insert({ type: 'login.failed', orgId: acme.id, userId: carol.id, details: { reason: `r${i}` } });
      }
      await server.services.repos.audit.insert({ type: 'login.failed', orgId: other.id, userId: stranger.id, details: { reason: 'other-org' } });
      const all = await openAccount(session, '/admin/audit?type=login.failed');
      assert.equal(all.res.status, 200);
      assert.equal([...all.html.matchAll(/data-event="/g)].length, 50);
      assert.doesNotMatch(all.html, /other-org/);
      const olderHref = /<a href="([^"]+)" rel="next" id="older-page"/.exec(all.html)![1]!.replace(/&amp;/g, '&');
      const second = await openAccount(session, olderHref);
      assert.ok([...second.html.matchAll(/data-event="/g)].length >= 10);
      assert.match(second.html, /id="newest-page"/);

      const byUser = await openAccount(session, `/admin/audit?user=${carol.id}&type=account.unlocked`);
      assert.equal([...byUser.html.matchAll(/data-type="account.unlocked"/g)].length, 1);
      assert.match(byUser.html, /value="carol"/, 'the username is shown in the filter');
      const byName = await openAccount(session, '/admin/audit?username=carol&type=password.change_forced');
      assert.equal([...byName.html.matchAll(/data-event="/g)].length, 1);
      assert.match(byName.html, new RegExp(`<td class="actor">${admin.username}</td>`), 'the actor is named');
      const future = await openAccount(session, `/admin/audit?from=${encodeURIComponent(new Date(t0).toISOString().slice(0, 16))}`);
      assert.match(future.html, /No events match/);
      const past = await openAccount(session, '/admin/audit?from=2000-01-01T00%3A00&to=2100-01-01T00%3A00&type=user.created');
      assert.ok([...past.html.matchAll(/data-event="/g)].length >= 1);

      for (const [query, status, text] of [
        ['type=DROP%20TABLE', 400, /event type such as/],
        ['from=yesterday', 400, /Enter a date and time/],
        ['to=2030-02-30T10%3A00', 400, /Enter a date and time/],
        ['from=2030-01-02T00%3A00&to=2030-01-01T00%3A00', 400, /must be before/],
        ['username=nobody', 400, /no user with this user ID/],
        [`username=${'x'.repeat(300)}`, 400, /could not be processed/],
        ['before=abc', 400, /could not be processed/],
        ['type=a&type=b', 400, /could not be processed/],
        ['limit=5', 400, /could not be processed/],
        [`user=${stranger.id}`, 404, /The user was not found/],
        ['user=../x', 404, /The user was not found/],
      ] as const) {
        const res = await session.get(`${server.url}/admin/audit?${query}`);
        assert.equal(res.status, status, query);
        assert.match(await res.text(), text, query);
      }
    });

    it('edits the organisation\'s policy with the same checks as the CLI and API, audited', async () => {
      const form = await openAccount(session, '/admin/policy');
      assert.equal(form.res.status, 200);
      assert.match(form.html, /name="remember_hours"[^>]*value="8"/);
      const values: Record<string, string> = {};
      for (const m of form.html.matchAll(/<input[^>]*name="([a-z_]+)"[^>]*>/g)) {
        const tag = m[0];
        const value = /value="([^"]*)"/.exec(tag)?.[1] ?? '';
        if (/type="checkbox"/.test(tag) && !/checked/.test(tag)) continue;
        if (m[1] !== 'csrf') values[m[1]!] = value;
      }
      for (const m of form.html.matchAll(/<select[^>]*name="([a-z_]+)"[^>]*>([\s\S]*?)<\/select>/g)) values[m[1]!] = /<option value="([^"]*)" selected/.exec(m[2]!)?.[1] ?? '';
      values.webauthn_aaguids = '';
      const before = (await server.services.repos.orgs.findById(acme.id))!;
      for (const [name, value] of <[string, string][]>[['remember_hours', '9999'], ['remember_hours', 'abc'], ['mfa', 'sometimes'], ['totp_digits', '7'], ['system_title', 'x'.repeat(101)], ['password_min_length', '4'], ['passkeys', 'maybe'], ['webauthn_aaguids', 'not-a-uuid']]) {
        const res = await postAccount(session, form, '/admin/policy', { ...values, [name]: value });
        assert.equal(res.res.status, 400, `${name}=${value}`);
        assert.match(res.html, /This value is not allowed here/);
      }
      const noMethods = { ...values };
      delete noMethods.method_totp;
      delete noMethods.method_email;
      assert.equal((await postAccount(session, form, '/admin/policy', noMethods)).res.status, 400);
      const missing = { ...values };
      delete missing.session_idle_minutes;
      assert.equal((await postAccount(session, form, '/admin/policy', missing)).res.status, 400);
      assert.equal((await postAccount(session, form, '/admin/policy', { ...values, mfa_everywhere: 'yes' })).res.status, 400);
      assert.equal((await session.post(`${server.url}/admin/policy`, { ...values, mfa: 'off' })).status, 403);
      assert.deepEqual((await server.services.repos.orgs.findById(acme.id))!.settings, before.settings, 'refused forms changed nothing');

      const saved = await postAccount(session, form, '/admin/policy', { ...values, mfa: 'required', remember_hours: '0', method_webauthn: 'yes', system_title: '安否確認', wrong_code_limit: '3' });
      assert.match(saved.html, /The sign-in policy was saved/);
      const after = (await server.services.repos.orgs.findById(acme.id))!.settings;
      assert.equal(after.mfa, 'required');
      assert.equal(after.rememberHours, 0);
      assert.deepEqual(after.methods, ['totp', 'email', 'webauthn']);
      assert.equal(after.systemTitle, '安否確認');
      assert.equal(after.wrongCodeLimit, 3);
      assert.equal(after.passwordMinLength, 10, 'untouched settings keep their values');
      const [ev] = await audits('org.updated');
      assert.equal(ev?.actor, `user:${admin.id}`);
      assert.deepEqual([...(ev?.details?.changed as string[])].sort(), ['methods', 'mfa', 'remember_hours', 'system_title', 'wrong_code_limit']);
      assert.equal((await server.services.repos.orgs.findById(other.id))!.settings.mfa, 'off', 'the other organisation is untouched');
    });

    it('speaks Japanese with a language switcher on every admin page', async () => {
      const ja = newSession(server.url, 'ja');
      const jaAdmin = await createAdmin(server.services, acme, { username: 'ja-admin', locale: 'ja' });
      await signInAdmin(ja, jaAdmin, '/admin/users');
      for (const [path, title] of <[string, string][]>[
        ['/admin/users', 'ユーザー'],
        [`/admin/users/${carol.id}`, 'ユーザー carol'],
        ['/admin/users/new', 'ユーザーを追加'],
        ['/admin/audit', '監査ログ'],
        ['/admin/policy', 'ログインポリシー'],
      ]) {
        const res = await openAccount(ja, path);
        assert.equal(res.res.status, 200, path);
        assert.match(res.html, new RegExp(`<title>${title}</title>`), path);
        assert.match(res.html, /<html lang="ja">/);
        if (path === `/admin/users/${carol.id}`) assert.match(res.html, /外部サービスでのログイン/);
        assert.match(res.html, new RegExp(`href="/lang/en\\?return=${encodeURIComponent(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`), path);
      }
    });
  });
}
