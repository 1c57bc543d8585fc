/**
 * Issue 4 in Chromium: real WebAuthn ceremonies through the hosted pages against the
 * browser's virtual authenticator (CDP `WebAuthn.addVirtualAuthenticator`) — a USB
 * security key and platform biometrics, enrolment, second factor, passkey sign-in,
 * acr_values step-up, cancel, and a browser without WebAuthn — with an openid-client RP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { type TestContext, fillSignIn, launchBrowser, newTestContext, openAuthorization, redeem, screenshotPath } from '../helpers/browser.js';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { addTotpFactor, totpCode } from '../helpers/mfa.js';
import { relyingParty } from '../helpers/rp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const TEXT = {
  en: {
    method: 'Security key or biometrics',
    registerTitle: 'Register a security key or biometrics',
    register: 'Register',
    keyName: 'Name for this key (optional)',
    backupTitle: 'Save your backup codes',
    saved: 'I have saved these codes',
    ack: 'Continue',
    use: 'Use security key or biometrics',
    passkey: 'Sign in with a passkey',
    cancelled: 'The request was cancelled or timed out. Try again, or choose another method.',
    unsupported: 'This browser cannot use security keys or biometrics. Choose another method, or use another browser.',
  },
  ja: {
    method: 'セキュリティキーまたは生体認証',
    registerTitle: 'セキュリティキー・生体認証の登録',
    register: '登録する',
    keyName: 'このキーの名前(任意)',
    backupTitle: 'バックアップコードの保存',
    saved: 'コードを保存しました',
    ack: '次へ',
    use: '生体認証またはFIDO2セキュリティキーを使用',
    passkey: 'パスキーでログイン',
    cancelled: '操作がキャンセルされたか、時間切れになりました。もう一度お試しいただくか、別の方法を選択してください。',
    unsupported: 'このブラウザはセキュリティキー・生体認証に対応していません。別の方法を選択するか、別のブラウザをご利用ください。',
  },
} as const;

type Kind = 'usb-key' | 'platform';

/** A virtual authenticator in this page's browser context: a USB key (no PIN) or platform biometrics. */
async function addAuthenticator(page: Page, kind: Kind): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options:
      kind === 'usb-key'
        ? { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false, automaticPresenceSimulation: true }
        : { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, id: authenticatorId };
}

async function credentialsOf(auth: { cdp: CDPSession; id: string }) {
  const { credentials } = await auth.cdp.send('WebAuthn.getCredentials', { authenticatorId: auth.id });
  return credentials;
}

