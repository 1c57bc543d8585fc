/**
 * Issue 3 in Chromium: when the second factor is not at hand — a backup code (and, where
 * the organisation asks, a fresh set-up after it, seed 001), the end of the sign-in after
 * the wrong-code limit (seed 004), and an organisation where MFA is optional.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { type TestContext, fillSignIn, launchBrowser, newTestContext, openAuthorization, redeem } from '../helpers/browser.js';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { totpCode } from '../helpers/mfa.js';
import { relyingParty } from '../helpers/rp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.js';

const TEXT = {
  en: {
    mfaTitle: 'Two-step verification',
    backupMethod: 'Backup code',
    backupPrompt: 'Enter one of your 8-digit backup codes. Each works once.',
    verify: 'Verify',
    backupUsedTitle: 'Backup code accepted',
    nineLeft: 'You have 9 unused backup codes left.',
    continue: 'Continue',
    lockedTitle: 'Sign-in stopped',
    locked: /^Too many wrong codes\. This sign-in has ended; you can try again after .+\.$/,
    backToApp: 'Return to the application',
    attemptsLeft: (n: number) => `Attempts left before this sign-in ends: ${n}.`,
    invalid: 'The code is incorrect. Check it and try again.',
  },
  ja: {
    mfaTitle: '2段階認証',
    backupMethod: 'バックアップコード',
    backupPrompt: '8桁のバックアップコードを1つ入力してください。各コードは1回だけ使えます。',
    verify: '確認',
    backupUsedTitle: 'バックアップコードを確認しました',
    reenrol: 'ご所属の組織の設定により、2段階認証をもう一度設定してください。',
    continue: '次へ',
    enrolTitle: '2段階認証の設定',
    totpTitle: '認証アプリの設定',
    confirm: '確認',
    backupTitle: 'バックアップコードの保存',
    saved: 'コードを保存しました',
  },
} as const;

/** Six digits that no TOTP step in the server's window accepts. */
function wrongTotp(secret: string): string {
  const valid = new Set([-1, 0, 1].map((o) => totpCode(secret, o)));
  return ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c))!;
}

async function postStatus(page: Page, step: string, click: () => Promise<void>): Promise<number> {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith(`/${step}`));
  await click();
  return (await answered).status();
}

