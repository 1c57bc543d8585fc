import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import {
  CALLBACK_ORIGIN,
  LABELS,
  fillSignIn,
  launchBrowser,
  newTestContext,
  openAuthorization,
  redeem,
  screenshotPath,
} from '../helpers/browser.js';
import { createClient, createOrg, createUser, type FixtureClient } from '../helpers/fixtures.js';
import { relyingParty } from '../helpers/rp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const INVALID = {
  ja: '組織コード、ユーザーIDまたはパスワードが正しくありません。',
  en: 'The organisation code, user ID or password is incorrect.',
} as const;

describe('hosted sign-in page in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let acme: { id: string; code: string };
  let beta: { id: string; code: string };
  /** bound to ACME: never asks for the organisation code */
  let bound: FixtureClient;
  let boundRp: oidc.Configuration;
  /** bound to no organisation while two exist: asks for the organisation code */
  let unbound: FixtureClient;
  let unboundRp: oidc.Configuration;

  before(async () => {
    // the browser first: without Chromium the suite fails here, before a server is left running
    browser = await launchBrowser();
    server = await startTestServer();
    acme = await createOrg(server.services, 'ACME');
    beta = await createOrg(server.services, 'BETA');
    bound = await createClient(server.services, { orgId: acme.id, name: 'Billing' });
    unbound = await createClient(server.services, { name: 'Portal' });
    [boundRp, unboundRp] = await Promise.all([relyingParty(server.url, bound), relyingParty(server.url, unbound)]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
  });

  it('signs in in Japanese (Accept-Language ja) and hands a code to the relying party', async (t) => {
    const user = await createUser(server.services, acme);
    const { page, waitForCallback, close } = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const { start, response } = await openAuthorization(page, boundRp, bound);
      assert.equal(response?.status(), 200);
      assert.match(new URL(page.url()).pathname, /^\/interaction\/[^/]+$/);
      assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
      assert.equal(await page.title(), 'ログイン');
      await assert.doesNotReject(page.getByLabel('ユーザーID', { exact: true }).waitFor());
      await assert.doesNotReject(page.getByLabel('パスワード', { exact: true }).waitFor());
      assert.equal(await page.locator('input[name=org]').count(), 0, 'a bound client asks no organisation code');
      assert.match(await page.locator('p.lead').innerText(), /Billing/);

      const shot = screenshotPath('sign-in-ja.png');
      await page.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`screenshot of the Japanese sign-in page: ${shot}`);
      console.log(`screenshot of the Japanese sign-in page: ${shot}`);

      await fillSignIn(page, 'ja', user);
      const callback = await waitForCallback();
      assert.equal(callback.searchParams.get('state'), start.state);
      await page.waitForURL((url) => url.origin === CALLBACK_ORIGIN);
      assert.equal(await page.title(), 'relying party', 'the browser really lands on the callback page');
      const tokens = await redeem(boundRp, start, callback);
      const claims = tokens.claims()!;
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pwd']);
      assert.equal(claims.nonce, start.nonce);
    } finally {
      await close();
    }
  });

  it('signs in in English (Accept-Language en)', async () => {
    const user = await createUser(server.services, acme);
    const { page, waitForCallback, close } = await newTestContext(browser, { locale: 'en-US' });
    try {
      const { start } = await openAuthorization(page, boundRp, bound);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      assert.equal(await page.title(), 'Sign in');
      assert.equal(await page.getByLabel('User ID', { exact: true }).count(), 1);
      assert.equal(await page.getByLabel('Password', { exact: true }).count(), 1);
      await fillSignIn(page, 'en', user);
      const tokens = await redeem(boundRp, start, await waitForCallback());
      assert.equal(tokens.claims()!.sub, user.id);
      assert.deepEqual(tokens.claims()!.amr, ['pwd']);
    } finally {
      await close();
    }
  });

  it('lets ui_locales override the browser language, and the switcher change it within the same interaction', async () => {
    const user = await createUser(server.services, acme);
    const { page, waitForCallback, close } = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const { start } = await openAuthorization(page, boundRp, bound, { ui_locales: 'en' });
      const interactionUrl = page.url();
      assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'ui_locales=en beats Accept-Language ja');
      assert.equal(await page.title(), 'Sign in');

      // the switcher offers the other language; the current one is marked, not linked
      const nav = page.locator('nav.lang');
      assert.equal(await nav.locator('[aria-current]').innerText(), 'English');
      await nav.getByRole('link', { name: '日本語' }).click();
      await page.waitForURL(interactionUrl);
      assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
      assert.equal(await page.title(), 'ログイン');

      await nav.getByRole('link', { name: 'English' }).click();
      await page.waitForURL(interactionUrl);
      assert.equal(page.url(), interactionUrl, 'the same interaction continues');
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      assert.equal(await page.title(), 'Sign in');

      await fillSignIn(page, 'en', user);
      const tokens = await redeem(boundRp, start, await waitForCallback());
      assert.equal(tokens.claims()!.sub, user.id);
    } finally {
      await close();
    }
  });

  it('asks for the organisation code only for a client bound to no organisation, and checks it', async () => {
    const user = await createUser(server.services, beta);
    const { page, waitForCallback, close } = await newTestContext(browser, { locale: 'en-US' });
    try {
      // bound client: no organisation field
      await openAuthorization(page, boundRp, bound);
      assert.equal(await page.locator('input[name=org]').count(), 0);

      // unbound client with two organisations: the field is there, named org
      const { start } = await openAuthorization(page, unboundRp, unbound);
      const org = page.getByLabel(LABELS.en.org, { exact: true });
      assert.equal(await org.count(), 1);
      assert.equal(await org.getAttribute('name'), 'org');

      // a wrong organisation code is refused with the generic message
      const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/login'));
      await fillSignIn(page, 'en', { ...user, org: acme.code });
      assert.equal((await refused).status(), 401);
      assert.equal(await page.locator('#form-error').innerText(), INVALID.en);
      assert.equal(await page.locator('input[name=org]').inputValue(), acme.code, 'the organisation code is kept');

      await fillSignIn(page, 'en', { ...user, org: beta.code });
      const tokens = await redeem(unboundRp, start, await waitForCallback());
      assert.equal(tokens.claims()!.sub, user.id);
      assert.deepEqual(tokens.claims()!.amr, ['pwd']);
    } finally {
      await close();
    }
  });

  for (const [locale, lang] of [
    ['ja-JP', 'ja'],
    ['en-US', 'en'],
  ] as const) {
    it(`shows the same generic error (${lang}) for a wrong password and an unknown user, clearing only the password`, async () => {
      const user = await createUser(server.services, acme);
      const { page, waitForCallback, close } = await newTestContext(browser, { locale });
      try {
        const { start } = await openAuthorization(page, boundRp, bound);

        const wrong = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/login'));
        await fillSignIn(page, lang, { username: user.username, password: `${user.password}-wrong` });
        assert.equal((await wrong).status(), 401);
        assert.equal(await page.locator('html').getAttribute('lang'), lang);
        const alert = page.locator('#form-error');
        assert.equal(await alert.innerText(), INVALID[lang]);
        assert.equal(await alert.getAttribute('role'), 'alert');
        assert.equal(await page.getByLabel(LABELS[lang].password, { exact: true }).inputValue(), '', 'the password is not sent back');
        assert.equal(await page.getByLabel(LABELS[lang].username, { exact: true }).inputValue(), user.username);

        const unknown = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/login'));
        await fillSignIn(page, lang, { username: `nobody-${user.username}`, password: user.password });
        assert.equal((await unknown).status(), 401);
        assert.equal(await page.locator('#form-error').innerText(), INVALID[lang], 'an unknown user looks the same');
        assert.equal(await page.getByLabel(LABELS[lang].password, { exact: true }).inputValue(), '');

        // the flow is still alive: the right password completes it
        await fillSignIn(page, lang, user);
        const tokens = await redeem(boundRp, start, await waitForCallback());
        assert.equal(tokens.claims()!.sub, user.id);
      } finally {
        await close();
      }
    });
  }

  it('shows a password toggle only with JavaScript, switching the field type and aria-pressed', async () => {
    const { page, close } = await newTestContext(browser, { locale: 'en-US' });
    try {
      await openAuthorization(page, boundRp, bound);
      const input = page.getByLabel('Password', { exact: true });
      const toggle = page.locator('button.toggle-password[data-target=password]');
      await input.fill('secret value');
      assert.equal(await toggle.isVisible(), true, 'the script reveals the toggle');
      assert.equal(await toggle.getAttribute('aria-controls'), 'password');
      assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
      assert.equal(await input.getAttribute('type'), 'password');

      await toggle.click();
      assert.equal(await input.getAttribute('type'), 'text');
      assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
      assert.equal(await toggle.innerText(), 'Hide password');
      assert.equal(await input.inputValue(), 'secret value');

      await toggle.click();
      assert.equal(await input.getAttribute('type'), 'password');
      assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
      assert.equal(await toggle.innerText(), 'Show password');
    } finally {
      await close();
    }

    // without JavaScript the toggle stays hidden and the form still works
    const context = await browser.newContext({ locale: 'en-US', javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await openAuthorization(page, boundRp, bound);
      assert.equal(await page.locator('button.toggle-password').isVisible(), false);
      assert.equal(await page.getByLabel('Password', { exact: true }).isVisible(), true);
    } finally {
      await context.close();
    }
  });

  it('marks the sign-in fields with the autocomplete tokens password managers rely on', async () => {
    const { page, close } = await newTestContext(browser, { locale: 'en-US' });
    try {
      await openAuthorization(page, unboundRp, unbound);
      assert.equal(await page.locator('input[name=username]').getAttribute('autocomplete'), 'username');
      assert.equal(await page.locator('input[name=password]').getAttribute('autocomplete'), 'current-password');
      assert.equal(await page.locator('input[name=password]').getAttribute('type'), 'password');
      assert.equal(await page.locator('input[name=org]').count(), 1, 'the organisation field is named org');
    } finally {
      await close();
    }
  });

  it('loads nothing from outside the IdP during a whole sign-in', async () => {
    const user = await createUser(server.services, acme);
    const { page, requests, callbacks, waitForCallback, close } = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      const { start } = await openAuthorization(page, boundRp, bound);
      await page.waitForLoadState('load');
      await fillSignIn(page, 'ja', user);
      const callback = await waitForCallback();
      await redeem(boundRp, start, callback);

      const idp = new URL(server.url).origin;
      const foreign = requests.filter((url) => {
        const origin = new URL(url).origin;
        return origin !== idp && origin !== CALLBACK_ORIGIN;
      });
      assert.deepEqual(foreign, [], 'every request goes to the IdP or the relying party callback');
      assert.ok(requests.some((url) => url.endsWith('/assets/style.css')), 'the stylesheet comes from the IdP');
      assert.ok(requests.some((url) => url.endsWith('/assets/password.js')), 'the script comes from the IdP');
      assert.equal(callbacks.length, 1);
      assert.equal(callbacks[0]!.pathname, '/callback');
    } finally {
      await close();
    }
  });

  it('fits a 375 px wide phone screen without horizontal scrolling and signs in there', async () => {
    const user = await createUser(server.services, acme);
    const { page, waitForCallback, close } = await newTestContext(browser, {
      locale: 'ja-JP',
      viewport: { width: 375, height: 667 },
      isMobile: true,
    });
    try {
      const { start } = await openAuthorization(page, boundRp, bound);
      const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
      assert.ok(scrollWidth <= 375, `page is ${scrollWidth}px wide on a 375px screen`);
      for (const label of [LABELS.ja.username, LABELS.ja.password]) {
        const box = await page.getByLabel(label, { exact: true }).boundingBox();
        assert.ok(box, `${label} is laid out`);
        assert.ok(box.x >= 0 && box.x + box.width <= 375, `${label} fits on screen (${box.x}+${box.width})`);
      }
      const submit = await page.getByRole('button', { name: LABELS.ja.submit, exact: true }).boundingBox();
      assert.ok(submit && submit.x + submit.width <= 375 && submit.height >= 24, 'the submit button is on screen and tappable');

      await page.getByLabel(LABELS.ja.username, { exact: true }).tap();
      await page.getByLabel(LABELS.ja.username, { exact: true }).fill(user.username);
      await page.getByLabel(LABELS.ja.password, { exact: true }).fill(user.password);
      await page.getByRole('button', { name: LABELS.ja.submit, exact: true }).tap();
      const tokens = await redeem(boundRp, start, await waitForCallback());
      assert.equal(tokens.claims()!.sub, user.id);
    } finally {
      await close();
    }
  });
});
