/**
 * Issue 3 in Chromium: the one-time code by email — forced set-up of the address (typed
 * twice, seed 003), the mail over real SMTP (system title, expiry, "change your
 * password", seed 001), the confirmation link opened on another device (seed 000), the
 * email method at a later sign-in and the method used last offered first (seed 002).
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
import { type ParsedMail, type SmtpSink, extractCode, extractLink, startSmtpSink } from '../helpers/smtp.js';

const TEXT = {
  en: {
    setupTitle: 'Set up the two-step verification email',
    address: 'Email address',
    addressAgain: 'Email address (again)',
    send: 'Send the code',
    mismatch: 'The two addresses do not match.',
    codeLabel: 'Verification code',
    verify: 'Verify',
    sentTo: /^We sent a 6-digit code to (\S+)\. It is valid until (.+)\.$/,
    linkClicked: 'I opened the link — continue',
    notConfirmed: 'The address is not confirmed yet. Enter the code, or open the link in the mail first.',
    confirmedTitle: 'Email address confirmed',
    backupTitle: 'Save your backup codes',
    saved: 'I have saved these codes',
    ack: 'Continue',
    mfaTitle: 'Two-step verification',
    emailMethod: 'One-time code by email',
    totpMethod: 'Authenticator app',
    sendByEmail: 'Send the code by email',
    mailSubject: 'Your one-time code',
    mailExpiry: /Valid until \d{4}\/\d{2}\/\d{2} \d{2}:\d{2} \S+ \(10 minutes\)\./,
    mailWarning: 'If this was not you, someone may know your password: change your password now.',
  },
  ja: {
    setupTitle: '2段階認証用メールアドレスの設定',
    address: 'メールアドレス',
    addressAgain: 'メールアドレス（確認）',
    send: 'コードを送信',
    mismatch: 'メールアドレスが一致しません。',
    codeLabel: '確認コード',
    verify: '確認',
    sentTo: /^(\S+) に6桁のコードを送信しました。有効期限は (.+) です。$/,
    linkClicked: 'URLを開きました（続行）',
    notConfirmed: 'メールアドレスはまだ確認されていません。コードを入力するか、メールのURLを開いてください。',
    confirmedTitle: 'メールアドレスを確認しました',
    backupTitle: 'バックアップコードの保存',
    saved: 'コードを保存しました',
    ack: '次へ',
    mfaTitle: '2段階認証',
    emailMethod: 'メールによるワンタイムパスワード',
    totpMethod: '認証アプリ',
    sendByEmail: 'メールでコードを送信',
    mailSubject: 'ワンタイムパスワードのお知らせ',
    mailExpiry: /有効期限：\d{4}\/\d{2}\/\d{2} \d{2}:\d{2} \S+（10分間）/,
    mailWarning: '至急パスワードを変更してください。',
  },
} as const;

type Lang = keyof typeof TEXT;

function recipients(mail: ParsedMail): string {
  const to = mail.to === undefined ? [] : Array.isArray(mail.to) ? mail.to : [mail.to];
  return to.map((a) => a.text).join(', ');
}

/** Waits for the next mail to `address` that arrives after the sink held `seen` messages. */
function nextMailTo(sink: SmtpSink, address: string, seen: number): Promise<ParsedMail> {
  return sink.waitFor((m) => sink.messages.indexOf(m) >= seen && recipients(m).includes(address), 8000);
}

async function post(page: Page, step: string, click: () => Promise<void>): Promise<number> {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith(`/${step}`));
  await click();
  return (await answered).status();
}

/** The backup codes page: acknowledge and go on to the relying party. */
async function acknowledgeBackupCodes(page: Page, lang: Lang): Promise<void> {
  const text = TEXT[lang];
  await page.waitForURL(/\/interaction\/[^/]+$/);
  assert.equal(await page.title(), text.backupTitle);
  assert.equal(await page.locator('#backup-codes code').count(), 10);
  await page.getByLabel(text.saved, { exact: true }).check();
  await page.getByRole('button', { name: text.ack, exact: true }).click();
}

