/**
 * The account's two-step verification pages in Chromium, in Japanese and English:
 * removing a method behind "confirm it is you" (a wrong code, then the right one) and the
 * last method kept where the organisation requires MFA (ja); the QR code shown again only
 * after a current code from that authenticator (seed 004, ja and en); an authenticator
 * added from the account page (ja, en) and renamed (en); "Cannot sign in?" on the second-step page
 * of the account sign-in, a backup code, the set-up again (seed 001) and the activity page
 * that records it (en); the password change with the strength gauge ending the other
 * sessions (ja).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LOCALE, T, signInToAccountPage, signOutAndBack, withTotp } from '../helpers/account-browser.js';
import { fillSignIn, launchBrowser, newTestContext } from '../helpers/browser.js';
import { createOrg, createUser } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TotpApp } from '../helpers/totp-app.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.js';

/** The pages' own catalogues: every visible string is checked in the page language. */

/** Status of the POST a click sends to a path. */
async function postStatus(page: Page, path: RegExp, click: () => Promise<void>): Promise<number> {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && path.test(new URL(r.url()).pathname));
  await click();
  return (await answered).status();
}

describe('two-step verification on the account pages in Chromium', () => {
  let server: TestServer;
  let sink: SmtpSink;
  let browser: Browser;

  before(async () => {
    browser = await launchBrowser();
    sink = await startSmtpSink();
    server = await startTestServer({ env: { IDP_SMTP_URL: sink.url } });
    // more than one organisation: the sign-in page asks for the organisation code
    await createOrg(server.services, 'OTHER');
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
    await sink?.stop();
  });

  const factorItem = (page: Page, label: string) => page.locator('#factors li', { has: page.locator('.factor-label', { hasText: label }) });

  it('ja: removing a method asks to confirm it is you (wrong code at the field, then the right one); the last method stays where MFA is required; the activity page lists it', async () => {
    const t = T.ja;
    const org = await createOrg(server.services, 'STEPJA', { mfa: 'required', methods: ['totp'], rememberHours: 8 });
    const user = await createUser(server.services, org);
    const phone = await withTotp(server.services, user, 'スマートフォン');
    const tablet = await withTotp(server.services, user, 'タブレット');
    const tc = await newTestContext(browser, { locale: LOCALE.ja });
    try {
      const { page } = tc;
      // a sign-in on a remembered browser proves no second step: the removal asks for one
      await page.goto(`${server.url}/account/security`);
      await signInToAccountPage(page, 'ja', user, { app: phone.app, remember: true, landing: /\/account\/security$/ });
      await signOutAndBack(page, 'ja');
      await signInToAccountPage(page, 'ja', user, { landing: /\/account$/ });
      await page.getByRole('link', { name: t('account.nav.security'), exact: true }).click();
      await page.getByRole('heading', { name: t('account.security.title'), level: 1 }).waitFor();
      assert.equal(await page.locator('p.lead').innerText(), t('account.security.required'));

      await factorItem(page, 'タブレット').getByRole('button', { name: t('account.security.remove'), exact: true }).click();
      await page.waitForURL(/\/account\/verify\?return=/);
      await page.getByRole('heading', { name: t('account.stepUp.title'), level: 1 }).waitFor();
      assert.equal(await page.locator('p.lead').innerText(), t('account.stepUp.lead'));
      assert.equal(await page.locator('h2').first().innerText(), t('mfa.methods.totp'));
      assert.ok(await server.services.repos.factors.findForUser(user.id, tablet.factorId), 'nothing removed before the step-up');

      // a wrong code: the message stands at the code field
      await page.locator('input#code').fill(tablet.app.wrong());
      assert.equal(await postStatus(page, /^\/account\/verify$/, () => page.getByRole('button', { name: t('mfa.verify'), exact: true }).click()), 400);
      assert.equal(await page.locator('#code-error').innerText(), t('code.invalid'));
      assert.equal(await page.locator('input#code').getAttribute('aria-invalid'), 'true');
      assert.match((await page.locator('input#code').getAttribute('aria-describedby')) ?? '', /code-error/);

      // the right code: back to the security page, where the removal now goes through
      await page.locator('input#code').fill(await tablet.app.next());
      await page.getByRole('button', { name: t('mfa.verify'), exact: true }).click();
      await page.waitForURL(/\/account\/security\?done=verified$/);
      assert.equal(await page.locator('#notice').innerText(), t('account.notice.verified'), 'the page says to repeat the change');
      await factorItem(page, 'タブレット').getByRole('button', { name: t('account.security.remove'), exact: true }).click();
      await page.waitForURL(/\/account\/security\?done=removed$/);
      assert.equal(await page.locator('#notice').innerText(), t('account.notice.removed'));
      assert.equal(await factorItem(page, 'タブレット').count(), 0);
      assert.equal(await factorItem(page, 'スマートフォン').count(), 1);
      assert.equal(await server.services.repos.factors.findForUser(user.id, tablet.factorId), undefined);

      // the last method: refused with a clear message, nothing removed
      const status = await postStatus(page, /\/remove$/, () =>
        factorItem(page, 'スマートフォン').getByRole('button', { name: t('account.security.remove'), exact: true }).click(),
      );
      assert.equal(status, 409);
      assert.equal(await page.locator('p.lead[role=alert]').innerText(), t('account.lastFactor'));
      assert.ok(await server.services.repos.factors.findForUser(user.id, phone.factorId));
      await page.getByRole('link', { name: t('error.backToStep') }).click();
      await page.waitForURL(/\/account\/security$/);
      assert.equal(await factorItem(page, 'スマートフォン').count(), 1);

      // the activity page, in Japanese: the sign-ins, the wrong code and the removal
      await page.getByRole('link', { name: t('account.nav.activity'), exact: true }).click();
      await page.getByRole('heading', { name: t('account.activity.title'), level: 1 }).waitFor();
      const rows = page.locator('#activity tbody tr');
      assert.equal(await rows.filter({ hasText: t('account.activity.mfa.factor_removed') }).count(), 1);
      assert.equal(await rows.filter({ hasText: t('account.activity.mfa.failed') }).count(), 1);
      assert.ok((await page.locator('#activity tbody tr[data-type="login.succeeded"]').allInnerTexts()).every((r) => r.includes(t('account.activity.login.succeeded'))));
      assert.ok((await page.locator('#activity tbody tr[data-type="login.succeeded"]').count()) >= 2);
      assert.match(await page.locator('#activity thead').innerText(), new RegExp(t('account.activity.what')));
    } finally {
      await tc.close();
    }
  });

  it('ja: shows the QR code again only after a current code from that authenticator (seed 004), then adds a second authenticator from the account page', async () => {
    const t = T.ja;
    const org = await createOrg(server.services, 'QRJA', { mfa: 'required', methods: ['totp'] });
    const user = await createUser(server.services, org);
    const phone = await withTotp(server.services, user, '会社のスマホ');
    const tc = await newTestContext(browser, { locale: LOCALE.ja });
    try {
      const { page } = tc;
      await page.goto(`${server.url}/account/security`);
      await signInToAccountPage(page, 'ja', user, { app: phone.app, landing: /\/account\/security$/ });
      await factorItem(page, '会社のスマホ').getByRole('link', { name: t('account.security.showQr'), exact: true }).click();
      await page.getByRole('heading', { name: t('account.qr.title', { label: '会社のスマホ' }), level: 1 }).waitFor();
      assert.equal(await page.locator('p.lead').innerText(), t('account.qr.lead'));
      assert.equal(await page.locator('#otpauth-link').count(), 0, 'no QR code before the code');

      // a wrong code, then the code already used at the sign-in: refused, no QR code
      await page.locator('input#code').fill(phone.app.wrong());
      assert.equal(await postStatus(page, /\/qr$/, () => page.getByRole('button', { name: t('account.qr.show'), exact: true }).click()), 400);
      assert.equal(await page.locator('#code-error').innerText(), t('code.invalid'));
      assert.equal(await page.locator('#otpauth-link').count(), 0);
      await page.locator('input#code').fill(phone.app.used());
      assert.equal(await postStatus(page, /\/qr$/, () => page.getByRole('button', { name: t('account.qr.show'), exact: true }).click()), 400);
      assert.equal(await page.locator('#code-error').innerText(), t('code.replayed'));
      assert.equal(await page.locator('#otpauth-link').count(), 0);

      // a current code: the QR code, the link and the same key as at the set-up
      await page.locator('input#code').fill(await phone.app.next());
      assert.equal(await postStatus(page, /\/qr$/, () => page.getByRole('button', { name: t('account.qr.show'), exact: true }).click()), 200);
      assert.equal(await page.locator('p.lead').innerText(), t('account.qr.shownLead'));
      assert.equal(await page.locator('.qr svg').isVisible(), true);
      const href = new URL((await page.locator('#otpauth-link').getAttribute('href')) ?? '');
      assert.equal(href.protocol, 'otpauth:');
      assert.equal(href.searchParams.get('secret'), phone.app.secret);
      await page.getByText(t('totp.showSecret'), { exact: true }).click();
      assert.equal((await page.locator('#totp-secret').innerText()).replace(/\s+/g, ''), phone.app.secret);
      await page.getByRole('link', { name: t('account.backToSecurity') }).click();
      await page.waitForURL(/\/account\/security$/);
      const audit = (await server.services.repos.audit.list({ userId: user.id })).map((e) => e.type);
      assert.equal(audit.filter((x) => x === 'mfa.totp_revealed').length, 1);
      assert.equal(audit.filter((x) => x === 'mfa.failed').length, 2);

      // a second authenticator from the account page, in Japanese, with the default name
      await page.getByRole('link', { name: t('account.security.addTotp'), exact: true }).click();
      await page.getByRole('heading', { name: t('account.totp.title'), level: 1 }).waitFor();
      assert.equal(await page.locator('p.lead').innerText(), t('account.totp.lead'));
      assert.equal(await page.locator('.qr').getAttribute('aria-label'), t('totp.qrAlt'));
      const secret = new URL((await page.locator('#otpauth-link').getAttribute('href')) ?? '').searchParams.get('secret') ?? '';
      assert.notEqual(secret, phone.app.secret, 'a new key');
      await page.getByLabel(t('mfa.totp.prompt', { digits: 6 }), { exact: true }).fill(await TotpApp.fresh(secret).next());
      await page.getByRole('button', { name: t('totp.confirm'), exact: true }).click();
      // no backup codes yet (the first authenticator was set up without them): a set now
      await page.getByRole('heading', { name: t('backup.title'), level: 1 }).waitFor();
      await page.getByRole('link', { name: t('backup.saved') }).click();
      await page.waitForURL(/\/account\/security$/);
      assert.deepEqual(await page.locator('#factors .factor-label').allInnerTexts(), ['会社のスマホ', t('totp.labelDefault')]);
    } finally {
      await tc.close();
    }
  });

  it('en: adds an authenticator app from the account page (QR code, a wrong then the right code, backup codes), renames it and shows its QR code again', async () => {
    const t = T.en;
    const org = await createOrg(server.services, 'ADDEN', { mfa: 'optional', methods: ['totp', 'email'] });
    const user = await createUser(server.services, org);
    const tc = await newTestContext(browser, { locale: LOCALE.en });
    try {
      const { page } = tc;
      await page.goto(`${server.url}/account/security`);
      await signInToAccountPage(page, 'en', user, { landing: /\/account\/security$/ });
      assert.equal(await page.locator('#no-factors').innerText(), t('account.security.none'));
      await page.getByRole('link', { name: t('account.security.addTotp'), exact: true }).click();
      await page.getByRole('heading', { name: t('account.totp.title'), level: 1 }).waitFor();
      assert.equal(await page.locator('.qr svg').isVisible(), true, 'the QR code, drawn inline');
      const href = (await page.locator('#otpauth-link').getAttribute('href')) ?? '';
      assert.equal(await page.locator('#otpauth-link').innerText(), t('totp.openApp'));
      await page.getByText(t('totp.showSecret'), { exact: true }).click();
      const secret = (await page.locator('#totp-secret').innerText()).replace(/\s+/g, '');
      assert.equal(new URL(href).searchParams.get('secret'), secret);
      const app = TotpApp.fresh(secret);

      await page.getByLabel(t('account.security.label'), { exact: true }).fill('Work phone');
      await page.locator('input#code').fill(app.wrong());
      assert.equal(await postStatus(page, /\/account\/factors\/totp\/confirm$/, () => page.getByRole('button', { name: t('totp.confirm'), exact: true }).click()), 400);
      assert.equal(await page.locator('#code-error').innerText(), t('code.invalid'));
      assert.equal(await page.locator('#otpauth-link').getAttribute('href'), href, 'the same key after a wrong code');
      assert.equal(await page.getByLabel(t('account.security.label'), { exact: true }).inputValue(), 'Work phone');
      await page.locator('input#code').fill(await app.next());
      await page.getByRole('button', { name: t('totp.confirm'), exact: true }).click();

      // the first method comes with backup codes
      await page.getByRole('heading', { name: t('backup.title'), level: 1 }).waitFor();
      assert.equal(await page.locator('#backup-codes code').count(), 10);
      await page.getByRole('link', { name: t('backup.saved') }).click();
      await page.waitForURL(/\/account\/security$/);
      assert.equal(await factorItem(page, 'Work phone').count(), 1);
      assert.equal(await page.locator('#backup-count').innerText(), t('account.security.backupUnused', { n: 10 }));

      // rename
      const item = factorItem(page, 'Work phone');
      await item.getByLabel(t('account.security.label'), { exact: true }).fill('Personal phone');
      await item.getByRole('button', { name: t('account.security.rename'), exact: true }).click();
      await page.waitForURL(/done=renamed$/);
      assert.equal(await page.locator('#notice').innerText(), t('account.notice.renamed'));
      assert.equal(await factorItem(page, 'Personal phone').count(), 1);
      assert.equal(await factorItem(page, 'Work phone').count(), 0);

      // the QR code again, in English: the code used at the set-up is a replay, the next one works
      await factorItem(page, 'Personal phone').getByRole('link', { name: t('account.security.showQr'), exact: true }).click();
      await page.getByRole('heading', { name: t('account.qr.title', { label: 'Personal phone' }), level: 1 }).waitFor();
      await page.locator('input#code').fill(app.used());
      assert.equal(await postStatus(page, /\/qr$/, () => page.getByRole('button', { name: t('account.qr.show'), exact: true }).click()), 400);
      assert.equal(await page.locator('#code-error').innerText(), t('code.replayed'));
      await page.locator('input#code').fill(await app.next());
      await page.getByRole('button', { name: t('account.qr.show'), exact: true }).click();
      await page.getByText(t('account.qr.shownLead')).waitFor();
      assert.equal(new URL((await page.locator('#otpauth-link').getAttribute('href')) ?? '').searchParams.get('secret'), secret);

      const stored = await server.services.repos.factors.listByUser(user.id);
      assert.deepEqual(stored.filter((f) => f.confirmedAt !== null).map((f) => f.label), ['Personal phone']);
      const audit = (await server.services.repos.audit.list({ userId: user.id })).map((e) => e.type);
      for (const type of ['mfa.factor_added', 'mfa.factor_renamed', 'mfa.backup_codes_issued', 'mfa.totp_revealed']) assert.ok(audit.includes(type), type);
    } finally {
      await tc.close();
    }
  });

  it('en: "Cannot sign in?" on the account sign-in, a backup code, the set-up again (seed 001), back on the account pages with the activity recorded', async () => {
    const t = T.en;
    const org = await createOrg(server.services, 'ANPIEN', { mfa: 'required', methods: ['totp'], reenrolAfterBackupCode: true });
    const user = await createUser(server.services, org);
    await withTotp(server.services, user, 'Lost phone');
    const backupCodes = await server.services.secondFactors.issueBackupCodes((await server.services.repos.users.findById(user.id))!);
    const tc = await newTestContext(browser, { locale: LOCALE.en });
    try {
      const { page } = tc;
      await page.goto(`${server.url}/account/security`);
      await fillSignIn(page, 'en', { org: user.orgCode, username: user.username, password: user.password });
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.title(), t('mfa.title'));

      // the help: a backup code (and the set-up after it), the administrator, the password
      const help = page.locator('#cant-sign-in');
      await help.getByText(t('recovery.mfa.title'), { exact: true }).click();
      const items = (await help.locator('li').allInnerTexts()).map((s) => s.trim());
      assert.deepEqual(items, [t('recovery.mfa.backup'), t('recovery.mfa.backupReenrol'), t('recovery.mfa.admin'), t('recovery.mfa.password')]);
      assert.equal(await help.getByRole('link', { name: t('recovery.mfa.password') }).getAttribute('href'), '/forgot-password');

      await page.locator('section.other-methods').getByRole('button', { name: t('mfa.methods.backup'), exact: true }).click();
      await page.waitForURL(/\/interaction\/[^/]+$/);
      await page.getByLabel(t('mfa.backup.prompt'), { exact: true }).fill(backupCodes[0]!);
      await page.getByRole('button', { name: t('mfa.verify'), exact: true }).click();
      await page.getByRole('heading', { name: t('mfa.backupUsedTitle'), level: 1 }).waitFor();
      await page.getByText(t('mfa.backupReenrol')).waitFor();
      await page.getByRole('button', { name: t('backup.ack'), exact: true }).click();

      // the set-up, as at a first sign-in (the authenticator app is the one method allowed)
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.title(), t('totp.title'));
      assert.deepEqual(await server.services.secondFactors.enrolledMethods(user.id), []);
      const secret = new URL((await page.locator('#otpauth-link').getAttribute('href')) ?? '').searchParams.get('secret') ?? '';
      const app = TotpApp.fresh(secret);
      await page.locator('input#code').fill(await app.next());
      await page.getByRole('button', { name: t('totp.confirm'), exact: true }).click();
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.title(), t('backup.title'));
      const fresh = (await page.locator('#backup-codes code').allInnerTexts()).map((c) => c.replace(/\s+/g, ''));
      assert.equal(fresh.length, 10);
      assert.ok(!fresh.includes(backupCodes[1]!), 'a new set of backup codes');
      await page.getByLabel(t('backup.saved'), { exact: true }).check();
      await page.getByRole('button', { name: t('backup.ack'), exact: true }).click();

      // back on the account page asked for: the new authenticator only, ten fresh codes
      await page.waitForURL(/\/account\/security$/);
      await page.getByRole('heading', { name: t('account.security.title'), level: 1 }).waitFor();
      assert.equal(await page.locator('#factors li').count(), 1);
      assert.equal(await factorItem(page, 'Lost phone').count(), 0);
      assert.equal(await page.locator('#factors li[data-type=totp]').count(), 1);
      assert.equal(await page.locator('#backup-count').innerText(), t('account.security.backupUnused', { n: 10 }));

      await page.getByRole('link', { name: t('account.nav.activity'), exact: true }).click();
      await page.getByRole('heading', { name: t('account.activity.title'), level: 1 }).waitFor();
      const what = (await page.locator('#activity tbody tr td:nth-child(2)').allInnerTexts()).map((s) => s.trim());
      for (const key of ['account.activity.login.succeeded', 'account.activity.mfa.backup_code_used', 'account.activity.mfa.reset', 'account.activity.mfa.factor_added'] as const) {
        assert.ok(what.includes(t(key)), `${t(key)} in ${what.join(' | ')}`);
      }
    } finally {
      await tc.close();
    }
  });

  it('ja: changes the password with the strength gauge; a wrong current password is refused at its field; the other browser loses its account session', async () => {
    const t = T.ja;
    const org = await createOrg(server.services, 'PWJA', { mfa: 'optional', methods: ['totp'] });
    const user = await createUser(server.services, org);
    const first = await newTestContext(browser, { locale: LOCALE.ja });
    const second = await newTestContext(browser, { locale: LOCALE.ja });
    try {
      const { page } = first;
      await second.page.goto(`${server.url}/account`);
      await signInToAccountPage(second.page, 'ja', user, { landing: /\/account$/ });
      await page.goto(`${server.url}/account/password`);
      await signInToAccountPage(page, 'ja', user, { landing: /\/account\/password$/ });
      await page.getByRole('heading', { name: t('changePassword.title'), level: 1 }).waitFor();
      assert.equal(await page.locator('#strength').isVisible(), true, 'the gauge, shown by the page script');
      const labels = JSON.parse((await page.locator('#strength-text').getAttribute('data-labels')) ?? '[]') as string[];
      assert.deepEqual(labels, [0, 1, 2, 3, 4].map((n) => t(`strength.${n}` as 'strength.0')));

      async function gauge(text: string): Promise<number> {
        const input = page.getByLabel(t('changePassword.new'), { exact: true });
        const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/account/password/strength'));
        await input.fill('');
        await input.pressSequentially(text, { delay: 5 });
        const { score } = (await (await answered).json()) as { score: number };
        await page.waitForFunction(`Number(document.getElementById('strength-meter').value) === ${score}`);
        assert.equal(await page.locator('#strength-text').innerText(), labels[score]);
        return score;
      }
      assert.ok((await gauge('password1')) <= 1, 'a common password is weak');
      const strong = 'やまびこ 北の丘 2026 correct horse';
      assert.ok((await gauge(strong)) >= 3, 'a long passphrase is strong');

      // a wrong current password: the message at that field, nothing changed
      await page.getByLabel(t('changePassword.current'), { exact: true }).fill('not-my-password');
      await page.getByLabel(t('changePassword.confirm'), { exact: true }).fill(strong);
      assert.equal(await postStatus(page, /^\/account\/password$/, () => page.getByRole('button', { name: t('changePassword.submit'), exact: true }).click()), 400);
      assert.equal(await page.locator('#current-password-error').innerText(), t('changePassword.wrongCurrent'));
      assert.equal(await page.locator('#current-password').getAttribute('aria-invalid'), 'true');
      assert.ok(await server.services.hasher.verify((await server.services.repos.users.findById(user.id))!.passwordHash, user.password));

      await page.getByLabel(t('changePassword.current'), { exact: true }).fill(user.password);
      await page.getByLabel(t('changePassword.new'), { exact: true }).fill(strong);
      await page.getByLabel(t('changePassword.confirm'), { exact: true }).fill(strong);
      await page.getByRole('button', { name: t('changePassword.submit'), exact: true }).click();
      await page.waitForURL(/\/account\/password\?done=1$/);
      assert.equal(await page.locator('#notice').innerText(), t('account.password.changed'));

      // the other browser: its next request asks to sign in again; the new password works
      await second.page.reload();
      await second.page.getByLabel(t('login.username'), { exact: true }).waitFor();
      assert.match(second.page.url(), /\/interaction\/[^/]+$/);
      await signInToAccountPage(second.page, 'ja', { ...user, password: strong }, { landing: /\/account$/ });
      await second.page.getByText(t('account.signedInAs', { username: user.username, org: user.orgCode })).waitFor();

      // this browser stays signed in
      await page.getByRole('link', { name: t('account.nav.profile'), exact: true }).click();
      await page.waitForURL(/\/account$/);
      await page.getByRole('heading', { name: t('account.profile.title'), level: 1 }).waitFor();
    } finally {
      await first.close();
      await second.close();
    }
  });
});
