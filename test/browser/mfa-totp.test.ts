/**
 * Issue 3 in Chromium: the authenticator app (TOTP) as second factor — forced set-up with
 * QR code, key as text and otpauth link, backup codes with download and print, the
 * challenge at the next sign-in, the remembered browser and its revocation by a password
 * change, in English and Japanese.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { type TestContext, fillSignIn, launchBrowser, newTestContext, openAuthorization, redeem, screenshotPath } from '../helpers/browser.js';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { relyingParty } from '../helpers/rp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TotpApp } from '../helpers/totp-app.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.js';

const TEXT = {
  en: {
    enrolTitle: 'Set up two-step verification',
    totpMethod: 'Authenticator app',
    totpTitle: 'Set up an authenticator app',
    showSecret: 'Cannot scan? Show the key as text',
    confirm: 'Confirm',
    invalid: 'The code is incorrect. Check it and try again.',
    backupTitle: 'Save your backup codes',
    download: 'Download',
    print: 'Print',
    saved: 'I have saved these codes',
    ack: 'Continue',
    mfaTitle: 'Two-step verification',
    remember: 'Do not ask again on this browser for 8 hours',
    verify: 'Verify',
    newPassword: 'New password',
    confirmPassword: 'New password (again)',
    changePassword: 'Change password',
    changeTitle: 'Change your password',
  },
  ja: {
    enrolTitle: '2段階認証の設定',
    totpMethod: '認証アプリ',
    totpTitle: '認証アプリの設定',
    showSecret: '読み取れない場合：キーを文字で表示',
    confirm: '確認',
    invalid: 'コードが正しくありません。確認してもう一度入力してください。',
    backupTitle: 'バックアップコードの保存',
    download: 'ダウンロード',
    print: '印刷',
    saved: 'コードを保存しました',
    ack: '次へ',
    mfaTitle: '2段階認証',
    remember: 'このブラウザでは8時間、2段階認証を省略する',
    verify: '確認',
    newPassword: '新しいパスワード',
    confirmPassword: '新しいパスワード（確認）',
    changePassword: 'パスワードを変更',
    changeTitle: 'パスワードの変更',
  },
} as const;

/** Paths of the requests a context made after the index `from`. */
function pathsSince(tc: TestContext, from: number): string[] {
  return tc.requests.slice(from).map((u) => new URL(u).pathname);
}

async function submitCode(page: Page, code: string, button: string): Promise<number> {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && /\/interaction\/[^/]+\/(enrol-totp|mfa)$/.test(r.url()));
  await page.locator('input#code').fill(code);
  await page.getByRole('button', { name: button, exact: true }).click();
  return (await answered).status();
}