describe('WebAuthn in Chromium with a virtual authenticator', () => {
  let server: TestServer;
  let browser: Browser;
  let client: FixtureClient;
  let rp: oidc.Configuration;
  let org: { id: string; code: string };

  before(async () => {
    browser = await launchBrowser();
    server = await startTestServer();
    org = await createOrg(server.services, 'KEYS', { mfa: 'required', methods: ['totp', 'webauthn'], passkeys: true });
    client = await createClient(server.services, { orgId: org.id, name: 'e-Billing' });
    rp = await relyingParty(server.url, client);
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
  });

  /** Password → choose "security key or biometrics" → register with a name → backup codes → RP. */
  async function enrolKey(tc: TestContext, lang: 'en' | 'ja', user: FixtureUser, label: string) {
    const text = TEXT[lang];
    const { page } = tc;
    const { start } = await openAuthorization(page, rp, client);
    await fillSignIn(page, lang, user);
    await page.waitForURL(/\/interaction\/[^/]+$/);
    await page.locator('button#enrol-webauthn').click();
    // the same URL shows the next page: wait for that page's button (shown by its script)
    await page.getByRole('button', { name: text.register, exact: true }).waitFor();
    assert.equal(await page.title(), text.registerTitle);
    await page.getByLabel(text.keyName).fill(label);
    await page.getByRole('button', { name: text.register, exact: true }).click();
    await page.locator('#backup-codes').waitFor();
    assert.equal(await page.title(), text.backupTitle);
    assert.equal(await page.locator('#backup-codes code').count(), 10);
    await page.getByLabel(text.saved).check();
    await page.getByRole('button', { name: text.ack, exact: true }).click();
    return redeem(rp, start, await tc.waitForCallback());
  }

  it('a USB security key: registered at the forced set-up (en), then asked for after the password', async () => {
    const tc = await newTestContext(browser, { locale: 'en-US' });
    try {
      const auth = await addAuthenticator(tc.page, 'usb-key');
      const user = await createUser(server.services, org, { locale: 'en' });
      const first = await enrolKey(tc, 'en', user, 'YubiKey 5');
      assert.deepEqual(first.claims()!.amr, ['pwd', 'hwk', 'mfa']);
      const [stored] = await server.services.repos.webauthnCredentials.listByUser(user.id);
      assert.equal(stored?.label, 'YubiKey 5');
      assert.deepEqual(stored?.transports, ['usb']);
      assert.equal((await credentialsOf(auth)).length, 1);

      // next sign-in in a fresh browser session with the same key
      await tc.context.clearCookies();
      const { start } = await openAuthorization(tc.page, rp, client);
      await fillSignIn(tc.page, 'en', user);
      await tc.page.waitForURL(/\/interaction\/[^/]+$/);
      await tc.page.getByRole('button', { name: TEXT.en.use, exact: true }).click();
      const tokens = await redeem(rp, start, await tc.waitForCallback((u) => u.pathname === '/callback' && u.searchParams.get('state') === start.state));
      const claims = tokens.claims()!;
      assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa'], 'a key without PIN: no user verification');
      assert.equal(claims.acr, 'urn:idp:acr:phr');
      const [used] = await server.services.repos.webauthnCredentials.listByUser(user.id);
      assert.ok(used!.counter > stored!.counter, 'the signature counter moved on');
      assert.ok(used!.lastUsedAt);
    } finally {
      await tc.close();
    }
  });

  it('platform biometrics (ja): registered as a passkey, then a passwordless sign-in from the sign-in page', async (t) => {
    const tc = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const auth = await addAuthenticator(tc.page, 'platform');
      const user = await createUser(server.services, org, { locale: 'ja' });
      await enrolKey(tc, 'ja', user, '会社のPC');
      const [credential] = await credentialsOf(auth);
      assert.equal(credential?.isResidentCredential, true, 'a discoverable credential');
      assert.equal(Buffer.from(credential!.userHandle!, 'base64').length, 32, 'the user handle is the opaque 32-byte id');

      await tc.context.clearCookies();
      const { start } = await openAuthorization(tc.page, rp, client);
      const shot = screenshotPath('webauthn-sign-in-ja.png');
      await tc.page.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`screenshot of the sign-in page with a passkey: ${shot}`);
      await tc.page.getByRole('button', { name: TEXT.ja.passkey, exact: true }).click();
      const tokens = await redeem(rp, start, await tc.waitForCallback((u) => u.pathname === '/callback' && u.searchParams.get('state') === start.state));
      const claims = tokens.claims()!;
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa']);
      assert.equal(claims.acr, 'urn:idp:acr:phr');
    } finally {
      await tc.close();
    }
  });

  it('step-up: after a TOTP sign-in, acr_values=phr asks for the key and nothing else', async () => {
    const tc = await newTestContext(browser, { locale: 'en-US' });
    try {
      await addAuthenticator(tc.page, 'usb-key');
      const user = await createUser(server.services, org, { locale: 'en' });
      await enrolKey(tc, 'en', user, 'Key');
      const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
      await addTotpFactor(server.services, user.id, secret);
      await tc.context.clearCookies();
      const { page } = tc;
      const first = await openAuthorization(page, rp, client);
      await fillSignIn(page, 'en', user);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      await page.locator('button#use-totp').click();
      await page.waitForURL(/\/interaction\/[^/]+$/);
      await page.locator('input#code').fill(totpCode(secret));
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      const mfaTokens = await redeem(rp, first.start, await tc.waitForCallback((u) => u.searchParams.get('state') === first.start.state));
      assert.equal(mfaTokens.claims()!.acr, 'urn:idp:acr:mfa');

      const stepUp = await openAuthorization(page, rp, client, { acr_values: 'urn:idp:acr:phr' });
      await fillSignIn(page, 'en', user);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.locator('button#use-totp').count(), 0, 'no other method is offered');
      await page.getByRole('button', { name: TEXT.en.use, exact: true }).click();
      const tokens = await redeem(rp, stepUp.start, await tc.waitForCallback((u) => u.searchParams.get('state') === stepUp.start.state));
      assert.equal(tokens.claims()!.acr, 'urn:idp:acr:phr');
    } finally {
      await tc.close();
    }
  });

  it('a cancelled ceremony says so and leaves the other ways open', async () => {
    const tc = await newTestContext(browser, { locale: 'en-US' });
    try {
      // an authenticator that holds no passkey: Chromium answers NotAllowedError
      await addAuthenticator(tc.page, 'platform');
      const user = await createUser(server.services, org, { locale: 'en' });
      await openAuthorization(tc.page, rp, client);
      await tc.page.getByRole('button', { name: TEXT.en.passkey, exact: true }).click();
      const error = tc.page.locator('#passkey-sign-in [data-webauthn-error]');
      await error.waitFor({ state: 'visible' });
      assert.equal(await error.innerText(), TEXT.en.cancelled);
      assert.equal(await tc.page.getByRole('button', { name: TEXT.en.passkey, exact: true }).isEnabled(), true, 'it can be tried again');
      assert.equal(await tc.page.locator('input#password').isVisible(), true, 'the password form is still there');
      assert.equal(await server.services.repos.webauthnCredentials.countByUser(user.id), 0);
    } finally {
      await tc.close();
    }
  });

  it('a browser without WebAuthn (ja): the page says so and another method signs in', async () => {
    const tc = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      await addAuthenticator(tc.page, 'usb-key');
      const user = await createUser(server.services, org, { locale: 'ja' });
      await enrolKey(tc, 'ja', user, 'Key');
      const secret = 'KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TF';
      await addTotpFactor(server.services, user.id, secret);
      await tc.context.clearCookies();
      // an old browser: no PublicKeyCredential at all
      await tc.context.addInitScript(() => {
        delete (globalThis as { PublicKeyCredential?: unknown }).PublicKeyCredential;
      });
      const { page } = tc;
      const { start } = await openAuthorization(page, rp, client);
      await fillSignIn(page, 'ja', user);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      const error = page.locator('#webauthn-authenticate [data-webauthn-error]');
      await error.waitFor({ state: 'visible' });
      assert.equal(await error.innerText(), TEXT.ja.unsupported);
      assert.equal(await page.getByRole('button', { name: TEXT.ja.use, exact: true }).isVisible(), false);
      await page.locator('button#use-totp').click();
      await page.waitForURL(/\/interaction\/[^/]+$/);
      await page.locator('input#code').fill(totpCode(secret));
      await page.locator('form button.primary[type="submit"]').click();
      const tokens = await redeem(rp, start, await tc.waitForCallback((u) => u.searchParams.get('state') === start.state));
      assert.deepEqual(tokens.claims()!.amr, ['pwd', 'otp', 'mfa']);
    } finally {
      await tc.close();
    }
  });

  it('an organisation allow-list of authenticator models accepts a listed one with direct attestation', async () => {
    const strict = await createOrg(server.services, 'STRICTKEYS', {
      mfa: 'required',
      methods: ['webauthn'],
      webauthnAaguids: ['01020304-0506-0708-0102-030405060708'],
    });
    const strictClient = await createClient(server.services, { orgId: strict.id });
    const strictRp = await relyingParty(server.url, strictClient);
    const tc = await newTestContext(browser, { locale: 'en-US' });
    try {
      await addAuthenticator(tc.page, 'usb-key');
      const user = await createUser(server.services, strict, { locale: 'en' });
      const { start } = await openAuthorization(tc.page, strictRp, strictClient);
      await fillSignIn(tc.page, 'en', user);
      await tc.page.waitForURL(/\/interaction\/[^/]+$/);
      await tc.page.getByRole('button', { name: TEXT.en.register, exact: true }).click();
      await tc.page.locator('#backup-codes, .form-error').first().waitFor();
      assert.equal(await tc.page.title(), TEXT.en.backupTitle, await tc.page.locator('main').innerText());
      const [stored] = await server.services.repos.webauthnCredentials.listByUser(user.id);
      assert.equal(stored?.aaguid, '01020304-0506-0708-0102-030405060708');
      await tc.page.getByLabel(TEXT.en.saved).check();
      await tc.page.getByRole('button', { name: TEXT.en.ack, exact: true }).click();
      await redeem(strictRp, start, await tc.waitForCallback());
    } finally {
      await tc.close();
    }
  });
});
