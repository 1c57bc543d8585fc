import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { fillSignIn, launchBrowser, newTestContext, openAuthorization, redeem, screenshotPath } from '../helpers/browser.js';
import { createClient, createOrg, createUser, type FixtureClient } from '../helpers/fixtures.js';
import { relyingParty } from '../helpers/rp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CHANGE = {
  ja: {
    title: 'パスワードの変更',
    leadFirst: '初回ログインです。ご自身で新しいパスワードを設定してください。',
    newPassword: '新しいパスワード',
    confirm: '新しいパスワード（確認）',
    submit: 'パスワードを変更',
    mismatch: '新しいパスワードが一致しません。',
    tooShort: 'パスワードは8文字以上で入力してください。',
  },
  en: {
    title: 'Change your password',
    leadFirst: 'This is your first sign-in. Please set a new password of your own.',
    newPassword: 'New password',
    confirm: 'New password (again)',
    submit: 'Change password',
    mismatch: 'The two new passwords do not match.',
    tooShort: 'The password must be at least 8 characters long.',
  },
} as const;

const STRONG = 'correct horse battery staple 42!';

/** The gauge's value once the debounced strength request for the typed text has answered. */
async function typeAndReadGauge(page: Page, label: string, text: string): Promise<number> {
  const input = page.getByLabel(label, { exact: true });
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/strength'));
  await input.fill('');
  await input.pressSequentially(text, { delay: 5 });
  const response = await answered;
  assert.equal(response.status(), 200);
  const { score } = (await response.json()) as { score: number };
  // the page applies the answer right after it arrives
  await page.waitForFunction(`Number(document.getElementById('strength-meter').value) === ${score}`);
  return Number(await page.locator('meter#strength-meter').evaluate((el) => (el as unknown as { value: number }).value));
}