describe('second factor by email in Chromium', () => {
  let server: TestServer;
  let sink: SmtpSink;
  let browser: Browser;
  let mailOrg: { id: string; code: string };
  let mailClient: FixtureClient;
  let mailRp: oidc.Configuration;

  before(async () => {
    browser = await launchBrowser();
    sink = await startSmtpSink();
    server = await startTestServer({ env: { IDP_SMTP_URL: sink.url } });
    mailOrg = await createOrg(server.services, 'MAILORG', {
      mfa: 'required',
      methods: ['email'],
      systemTitle: 'Safety Portal',
      emailCodeMinutes: 10,
    });
    mailClient = await createClient(server.services, { orgId: mailOrg.id, name: 'Anpi' });
    mailRp = await relyingParty(server.url, mailClient);
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
    await sink?.stop();
  });

  /** Asserts the code mail: subject with the title, the code alone, expiry and warning in `lang`. */
  function assertCodeMail(mail: ParsedMail, lang: Lang, systemTitle: string): void {
    const text = TEXT[lang];
    assert.ok(mail.subject?.includes(systemTitle), `the subject carries the system title: ${mail.subject}`);
    assert.ok(mail.subject?.includes(text.mailSubject), `the subject is in ${lang}: ${mail.subject}`);
    assert.match(mail.text ?? '', text.mailExpiry, `the mail names the expiry time in ${lang}`);
    assert.ok((mail.text ?? '').includes(text.mailWarning), `the "change your password" warning in ${lang}`);
  }

  for (const [locale, lang] of [
    ['en-US', 'en'],
    ['ja-JP', 'ja'],
  ] as const) {
    it(`sets up the email code at the first sign-in and signs in with a mailed code later (${lang})`, async () => {
      const text = TEXT[lang];
      const user = await createUser(server.services, mailOrg);
      const address = `${user.username}.2fa@example.net`;
      const mails: ParsedMail[] = [];
      const first = await newTestContext(browser, { locale });
      try {
        const { page } = first;
        const { start } = await openAuthorization(page, mailRp, mailClient);
        await fillSignIn(page, lang, user);

        // one method only: the address form comes directly, no choose page
        await page.waitForURL(/\/interaction\/[^/]+$/);
        assert.equal(await page.title(), text.setupTitle);
        assert.equal(await page.locator('html').getAttribute('lang'), lang);
        const email = page.getByLabel(text.address, { exact: true });
        const again = page.getByLabel(text.addressAgain, { exact: true });
        assert.equal(await email.getAttribute('autocomplete'), 'email');

        // typed twice; a mismatch is refused next to the second field and nothing is sent
        const seen = sink.messages.length;
        await email.fill(address);
        await again.fill(`x${address}`);
        assert.equal(await post(page, 'enrol-email', () => page.getByRole('button', { name: text.send, exact: true }).click()), 400);
        assert.equal(await page.locator('#email-confirm-error').innerText(), text.mismatch);
        assert.equal(await page.getByLabel(text.addressAgain, { exact: true }).getAttribute('aria-invalid'), 'true');
        assert.equal(sink.messages.length, seen, 'no mail for a mismatch');

        await page.getByLabel(text.address, { exact: true }).fill(address);
        await page.getByLabel(text.addressAgain, { exact: true }).fill(address);
        await page.getByRole('button', { name: text.send, exact: true }).click();
        const mail = await nextMailTo(sink, address, seen);
        mails.push(mail);
        await page.waitForURL(/\/interaction\/[^/]+$/);
        const lead = text.sentTo.exec(await page.locator('p.lead').innerText());
        assert.ok(lead, `the page says where the code went: ${await page.locator('p.lead').innerText()}`);
        assert.equal(lead[1], address);
        assert.equal(await page.locator('input#code').getAttribute('autocomplete'), 'one-time-code');

        await page.getByLabel(text.codeLabel, { exact: true }).fill(extractCode(mail));
        await page.getByRole('button', { name: text.verify, exact: true }).click();
        await acknowledgeBackupCodes(page, lang);
        const claims = (await redeem(mailRp, start, await first.waitForCallback())).claims()!;
        assert.equal(claims.sub, user.id);
        assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
        assert.equal(claims.acr, 'urn:idp:acr:mfa');
      } finally {
        await first.close();
      }

      // later, another browser: the email method, a fresh code from the sink
      const later = await newTestContext(browser, { locale });
      try {
        const { page } = later;
        const { start } = await openAuthorization(page, mailRp, mailClient);
        await fillSignIn(page, lang, user);
        await page.waitForURL(/\/interaction\/[^/]+$/);
        assert.equal(await page.title(), text.mfaTitle);
        assert.equal(await page.locator('h2').first().innerText(), text.emailMethod);
        const seen = sink.messages.length;
        await page.getByRole('button', { name: text.sendByEmail, exact: true }).click();
        const mail = await nextMailTo(sink, address, seen);
        mails.push(mail);
        await page.waitForURL(/\/interaction\/[^/]+$/);
        await page.getByLabel(text.codeLabel, { exact: true }).fill(extractCode(mail));
        await page.getByRole('button', { name: text.verify, exact: true }).click();
        const claims = (await redeem(mailRp, start, await later.waitForCallback())).claims()!;
        assert.equal(claims.sub, user.id);
        assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
        assert.equal(claims.acr, 'urn:idp:acr:mfa');
      } finally {
        await later.close();
      }

      // both mails: organisation's title, expiry and warning, in the language of the pages
      // (the user has no saved language: the one the pages were shown in is the user's)
      for (const mail of mails) assertCodeMail(mail, lang, 'Safety Portal');
      assert.notEqual(extractCode(mails[0]!), extractCode(mails[1]!));
    });
  }

  it('confirms a provisional address by the link opened on another device (seed 000, ja)', async () => {
    const text = TEXT.ja;
    const org = await createOrg(server.services, 'BIDORG', { mfa: 'required', methods: ['email'], requireVerifiedEmail: true });
    const client = await createClient(server.services, { orgId: org.id, name: 'e-Bidding' });
    const rp = await relyingParty(server.url, client);
    const user = await createUser(server.services, org);
    const address = `${user.username}@bid.example.jp`;
    const pc = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const { page } = pc;
      const { start } = await openAuthorization(page, rp, client);
      await fillSignIn(page, 'ja', user);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.title(), text.setupTitle);
      const seen = sink.messages.length;
      await page.getByLabel(text.address, { exact: true }).fill(address);
      await page.getByLabel(text.addressAgain, { exact: true }).fill(address);
      await page.getByRole('button', { name: text.send, exact: true }).click();
      const mail = await nextMailTo(sink, address, seen);
      const link = extractLink(mail);
      assert.ok(link.startsWith(`${server.url}/verify-email/`), `a confirmation link on the IdP: ${link}`);
      await page.waitForURL(/\/interaction\/[^/]+$/);

      // not confirmed yet: "continue" says so, the page stays
      assert.equal(await post(page, 'enrol-email-check', () => page.getByRole('button', { name: text.linkClicked, exact: true }).click()), 409);
      assert.equal(await page.locator('#code-error').innerText(), text.notConfirmed);
      assert.equal(pc.callbacks.length, 0);

      // the phone opens the link
      const phone = await newTestContext(browser, { locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true });
      try {
        const response = await phone.page.goto(link);
        assert.equal(response?.status(), 200);
        assert.equal(await phone.page.title(), text.confirmedTitle);
        assert.match(await phone.page.locator('p.lead').innerText(), /本登録/);
        assert.equal(phone.callbacks.length, 0, 'the other device is not signed in');
      } finally {
        await phone.close();
      }

      // back on the PC: continue → backup codes → the relying party
      await page.getByRole('button', { name: text.linkClicked, exact: true }).click();
      await acknowledgeBackupCodes(page, 'ja');
      const claims = (await redeem(rp, start, await pc.waitForCallback())).claims()!;
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'urn:idp:acr:mfa');
    } finally {
      await pc.close();
    }
  });

  it('offers the method used last first: email after a sign-in by email, for a user with an app and an address', async () => {
    const text = TEXT.en;
    const org = await createOrg(server.services, 'BOTHORG', { mfa: 'required', methods: ['totp', 'email'] });
    const client = await createClient(server.services, { orgId: org.id, name: 'e-Billing' });
    const rp = await relyingParty(server.url, client);
    const fixture = await createUser(server.services, org);
    const address = `${fixture.username}@city.example.jp`;
    await enrolBoth(fixture, address);

    const signIn = async (tc: TestContext) => {
      const { start } = await openAuthorization(tc.page, rp, client);
      await fillSignIn(tc.page, 'en', fixture);
      await tc.page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await tc.page.title(), text.mfaTitle);
      return start;
    };

    // first sign-in: the app comes first (set up first, nothing used yet); the user picks email
    const first = await newTestContext(browser, { locale: 'en-US' });
    try {
      const { page } = first;
      const start = await signIn(first);
      assert.equal(await page.locator('h2').first().innerText(), text.totpMethod);
      assert.deepEqual(await page.locator('section.other-methods button').allInnerTexts(), [text.emailMethod, 'Backup code']);
      await page.getByRole('button', { name: text.emailMethod, exact: true }).click();
      await page.waitForURL(/\/interaction\/[^/]+$/);
      const seen = sink.messages.length;
      await page.getByRole('button', { name: text.sendByEmail, exact: true }).click();
      const mail = await nextMailTo(sink, address, seen);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      await page.getByLabel(text.codeLabel, { exact: true }).fill(extractCode(mail));
      await page.getByRole('button', { name: text.verify, exact: true }).click();
      assert.deepEqual((await redeem(rp, start, await first.waitForCallback())).claims()!.amr, ['pwd', 'otp', 'mfa']);
    } finally {
      await first.close();
    }

    // next sign-in, another browser: email first, the app under "other ways"
    const next = await newTestContext(browser, { locale: 'en-US' });
    try {
      const { page } = next;
      await signIn(next);
      assert.equal(await page.locator('h2').first().innerText(), text.emailMethod);
      assert.equal(await page.getByRole('button', { name: text.sendByEmail, exact: true }).count(), 1);
      assert.deepEqual(await page.locator('section.other-methods button').allInnerTexts(), [text.totpMethod, 'Backup code']);
    } finally {
      await next.close();
    }
  });

  /** An authenticator app, then a confirmed address and backup codes, set up through the services. */
  async function enrolBoth(fixture: FixtureUser, address: string): Promise<void> {
    const { services } = server;
    const user = (await services.repos.users.findById(fixture.id))!;
    const org = (await services.repos.orgs.findByCode(fixture.orgCode))!;
    const totp = await services.secondFactors.startTotp(user, org);
    assert.deepEqual(await services.secondFactors.confirmTotp(user, totp.factorId, totpCode(totp.secret), 'Phone'), { ok: true });
    const factor = await services.secondFactors.addEmailFactor(user, address);
    await services.secondFactors.confirmEmailFactor(user, factor.id);
    await services.secondFactors.issueBackupCodes(user);
    assert.deepEqual(await services.secondFactors.enrolledMethods(user.id), ['totp', 'email']);
  }
});
