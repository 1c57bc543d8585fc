/**
 * The account pages and password recovery in Chromium, with mails from a real SMTP
 * server: English — sign in to /account, add the 2FA address (code from the mail), save
 * backup codes, send a test mail, change the language; Japanese — "forgot password"
 * from the sign-in page to a new password.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { fillSignIn, launchBrowser, newTestContext } from '../helpers/browser.js';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.js';

describe('account pages and recovery in Chromium', () => {
  let server: TestServer;
  let sink: SmtpSink;
  let browser: Browser;
  let alice: FixtureUser;

  before(async () => {
    browser = await launchBrowser();
    sink = await startSmtpSink();
    server = await startTestServer({ env: { IDP_SMTP_URL: sink.url } });
    const org = await createOrg(server.services, 'ACME', { mfa: 'optional', methods: ['totp', 'email'] });
    alice = await createUser(server.services, org, { username: 'alice', email: 'alice@example.com' });
    await createUser(server.services, org, { username: 'kenji', email: 'kenji@example.jp', locale: 'ja' });
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
    await sink?.stop();
  });

  it('en: signs in to /account, adds the 2FA address by the mailed code, sends a test mail, switches to Japanese', async () => {
    const t = await newTestContext(browser, { locale: 'en-US' });
    try {
      const { page } = t;
      await page.goto(`${server.url}/account/security`);
      await fillSignIn(page, 'en', { username: 'alice', password: alice.password });
      await page.waitForURL(/\/account\/security$/);
      await page.getByRole('heading', { name: 'Two-step verification', level: 1 }).waitFor();
      assert.ok(await page.getByText('You have not set up any method yet.').isVisible());

      await page.getByRole('link', { name: 'Add a two-step verification email' }).click();
      await page.getByLabel('Email address', { exact: true }).fill('alice.2fa@example.com');
      await page.getByLabel('Email address (again)', { exact: true }).fill('alice.2fa@example.com');
      await page.getByRole('button', { name: 'Send the code' }).click();
      const mail = await sink.waitFor((m) => JSON.stringify(m.to).includes('alice.2fa@example.com'));
      const code = /\b(\d{6})\b/.exec(mail.text ?? '')![1]!;
      await page.getByLabel('Verification code').fill(code);
      await page.getByRole('button', { name: 'Confirm' }).click();
      // the first method comes with backup codes, shown once
      await page.locator('#backup-codes code').first().waitFor();
      assert.equal(await page.locator('#backup-codes code').count(), 10);
      // CONTRACT.md: download and print, as at sign-in
      assert.equal(await page.getByRole('button', { name: 'Print' }).isVisible(), true);
      const shown = (await page.locator('#backup-codes code').allInnerTexts()).map((c) => c.replace(/\s+/g, ''));
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()]);
      assert.equal(download.suggestedFilename(), 'backup-codes.txt');
      const file = await readFile((await download.path())!, 'utf8');
      for (const c of shown) assert.ok(file.replace(/\s+/g, '').includes(c), `the file lists ${c}`);
      await page.getByRole('link', { name: 'I have saved these codes' }).click();
      await page.locator('#factors .factor-detail', { hasText: 'alice.2fa@example.com' }).waitFor();

      sink.clear();
      await page.getByRole('button', { name: 'Send a test mail to the two-step verification address' }).click();
      await page.getByText('A test mail was sent to your two-step verification address.').waitFor();
      const test = await sink.waitFor((m) => JSON.stringify(m.to).includes('alice.2fa@example.com'));
      assert.match(test.subject ?? '', /Test mail/);

      await page.getByRole('link', { name: 'Profile' }).click();
      await page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('変更を保存しました。').waitFor();
      const events = (await server.services.repos.audit.list({ userId: alice.id })).map((e) => e.type);
      for (const type of ['mfa.factor_added', 'mfa.test_mail_sent', 'account.profile_updated']) assert.ok(events.includes(type), type);
    } finally {
      await t.close();
    }
  });

  it('ja: パスワードをお忘れの場合 → mail → new password → sign in with it', async () => {
    const t = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const { page } = t;
      await page.goto(`${server.url}/account`);
      await page.getByRole('link', { name: 'パスワードをお忘れの場合' }).click();
      await page.getByLabel('組織コード', { exact: true }).fill('ACME');
      await page.getByLabel('ユーザーID', { exact: true }).fill('kenji');
      await page.getByRole('button', { name: 'URLを送信' }).click();
      await page.getByRole('heading', { name: 'メールをご確認ください' }).waitFor();
      const mail = await sink.waitFor((m) => JSON.stringify(m.to).includes('kenji@example.jp'));
      assert.match(mail.subject ?? '', /パスワードの再設定/);
      const link = /(http:\/\/localhost:\d+\/reset-password\/[\w-]+)/.exec(mail.text ?? '')![1]!;
      await page.goto(link);
      await page.getByLabel('新しいパスワード', { exact: true }).fill('kenji-new-password-7');
      await page.getByLabel('新しいパスワード（確認）', { exact: true }).fill('kenji-new-password-7');
      await page.getByRole('button', { name: '新しいパスワードを設定' }).click();
      await page.getByRole('heading', { name: 'パスワードを変更しました' }).waitFor();
      await page.getByRole('link', { name: 'もう一度ログイン' }).click();
      await fillSignIn(page, 'ja', { username: 'kenji', password: 'kenji-new-password-7' });
      await page.waitForURL(/\/account$/);
      await page.getByText('kenji（ACME）としてログイン中').waitFor();
    } finally {
      await t.close();
    }
  });
});
