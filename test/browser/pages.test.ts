import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { fillSignIn, launchBrowser, newTestContext, openAuthorization, redeem } from '../helpers/browser.js';
import { createClient, createOrg, createUser, type FixtureClient } from '../helpers/fixtures.js';
import { relyingParty } from '../helpers/rp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Nothing that looks like a stack trace or a source location may reach a page. */
async function assertNoInternals(page: Page): Promise<void> {
  const html = await page.content();
  for (const pattern of [/\bat \S+ \(/, /\.[jt]s:\d+/, /node_modules/, /\bError:/, /stack/i]) {
    assert.doesNotMatch(html, pattern);
  }
}

describe('consent, logout and error pages in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let org: { id: string; code: string };
  let firstParty: FixtureClient;
  let firstPartyRp: oidc.Configuration;
  let thirdParty: FixtureClient;
  let thirdPartyRp: oidc.Configuration;

  before(async () => {
    // the browser first: without Chromium the suite fails here, before a server is left running
    browser = await launchBrowser();
    server = await startTestServer();
    org = await createOrg(server.services, 'ACME');
    firstParty = await createClient(server.services, { orgId: org.id, name: 'Billing' });
    thirdParty = await createClient(server.services, { orgId: org.id, name: 'Partner App', firstParty: false });
    [firstPartyRp, thirdPartyRp] = await Promise.all([relyingParty(server.url, firstParty), relyingParty(server.url, thirdParty)]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
  });

  it('asks a third-party client for consent, listing the scopes; Allow completes the sign-in', async () => {
    const user = await createUser(server.services, org);
    const { page, callbacks, waitForCallback, close } = await newTestContext(browser, { locale: 'en-US' });
    try {
      const { start } = await openAuthorization(page, thirdPartyRp, thirdParty);
      await fillSignIn(page, 'en', user);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.title(), 'Allow access');
      assert.equal(await page.locator('p.lead').innerText(), 'Partner App is asking to access your account.');
      assert.deepEqual(await page.locator('ul.scopes li').allInnerTexts(), [
        'Your user identifier',
        'Your name, user ID, language and organisation',
        'Your email address',
      ]);
      assert.equal(callbacks.length, 0, 'no code before consent');

      await page.getByRole('button', { name: 'Allow', exact: true }).click();
      const tokens = await redeem(thirdPartyRp, start, await waitForCallback());
      const claims = tokens.claims()!;
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pwd']);
      assert.equal(claims.aud, thirdParty.clientId);
    } finally {
      await close();
    }
  });

  it('returns error=access_denied to the relying party when consent is denied (ja)', async () => {
    const user = await createUser(server.services, org);
    const { page, waitForCallback, close } = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const { start } = await openAuthorization(page, thirdPartyRp, thirdParty);
      await fillSignIn(page, 'ja', user);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      assert.equal(await page.title(), 'アクセスの許可');
      assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
      assert.deepEqual(await page.locator('ul.scopes li').allInnerTexts(), ['ユーザー識別子', '氏名、ユーザーID、言語、所属組織', 'メールアドレス']);

      await page.getByRole('button', { name: '許可しない', exact: true }).click();
      const callback = await waitForCallback();
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), start.state);
      assert.equal(callback.searchParams.get('code'), null);
      await assert.rejects(redeem(thirdPartyRp, start, callback), (err: { error?: string }) => err.error === 'access_denied');
    } finally {
      await close();
    }
  });

  it(
    "shows the consent page in the user's saved language once the user is known",
    async () => {
      const user = await createUser(server.services, org, { locale: 'en' });
      const { page, close } = await newTestContext(browser, { locale: 'ja-JP' });
      try {
        await openAuthorization(page, thirdPartyRp, thirdParty);
        // the user is not known yet: the browser's language
        assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
        await fillSignIn(page, 'ja', user);
        await page.waitForURL(/\/interaction\/[^/]+$/);
        assert.equal(await page.locator('html').getAttribute('lang'), 'en');
        assert.equal(await page.title(), 'Allow access');
      } finally {
        await close();
      }
    },
  );

  it('confirms RP-initiated logout in the page language, returns to the relying party and ends the session', async () => {
    const user = await createUser(server.services, org);
    const { page, waitForCallback, close } = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const { start } = await openAuthorization(page, firstPartyRp, firstParty);
      await fillSignIn(page, 'ja', user);
      const tokens = await redeem(firstPartyRp, start, await waitForCallback());

      // while the session lasts, a new authorization needs no password
      const again = await openAuthorization(page, firstPartyRp, firstParty);
      const silent = await waitForCallback((url) => url.searchParams.get('state') === again.start.state);
      assert.equal((await redeem(firstPartyRp, again.start, silent)).claims()!.sub, user.id);

      const endSession = oidc.buildEndSessionUrl(firstPartyRp, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: firstParty.postLogoutRedirectUri,
        state: 'bye',
      });
      const response = await page.goto(endSession.toString());
      assert.equal(response?.status(), 200);
      assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
      assert.equal(await page.title(), 'ログアウト');
      assert.equal(await page.locator('p.lead').innerText(), 'Billing からログアウトしますか？');
      await assertNoInternals(page);

      await page.getByRole('button', { name: 'ログアウトする', exact: true }).click();
      const back = await waitForCallback('/logged-out');
      assert.equal(`${back.origin}${back.pathname}`, firstParty.postLogoutRedirectUri);
      assert.equal(back.searchParams.get('state'), 'bye');

      // the session is gone: the next authorization shows the sign-in page again
      const next = await openAuthorization(page, firstPartyRp, firstParty);
      assert.equal(next.response?.status(), 200);
      assert.match(new URL(page.url()).pathname, /^\/interaction\/[^/]+$/);
      assert.equal(await page.title(), 'ログイン');
      assert.equal(await page.getByLabel('パスワード', { exact: true }).count(), 1);
    } finally {
      await close();
    }
  });

  for (const [locale, lang, expected] of [
    [
      'ja-JP',
      'ja',
      {
        title: 'エラーが発生しました',
        expired: '一定時間操作がなかったため、このログイン画面の有効期限が切れました。',
        again: 'ご利用のサービスに戻り、もう一度ログインしてください。',
      },
    ],
    [
      'en-US',
      'en',
      {
        title: 'Something went wrong',
        expired: 'This sign-in page has expired after a period of inactivity.',
        again: 'Please go back to the service you were using and sign in again.',
      },
    ],
  ] as const) {
    it(`answers an unknown interaction with a 410 page (${lang}) that says to sign in again`, async () => {
      const { page, close } = await newTestContext(browser, { locale });
      try {
        const response = await page.goto(`${server.url}/interaction/doesnotexist`);
        assert.equal(response?.status(), 410);
        assert.equal(await page.locator('html').getAttribute('lang'), lang);
        assert.equal(await page.title(), expected.title);
        const text = await page.locator('main').innerText();
        assert.ok(text.includes(expected.expired), text);
        assert.ok(text.includes(expected.again), text);
        assert.ok(text.includes('interaction_expired'));
        await assertNoInternals(page);
        // the switcher is on the error page too
        assert.equal(await page.locator('nav.lang a').count(), 1);
      } finally {
        await close();
      }
    });
  }

  it('answers a sign-in form whose interaction cookie is gone with the same 410 page', async () => {
    const user = await createUser(server.services, org);
    const { context, page, callbacks, close } = await newTestContext(browser, { locale: 'en-US' });
    try {
      await openAuthorization(page, firstPartyRp, firstParty);
      await context.clearCookies();
      const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/login'));
      await fillSignIn(page, 'en', user);
      assert.equal((await posted).status(), 410);
      assert.equal(await page.title(), 'Something went wrong');
      assert.ok((await page.locator('main').innerText()).includes('Please go back to the service you were using and sign in again.'));
      await assertNoInternals(page);
      assert.equal(callbacks.length, 0);
    } finally {
      await close();
    }
  });
});