describe('second factor with an authenticator app in Chromium', () => {
  let server: TestServer;
  let sink: SmtpSink;
  let browser: Browser;
  let client: FixtureClient;
  let rp: oidc.Configuration;
  let org: { id: string; code: string };

  before(async () => {
    browser = await launchBrowser();
    sink = await startSmtpSink();
    server = await startTestServer({ env: { IDP_SMTP_URL: sink.url } });
    org = await createOrg(server.services, 'TOTPORG', { mfa: 'required', methods: ['totp', 'email'], rememberHours: 8 });
    client = await createClient(server.services, { orgId: org.id, name: 'Billing' });
    rp = await relyingParty(server.url, client);
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
    await sink?.stop();
  });

  /**
   * Password → choose page → authenticator app → QR code, otpauth link, key as text →
   * a wrong code (error at the field) → the right code → backup codes (download, print,
   * acknowledgement) → the relying party. Returns the user's authenticator.
   */
  async function enrolTotp(tc: TestContext, lang: 'en' | 'ja', user: FixtureUser, t: { diagnostic(msg: string): void }): Promise<TotpApp> {
    const text = TEXT[lang];
    const { page } = tc;
    const { start } = await openAuthorization(page, rp, client);
    await fillSignIn(page, lang, user);

    // the choose page: both methods the organisation allows
    await page.waitForURL(/\/interaction\/[^/]+$/);
    assert.equal(await page.title(), text.enrolTitle);
    assert.equal(await page.locator('html').getAttribute('lang'), lang);
    assert.equal(await page.locator('button#enrol-totp').count(), 1);
    assert.equal(await page.locator('button#enrol-email').count(), 1);
    assert.equal(tc.callbacks.length, 0, 'no code before the second factor is set up');
    await page.locator('button#enrol-totp').click();
    await page.waitForURL(/\/interaction\/[^/]+$/);
    assert.equal(await page.title(), text.totpTitle);

    // QR code drawn inline, the link that opens the app, the key only on demand
    const qr = page.locator('figure.qr svg');
    assert.equal(await qr.count(), 1, 'an inline <svg> QR code');
    assert.equal(await qr.isVisible(), true);
    const href = (await page.locator('a#otpauth-link').getAttribute('href')) ?? '';
    assert.match(href, /^otpauth:\/\/totp\//);
    const uri = new URL(href);
    assert.match(decodeURIComponent(uri.pathname), new RegExp(`${org.code}:${user.username}`));
    const secretEl = page.locator('#totp-secret');
    assert.equal(await secretEl.isVisible(), false, 'the key is hidden until asked for');
    await page.getByText(text.showSecret, { exact: true }).click();
    assert.equal(await secretEl.isVisible(), true);
    const secret = (await secretEl.innerText()).replace(/\s+/g, '');
    assert.match(secret, /^[A-Z2-7]{16,}$/);
    assert.equal(uri.searchParams.get('secret'), secret, 'the link and the text carry the same key');
    assert.equal(await page.locator('input#code').getAttribute('autocomplete'), 'one-time-code');
    const app = new TotpApp(secret);

    if (lang === 'ja') {
      const shot = screenshotPath('mfa-totp-setup-ja.png');
      await page.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`screenshot of the TOTP set-up page: ${shot}`);
    }

    // a wrong code: the message stands next to the code field, in the page's language
    assert.equal(await submitCode(page, app.wrong(), text.confirm), 400);
    const error = page.locator('#code-error');
    assert.equal(await error.innerText(), text.invalid);
    assert.equal(await page.locator('input#code').getAttribute('aria-invalid'), 'true');
    assert.match((await page.locator('input#code').getAttribute('aria-describedby')) ?? '', /code-error/);
    assert.equal(
      await error.evaluate((el) => (el as unknown as { parentElement: { className: string } }).parentElement.className),
      'field',
      'the message sits in the code field',
    );
    assert.equal(await page.locator('a#otpauth-link').getAttribute('href'), href, 'the same key after a wrong code');

    // the right code: the backup codes follow
    await page.locator('input#code').fill(app.now());
    await page.getByRole('button', { name: text.confirm, exact: true }).click();
    await page.waitForURL(/\/interaction\/[^/]+$/);
    assert.equal(await page.title(), text.backupTitle);
    const codes = (await page.locator('#backup-codes code').allInnerTexts()).map((c) => c.replace(/\s+/g, ''));
    assert.equal(codes.length, 10);
    assert.ok(codes.every((c) => /^\d{8}$/.test(c)), `8-digit codes: ${codes.join(',')}`);
    assert.equal(new Set(codes).size, 10);

    // Download: a .txt holding every code
    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: text.download, exact: true }).click();
    const download = await downloading;
    assert.match(download.suggestedFilename(), /\.txt$/);
    const file = (await readFile(await download.path())).toString('utf8').replace(/\s+/g, '');
    assert.ok(
      codes.every((c) => file.includes(c)),
      'the downloaded file holds all the codes',
    );

    // Print: shown by the page's script, opens the print dialog
    const print = page.getByRole('button', { name: text.print, exact: true });
    assert.equal(await print.isVisible(), true);
    await page.evaluate(() => {
      const w = globalThis as unknown as { print: () => void; printed?: boolean };
      w.print = () => {
        w.printed = true;
      };
    });
    await print.click();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { printed?: boolean }).printed), true);

    await page.getByLabel(text.saved, { exact: true }).check();
    await page.getByRole('button', { name: text.ack, exact: true }).click();
    const claims = (await redeem(rp, start, await tc.waitForCallback())).claims()!;
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, 'urn:idp:acr:mfa');
    return app;
  }

  it('forces the authenticator set-up (en), then asks for the code, remembers the browser for 8 hours, and forgets it after a password change', async (t) => {
    const text = TEXT.en;
    const user = await createUser(server.services, org);
    const tc = await newTestContext(browser, { locale: 'en-US' });
    try {
      const app = await enrolTotp(tc, 'en', user, t);

      // the next sign-in in a fresh browser asks for the code; "remember" is ticked
      const second = await newTestContext(browser, { locale: 'en-US' });
      try {
        const { start } = await openAuthorization(second.page, rp, client);
        await fillSignIn(second.page, 'en', user);
        await second.page.waitForURL(/\/interaction\/[^/]+$/);
        assert.equal(await second.page.title(), text.mfaTitle);
        assert.equal(await second.page.locator('input#code').getAttribute('autocomplete'), 'one-time-code');
        await second.page.getByLabel(text.remember, { exact: true }).check();
        assert.equal(await submitCode(second.page, await app.next(), text.verify), 303);
        const claims = (await redeem(rp, start, await second.waitForCallback())).claims()!;
        assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
        assert.equal(claims.acr, 'urn:idp:acr:mfa');
        const cookies = await second.context.cookies(server.url);
        assert.ok(cookies.some((c) => c.name === 'idp_rb' && c.httpOnly), 'a remembered-browser cookie');

        // the same browser with prompt=login: the password only
        const again = await openAuthorization(second.page, rp, client, { prompt: 'login' });
        const from = second.requests.length;
        await fillSignIn(second.page, 'en', user);
        const callback = await second.waitForCallback((u) => u.searchParams.get('state') === again.start.state);
        const remembered = (await redeem(rp, again.start, callback)).claims()!;
        assert.deepEqual(remembered.amr, ['pwd']);
        assert.equal(remembered.acr, 'urn:idp:acr:mfa');
        assert.ok(
          pathsSince(second, from).every((p) => !/^\/interaction\/[^/]+$/.test(p)),
          `no second-factor page after the password: ${pathsSince(second, from).join(' ')}`,
        );

        // the administrator sets a password that must be changed; the change forgets the browser
        await server.services.repos.users.setPassword(user.id, await server.services.hasher.hash(user.password), true);
        const third = await openAuthorization(second.page, rp, client, { prompt: 'login' });
        await fillSignIn(second.page, 'en', user);
        await second.page.waitForURL(/\/interaction\/[^/]+$/);
        assert.equal(await second.page.title(), text.changeTitle);
        const newPassword = 'a fresh passphrase for alice 2026';
        await second.page.getByLabel(text.newPassword, { exact: true }).fill(newPassword);
        await second.page.getByLabel(text.confirmPassword, { exact: true }).fill(newPassword);
        await second.page.getByRole('button', { name: text.changePassword, exact: true }).click();
        await second.page.waitForURL(/\/interaction\/[^/]+$/);
        assert.equal(await second.page.title(), text.mfaTitle, 'the second step is asked again');
        assert.equal((await server.services.repos.rememberedBrowsers.listLive(user.id)).length, 0, 'remembered browsers revoked');
        assert.equal(await submitCode(second.page, await app.next(), text.verify), 303);
        const after = (await redeem(rp, third.start, await second.waitForCallback((u) => u.searchParams.get('state') === third.start.state))).claims()!;
        assert.deepEqual(after.amr, ['pwd', 'otp', 'mfa']);
      } finally {
        await second.close();
      }
    } finally {
      await tc.close();
    }
  });

  it('forces the authenticator set-up in Japanese and asks for the code on a Japanese MFA page', async (t) => {
    const text = TEXT.ja;
    const user = await createUser(server.services, org);
    const tc = await newTestContext(browser, { locale: 'ja-JP' });
    let app: TotpApp;
    try {
      app = await enrolTotp(tc, 'ja', user, t);
    } finally {
      await tc.close();
    }
    const next = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const { page } = next;
      const { start } = await openAuthorization(page, rp, client);
      await fillSignIn(page, 'ja', user);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      // seed 002 wording: 2段階認証, "don't ask for 8 hours on this browser"
      assert.equal(await page.title(), text.mfaTitle);
      assert.equal(await page.locator('h1').innerText(), text.mfaTitle);
      assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
      const rememberLabel = await page.locator('label[for=remember]').innerText();
      assert.match(rememberLabel, /8時間/);
      assert.equal(rememberLabel, text.remember);
      assert.equal(await page.locator('h2').first().innerText(), text.totpMethod);
      assert.equal(await page.locator('#use-backup').innerText(), 'バックアップコード');

      const shot = screenshotPath('mfa-challenge-ja.png');
      await page.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`screenshot of the Japanese MFA page: ${shot}`);

      // a wrong code: Japanese error with the attempts left
      assert.equal(await submitCode(page, app.wrong(), text.verify), 400);
      assert.match(await page.locator('#code-error').innerText(), new RegExp(`^${text.invalid}`));
      assert.match(await page.locator('#code-error').innerText(), /残り入力回数：\d+回/);
      assert.equal(await submitCode(page, await app.next(), text.verify), 303);
      const claims = (await redeem(rp, start, await next.waitForCallback())).claims()!;
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'urn:idp:acr:mfa');
    } finally {
      await next.close();
    }
  });
});
