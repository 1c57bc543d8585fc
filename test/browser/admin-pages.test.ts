/**
 * The admin pages in Chromium, in English and Japanese: an administrator signs in
 * through the provider, finds a user, resets the user's two-step verification after
 * confirming it is them (step-up with the authenticator app), and changes the
 * organisation's policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { fillSignIn, launchBrowser, newTestContext, screenshotPath } from '../helpers/browser.js';
import { createOrg, createUser } from '../helpers/fixtures.js';
import { totpCode } from '../helpers/mfa.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addTotp, createAdmin } from '../admin/pages-helpers.js';

const TEXT = {
  en: {
    users: 'Users',
    search: 'User ID, name or email',
    searchButton: 'Search',
    resetMfa: 'Reset two-step verification…',
    stepUp: 'Confirm it is you',
    verify: 'Verify',
    confirmTitle: (u: string) => `Reset two-step verification of ${u}?`,
    confirm: 'Reset two-step verification',
    reset: 'Two-step verification was reset: the user sets it up again at the next sign-in.',
    policyNav: 'Sign-in policy',
    mfa: 'Use of two-step verification',
    required: 'Required',
    remember: 'Remember a browser after the second step for (hours, 0 = never, up to 720)',
    save: 'Save the policy',
    saved: 'The sign-in policy was saved.',
    invalid: 'This value is not allowed here.',
  },
  ja: {
    users: 'ユーザー',
    search: 'ユーザーID・氏名・メールアドレス',
    searchButton: '検索',
    resetMfa: '2段階認証をリセットする…',
    stepUp: '本人確認',
    verify: '確認',
    confirmTitle: (u: string) => `${u} の2段階認証をリセットしますか？`,
    confirm: '2段階認証をリセットする',
    reset: '2段階認証をリセットしました。次回ログイン時にユーザーが再設定します。',
    policyNav: 'ログインポリシー',
    mfa: '2段階認証の利用',
    required: '必須',
    remember: '2段階認証後にブラウザーを記憶する時間（時間、0 = 記憶しない、720まで）',
    save: 'ポリシーを保存',
    saved: 'ログインポリシーを保存しました。',
    invalid: 'この値は設定できません。',
  },
} as const;

describe('admin pages in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    browser = await launchBrowser();
    server = await startTestServer();
    // a second organisation, so the sign-in page asks for the organisation code
    await createOrg(server.services, 'ELSEWHERE');
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
  });

  for (const lang of ['en', 'ja'] as const) {
    it(`finds a user, resets their MFA after step-up, and changes the policy (${lang})`, async () => {
      const text = TEXT[lang];
      const code = `ORG${lang.toUpperCase()}`;
      const org = await createOrg(server.services, code, { mfa: 'optional', methods: ['totp', 'email'] });
      // signs in with the password alone (MFA optional, nothing registered yet) ...
      const admin = await createAdmin(server.services, org, { username: `admin-${lang}`, totp: false });
      const member = await createUser(server.services, org, { username: `member-${lang}`, name: lang === 'ja' ? '山田 花子' : 'Mary Member' });
      await addTotp(server.services, member);
      const { page, close } = await newTestContext(browser, { locale: lang === 'ja' ? 'ja-JP' : 'en-US' });
      try {
        await page.goto(`${server.url}/admin/users`);
        await page.waitForURL(/\/interaction\//);
        await fillSignIn(page, lang, { org: code, username: admin.username, password: admin.password });
        await page.waitForURL(`${server.url}/admin/users`);
        assert.equal(await page.title(), text.users);
        assert.equal(await page.locator('html').getAttribute('lang'), lang);
        // ... and registers an authenticator afterwards: the sign-in was not a second factor
        const secret = await addTotp(server.services, admin);

        await page.getByLabel(text.search, { exact: true }).fill(lang === 'ja' ? '山田' : 'Mary');
        await page.getByRole('button', { name: text.searchButton, exact: true }).click();
        await page.waitForURL(/\/admin\/users\?q=/);
        assert.equal(await page.locator('#users tbody tr').count(), 1);
        await page.getByRole('link', { name: member.username, exact: true }).click();
        await page.waitForURL(`${server.url}/admin/users/${member.id}`);

        await page.getByRole('link', { name: text.resetMfa, exact: true }).click();
        await page.waitForURL(/\/account\/verify\?return=/);
        assert.equal(await page.title(), text.stepUp);
        await page.locator('input#code').fill(totpCode(secret, 1));
        await page.getByRole('button', { name: text.verify, exact: true }).click();
        await page.waitForURL(`${server.url}/admin/users/${member.id}/reset-mfa`);
        assert.equal(await page.title(), text.confirmTitle(member.username));
        assert.deepEqual(await server.services.secondFactors.enrolledMethods(member.id), ['totp'], 'nothing before the confirmation');
        await page.getByRole('button', { name: text.confirm, exact: true }).click();
        await page.waitForURL(`${server.url}/admin/users/${member.id}?done=mfa-reset`);
        assert.equal(await page.locator('#notice').innerText(), text.reset);
        assert.deepEqual(await server.services.secondFactors.enrolledMethods(member.id), []);
        const [event] = await server.services.repos.audit.list({ orgId: org.id, type: 'mfa.reset', userId: member.id });
        assert.equal(event?.actor, `user:${admin.id}`);

        await page.getByRole('link', { name: text.policyNav, exact: true }).click();
        await page.waitForURL(`${server.url}/admin/policy`);
        // a value out of range is refused next to its field, and nothing is saved
        await page.getByLabel(text.remember, { exact: true }).fill('9999');
        await page.getByRole('button', { name: text.save, exact: true }).click();
        await page.waitForURL(`${server.url}/admin/policy`);
        assert.equal(await page.locator('#remember_hours-error').innerText(), text.invalid);
        assert.equal((await server.services.repos.orgs.findById(org.id))!.settings.rememberHours, 8);

        await page.getByLabel(text.mfa, { exact: true }).selectOption('required');
        assert.equal(await page.getByLabel(text.mfa, { exact: true }).locator('option:checked').innerText(), text.required);
        await page.getByLabel(text.remember, { exact: true }).fill('0');
        await page.getByRole('button', { name: text.save, exact: true }).click();
        await page.waitForURL(`${server.url}/admin/policy?done=policy-saved`);
        assert.equal(await page.locator('#notice').innerText(), text.saved);
        const settings = (await server.services.repos.orgs.findById(org.id))!.settings;
        assert.equal(settings.mfa, 'required');
        assert.equal(settings.rememberHours, 0);
        await page.screenshot({ path: screenshotPath(`admin-policy-${lang}.png`), fullPage: true });
      } finally {
        await close();
      }
    });
  }
});