describe('forced password change in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let org: { id: string; code: string };
  let client: FixtureClient;
  let rp: oidc.Configuration;

  before(async () => {
    // the browser first: without Chromium the suite fails here, before a server is left running
    browser = await launchBrowser();
    server = await startTestServer();
    org = await createOrg(server.services, 'ACME');
    client = await createClient(server.services, { orgId: org.id, name: 'Billing' });
    rp = await relyingParty(server.url, client);
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
  });

  for (const [locale, lang] of [
    ['ja-JP', 'ja'],
    ['en-US', 'en'],
  ] as const) {
    it(`walks through the first-login password change (${lang}) and signs in with the new password afterwards`, async (t) => {
      const text = CHANGE[lang];
      const user = await createUser(server.services, org, { mustChangePassword: true });
      const newPassword = `${STRONG} ${lang}`;
      const first = await newTestContext(browser, { locale });
      try {
        const { page } = first;
        const { start } = await openAuthorization(page, rp, client);
        await fillSignIn(page, lang, user);

        // the change page follows the password, in the same interaction
        await page.waitForURL(/\/interaction\/[^/]+$/);
        assert.equal(await page.title(), text.title);
        assert.equal(await page.locator('html').getAttribute('lang'), lang);
        assert.equal(await page.locator('p.lead').innerText(), text.leadFirst);
        assert.equal(first.callbacks.length, 0, 'no code before the password is changed');

        // the gauge follows the typing: visible with JavaScript, low for weak, higher for strong
        const meter = page.locator('meter#strength-meter');
        assert.equal(await page.locator('#strength').isVisible(), true);
        assert.equal(await meter.getAttribute('min'), '0');
        assert.equal(await meter.getAttribute('max'), '4');
        const weak = await typeAndReadGauge(page, text.newPassword, 'password');
        assert.ok(weak <= 1, `"password" scores low (${weak})`);
        const weakText = await page.locator('#strength-text').innerText();
        assert.notEqual(weakText, '');
        const strong = await typeAndReadGauge(page, text.newPassword, STRONG);
        assert.ok(strong >= 3 && strong > weak, `a long passphrase scores higher (${strong} > ${weak})`);
        const strongText = await page.locator('#strength-text').innerText();
        assert.notEqual(strongText, weakText, 'the gauge text changes with the score');
        const labels = JSON.parse((await page.locator('#strength-text').getAttribute('data-labels')) ?? '[]') as string[];
        assert.equal(strongText, labels[strong]);

        if (lang === 'ja') {
          const shot = screenshotPath('change-password-ja.png');
          await page.screenshot({ path: shot, fullPage: true });
          t.diagnostic(`screenshot of the change-password page: ${shot}`);
          console.log(`screenshot of the change-password page: ${shot}`);
        }

        // a mismatched confirmation: the error stands next to the confirmation field
        const mismatch = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/password'));
        await page.getByLabel(text.newPassword, { exact: true }).fill(newPassword);
        await page.getByLabel(text.confirm, { exact: true }).fill(`${newPassword}x`);
        await page.getByRole('button', { name: text.submit, exact: true }).click();
        assert.equal((await mismatch).status(), 400);
        const confirmError = page.locator('#confirm-password-error');
        assert.equal(await confirmError.innerText(), text.mismatch);
        const confirmInput = page.getByLabel(text.confirm, { exact: true });
        assert.equal(await confirmInput.getAttribute('aria-invalid'), 'true');
        assert.match((await confirmInput.getAttribute('aria-describedby')) ?? '', /confirm-password-error/);
        assert.equal(
          await confirmError.evaluate((el) => (el as unknown as { parentElement: { className: string } }).parentElement.className),
          'field',
          'the message sits in the confirmation field',
        );
        assert.equal(await page.locator('#new-password-error').count(), 0);
        assert.equal(await page.locator('p.lead').innerText(), text.leadFirst, 'still the first-login page');

        // too short: the policy message on the new-password field
        const short = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/password'));
        await page.getByLabel(text.newPassword, { exact: true }).fill('Ab1!');
        await page.getByLabel(text.confirm, { exact: true }).fill('Ab1!');
        await page.getByRole('button', { name: text.submit, exact: true }).click();
        assert.equal((await short).status(), 400);
        assert.equal(await page.locator('#new-password-error').innerText(), text.tooShort);
        assert.equal(await page.getByLabel(text.newPassword, { exact: true }).getAttribute('aria-invalid'), 'true');
        assert.equal(await page.locator('#confirm-password-error').count(), 0);

        // a valid change finishes the sign-in at the relying party
        await page.getByLabel(text.newPassword, { exact: true }).fill(newPassword);
        await page.getByLabel(text.confirm, { exact: true }).fill(newPassword);
        await page.getByRole('button', { name: text.submit, exact: true }).click();
        const tokens = await redeem(rp, start, await first.waitForCallback());
        const claims = tokens.claims()!;
        assert.equal(claims.sub, user.id);
        assert.deepEqual(claims.amr, ['pwd']);
      } finally {
        await first.close();
      }

      // a fresh browser: the new password works and the change page does not come back
      const second = await newTestContext(browser, { locale });
      try {
        const { page } = second;
        const { start } = await openAuthorization(page, rp, client);
        const old = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/login'));
        await fillSignIn(page, lang, user);
        assert.equal((await old).status(), 401, 'the old password no longer works');
        await fillSignIn(page, lang, { username: user.username, password: newPassword });
        const tokens = await redeem(rp, start, await second.waitForCallback());
        assert.equal(tokens.claims()!.sub, user.id);
        assert.ok(
          second.requests.every((url) => !/^\/interaction\/[^/]+\/(password|strength)$/.test(new URL(url).pathname)),
          'no change-password step this time',
        );
      } finally {
        await second.close();
      }
    });
  }

  it("shows the change page in the user's saved language, and its switcher keeps the step", async () => {
    const user = await createUser(server.services, org, { mustChangePassword: true, locale: 'en' });
    const newPassword = `${STRONG} saved`;
    const { page, waitForCallback, close } = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const { start } = await openAuthorization(page, rp, client);
      assert.equal(await page.locator('html').getAttribute('lang'), 'ja', 'the user is not known yet');
      await fillSignIn(page, 'ja', user);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      const stepUrl = page.url();
      assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the saved language beats Accept-Language');
      assert.equal(await page.title(), CHANGE.en.title);

      await page.locator('nav.lang').getByRole('link', { name: '日本語' }).click();
      await page.waitForURL(stepUrl);
      assert.equal(await page.title(), CHANGE.ja.title, 'an explicit choice on the switcher wins');
      await page.getByLabel(CHANGE.ja.newPassword, { exact: true }).fill(newPassword);
      await page.getByLabel(CHANGE.ja.confirm, { exact: true }).fill(newPassword);
      await page.getByRole('button', { name: CHANGE.ja.submit, exact: true }).click();
      assert.equal((await redeem(rp, start, await waitForCallback())).claims()!.sub, user.id);
    } finally {
      await close();
    }
  });

  it('marks the change form with new-password and username autocomplete tokens', async () => {
    const user = await createUser(server.services, org, { mustChangePassword: true });
    const { page, close } = await newTestContext(browser, { locale: 'en-US' });
    try {
      await openAuthorization(page, rp, client);
      await fillSignIn(page, 'en', user);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.title(), CHANGE.en.title);
      assert.equal(await page.locator('input[name=newPassword]').getAttribute('autocomplete'), 'new-password');
      assert.equal(await page.locator('input[name=confirm]').getAttribute('autocomplete'), 'new-password');
      // the account the new password belongs to, for password managers
      assert.equal(await page.locator('input[name=username]').getAttribute('autocomplete'), 'username');
      assert.equal(await page.locator('input[name=username]').inputValue(), user.username);
      assert.equal(await page.locator('input[autocomplete=current-password]').count(), 0);
      // both new-password fields have a working show/hide toggle
      for (const id of ['new-password', 'confirm-password']) {
        const toggle = page.locator(`button.toggle-password[data-target=${id}]`);
        assert.equal(await toggle.isVisible(), true);
        await toggle.click();
        assert.equal(await page.locator(`#${id}`).getAttribute('type'), 'text');
        assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
      }
    } finally {
      await close();
    }
  });
});