describe('backup codes, wrong-code limit and optional MFA in Chromium', () => {
  let server: TestServer;
  let sink: SmtpSink;
  let browser: Browser;

  before(async () => {
    browser = await launchBrowser();
    sink = await startSmtpSink();
    server = await startTestServer({ env: { IDP_SMTP_URL: sink.url } });
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
    await sink?.stop();
  });

  async function orgWithClient(code: string, settings: Parameters<typeof createOrg>[2]) {
    const org = await createOrg(server.services, code, settings);
    const client = await createClient(server.services, { orgId: org.id, name: `${code} app` });
    return { org, client, rp: await relyingParty(server.url, client) };
  }

  /** An authenticator app and backup codes set up through the services (the code of the current step is used). */
  async function withTotp(fixture: FixtureUser): Promise<{ secret: string; backupCodes: string[] }> {
    const { services } = server;
    const user = (await services.repos.users.findById(fixture.id))!;
    const org = (await services.repos.orgs.findByCode(fixture.orgCode))!;
    const totp = await services.secondFactors.startTotp(user, org);
    assert.deepEqual(await services.secondFactors.confirmTotp(user, totp.factorId, totpCode(totp.secret), 'Phone'), { ok: true });
    const backupCodes = await services.secondFactors.issueBackupCodes(user);
    return { secret: totp.secret.replace(/\s+/g, ''), backupCodes };
  }

  /** Sign-in up to the MFA page; returns the authorization start. */
  async function toMfaPage(tc: TestContext, rp: oidc.Configuration, client: FixtureClient, user: FixtureUser, lang: 'en' | 'ja') {
    const { start } = await openAuthorization(tc.page, rp, client);
    await fillSignIn(tc.page, lang, user);
    await tc.page.waitForURL(/\/interaction\/[^/]+$/);
    assert.equal(await tc.page.title(), TEXT[lang].mfaTitle);
    return start;
  }

  async function useBackupCode(page: Page, lang: 'en' | 'ja', code: string): Promise<void> {
    const text = TEXT[lang];
    await page.locator('section.other-methods').getByRole('button', { name: text.backupMethod, exact: true }).click();
    await page.waitForURL(/\/interaction\/[^/]+$/);
    assert.equal(await page.locator('h2').first().innerText(), text.backupMethod);
    assert.equal(await page.locator('label[for=code]').innerText(), text.backupPrompt);
    // typed as printed, with the space in the middle
    await page.locator('input#code').fill(`${code.slice(0, 4)} ${code.slice(4)}`);
    await page.getByRole('button', { name: text.verify, exact: true }).click();
    await page.waitForURL(/\/interaction\/[^/]+$/);
    assert.equal(await page.title(), text.backupUsedTitle);
  }

  it('signs in with a backup code chosen under the other ways and says 9 remain (en)', async () => {
    const text = TEXT.en;
    const { org, client, rp } = await orgWithClient('BACKUP', { mfa: 'required', methods: ['totp', 'email'] });
    const user = await createUser(server.services, org);
    const { backupCodes } = await withTotp(user);
    const tc = await newTestContext(browser, { locale: 'en-US' });
    try {
      const { page } = tc;
      const start = await toMfaPage(tc, rp, client, user, 'en');
      await useBackupCode(page, 'en', backupCodes[0]!);
      assert.equal(await page.locator('p.lead').innerText(), text.nineLeft);
      assert.equal(tc.callbacks.length, 0, 'the notice comes before the relying party');
      await page.getByRole('button', { name: text.continue, exact: true }).click();
      const claims = (await redeem(rp, start, await tc.waitForCallback())).claims()!;
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'urn:idp:acr:mfa');
    } finally {
      await tc.close();
    }
    // the code worked once
    const again = await newTestContext(browser, { locale: 'en-US' });
    try {
      const { page } = again;
      await toMfaPage(again, rp, client, user, 'en');
      await page.locator('section.other-methods').getByRole('button', { name: text.backupMethod, exact: true }).click();
      await page.waitForURL(/\/interaction\/[^/]+$/);
      await page.locator('input#code').fill(backupCodes[0]!);
      assert.equal(await postStatus(page, 'mfa', () => page.getByRole('button', { name: text.verify, exact: true }).click()), 400);
      assert.match(await page.locator('#code-error').innerText(), new RegExp(`^${text.invalid}`));
    } finally {
      await again.close();
    }
  });

  it('shows the set-up again after a backup code where the organisation asks for it (seed 001, ja)', async () => {
    const text = TEXT.ja;
    const { org, client, rp } = await orgWithClient('ANPI', { mfa: 'required', methods: ['totp', 'email'], reenrolAfterBackupCode: true });
    const user = await createUser(server.services, org);
    const { backupCodes } = await withTotp(user);
    const tc = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const { page } = tc;
      const start = await toMfaPage(tc, rp, client, user, 'ja');
      await useBackupCode(page, 'ja', backupCodes[3]!);
      assert.match(await page.locator('main, body').first().innerText(), new RegExp(text.reenrol));
      await page.getByRole('button', { name: text.continue, exact: true }).click();

      // the old factors are gone: the set-up page, as at the first sign-in
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.title(), text.enrolTitle);
      assert.deepEqual(await server.services.secondFactors.enrolledMethods(user.id), []);
      await page.locator('button#enrol-totp').click();
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.title(), text.totpTitle);
      const href = (await page.locator('a#otpauth-link').getAttribute('href')) ?? '';
      const secret = new URL(href).searchParams.get('secret') ?? '';
      assert.match(secret, /^[A-Z2-7]{16,}$/);
      await page.locator('input#code').fill(totpCode(secret));
      await page.getByRole('button', { name: text.confirm, exact: true }).click();
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.title(), text.backupTitle);
      const fresh = (await page.locator('#backup-codes code').allInnerTexts()).map((c) => c.replace(/\s+/g, ''));
      assert.equal(fresh.length, 10);
      assert.ok(!fresh.includes(backupCodes[4]!), 'a new set of backup codes');
      await page.getByLabel(text.saved, { exact: true }).check();
      await page.getByRole('button', { name: text.continue, exact: true }).click();
      const claims = (await redeem(rp, start, await tc.waitForCallback())).claims()!;
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    } finally {
      await tc.close();
    }
  });

  it('ends the sign-in after the wrong-code limit and returns to the application with access_denied (seed 004)', async () => {
    const text = TEXT.en;
    const { org, client, rp } = await orgWithClient('FILTER', { mfa: 'required', methods: ['totp'], wrongCodeLimit: 3 });
    const user = await createUser(server.services, org);
    const { secret } = await withTotp(user);
    const tc = await newTestContext(browser, { locale: 'en-US' });
    try {
      const { page } = tc;
      const start = await toMfaPage(tc, rp, client, user, 'en');
      const statuses: number[] = [];
      for (let i = 1; i <= 3; i++) {
        await page.locator('input#code').fill(wrongTotp(secret));
        statuses.push(await postStatus(page, 'mfa', () => page.getByRole('button', { name: text.verify, exact: true }).click()));
        if (i < 3) assert.equal(await page.locator('#code-error').innerText(), `${text.invalid} ${text.attemptsLeft(3 - i)}`);
      }
      assert.deepEqual(statuses, [400, 400, 429]);
      assert.equal(await page.title(), text.lockedTitle);
      assert.match(await page.locator('p.lead').innerText(), text.locked);
      assert.equal(await page.locator('input#code').count(), 0, 'no code field any more');
      assert.equal(tc.callbacks.length, 0);

      await page.getByRole('button', { name: text.backToApp, exact: true }).click();
      const callback = await tc.waitForCallback();
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), start.state);
      assert.equal(callback.searchParams.get('code'), null);
      await page.waitForURL((u) => u.origin === 'http://127.0.0.1:9');
    } finally {
      await tc.close();
    }
  });

  it('asks only users with a factor for it where MFA is optional', async () => {
    const { org, client, rp } = await orgWithClient('OPTIONAL', { mfa: 'optional', methods: ['totp', 'email'] });
    const plain = await createUser(server.services, org);
    const careful = await createUser(server.services, org);
    const { secret } = await withTotp(careful);

    const a = await newTestContext(browser, { locale: 'en-US' });
    try {
      const { start } = await openAuthorization(a.page, rp, client);
      await fillSignIn(a.page, 'en', plain);
      const claims = (await redeem(rp, start, await a.waitForCallback())).claims()!;
      assert.equal(claims.sub, plain.id);
      assert.deepEqual(claims.amr, ['pwd']);
      assert.equal(claims.acr, 'urn:idp:acr:pwd');
    } finally {
      await a.close();
    }

    const b = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const start = await toMfaPage(b, rp, client, careful, 'ja');
      // the set-up used the current step; the next one is fresh
      await b.page.locator('input#code').fill(totpCode(secret, 1));
      await b.page.getByRole('button', { name: TEXT.ja.verify, exact: true }).click();
      const claims = (await redeem(rp, start, await b.waitForCallback())).claims()!;
      assert.equal(claims.sub, careful.id);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'urn:idp:acr:mfa');
    } finally {
      await b.close();
    }
  });
});
