/**
 * Sessions and remembered browsers on the account pages in Chromium: another browser's
 * session ended from the first one, then all other sessions, each signed out at its next
 * request, with the activity page in Japanese; a browser remembered for 8 hours at the
 * second step, listed, asking to confirm it is you before the password page (a
 * remembered browser proves no second step), forgotten, and asked for the second step
 * again at the next sign-in (en).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LOCALE, type Lang, T, signInToAccountPage, signOutAndBack, withTotp } from '../helpers/account-browser.js';
import { type TestContext, launchBrowser, newTestContext } from '../helpers/browser.js';
import { createOrg, createUser } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The pages' own catalogues: every visible string is checked in the page language. */

describe('sessions and remembered browsers on the account pages in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: TestContext[] = [];

  before(async () => {
    browser = await launchBrowser();
    server = await startTestServer();
    // more than one organisation: the sign-in page asks for the organisation code
    await createOrg(server.services, 'OTHER');
  });
  after(async () => {
    await browser?.close();
    await server?.stop({ dropDatabase: true });
  });

  async function context(lang: Lang): Promise<Page> {
    const tc = await newTestContext(browser, { locale: LOCALE[lang] });
    contexts.push(tc);
    return tc.page;
  }
  async function closeContexts() {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  }

  /** Opens an account page; expects the sign-in page instead (the account session ended). */
  async function expectSignedOut(page: Page, lang: Lang) {
    await page.reload();
    await page.getByLabel(T[lang]('login.username'), { exact: true }).waitFor();
    assert.match(page.url(), /\/interaction\/[^/]+$/, 'sent to sign in again');
  }

  const sessionItems = (page: Page) => page.locator('#sessions li');

  it('ja: ends another browser\'s session, then all other sessions; each is signed out at its next request; the activity page lists it', async () => {
    const t = T.ja;
    const org = await createOrg(server.services, 'SESJA', { mfa: 'optional' });
    const user = await createUser(server.services, org);
    try {
      const a = await context('ja');
      const b = await context('ja');
      const c = await context('ja');
      await a.goto(`${server.url}/account/sessions`);
      await signInToAccountPage(a, 'ja', user, { landing: /\/account\/sessions$/ });
      await a.getByRole('heading', { name: t('account.sessions.title'), level: 1 }).waitFor();
      assert.equal(await sessionItems(a).count(), 1);
      assert.equal(await sessionItems(a).locator('strong').innerText(), t('account.sessions.current'));
      assert.equal(await a.locator('#end-other-sessions').count(), 0, 'nothing else to end');

      // a second browser signs in; the first ends that one session
      await b.goto(`${server.url}/account`);
      await signInToAccountPage(b, 'ja', user, { landing: /\/account$/ });
      await a.reload();
      assert.equal(await sessionItems(a).count(), 2);
      const other = sessionItems(a).filter({ has: a.locator('strong', { hasText: t('account.sessions.other') }) });
      assert.equal(await other.count(), 1);
      assert.match(await other.innerText(), new RegExp(t('account.sessions.signedIn', { date: '.+' })));
      await other.getByRole('button', { name: t('account.sessions.end'), exact: true }).click();
      await a.waitForURL(/\/account\/sessions\?done=ended$/);
      assert.equal(await a.locator('#notice').innerText(), t('account.notice.sessionEnded'));
      assert.equal(await sessionItems(a).count(), 1);
      await expectSignedOut(b, 'ja');

      // two more sessions; "end all other sessions" ends both, this one stays
      await signInToAccountPage(b, 'ja', user, { landing: /\/account$/ });
      await c.goto(`${server.url}/account/security`);
      await signInToAccountPage(c, 'ja', user, { landing: /\/account\/security$/ });
      await a.reload();
      assert.equal(await sessionItems(a).count(), 3);
      await a.getByRole('button', { name: t('account.sessions.endOthers'), exact: true }).click();
      await a.waitForURL(/\/account\/sessions\?done=endedAll$/);
      assert.equal(await a.locator('#notice').innerText(), t('account.notice.sessionsEnded'));
      assert.equal(await sessionItems(a).count(), 1);
      assert.equal(await sessionItems(a).locator('strong').innerText(), t('account.sessions.current'));
      await expectSignedOut(b, 'ja');
      await expectSignedOut(c, 'ja');

      // the activity page, in Japanese: four sign-ins and the two session ends
      await a.getByRole('link', { name: t('account.nav.activity'), exact: true }).click();
      await a.getByRole('heading', { name: t('account.activity.title'), level: 1 }).waitFor();
      const what = (await a.locator('#activity tbody tr td:nth-child(2)').allInnerTexts()).map((s) => s.trim());
      assert.equal(what.filter((s) => s === t('account.activity.session.revoked')).length, 2, what.join(' | '));
      assert.equal(what.filter((s) => s === t('account.activity.login.succeeded')).length, 4, what.join(' | '));
    } finally {
      await closeContexts();
    }
  });

  it('en: a browser remembered for 8 hours is listed, still asks to confirm it is you before the password page, is forgotten, and the next sign-in asks for the second step again', async () => {
    const t = T.en;
    const org = await createOrg(server.services, 'REMEN', { mfa: 'required', methods: ['totp'], rememberHours: 8 });
    const user = await createUser(server.services, org);
    const phone = (await withTotp(server.services, user, 'Phone')).app;
    const tablet = (await withTotp(server.services, user, 'Tablet')).app;
    try {
      const page = await context('en');
      await page.goto(`${server.url}/account/sessions`);
      await signInToAccountPage(page, 'en', user, { app: phone, remember: true, landing: /\/account\/sessions$/ });
      await page.getByRole('heading', { name: t('account.browsers.title') }).waitFor();
      const browsers = page.locator('#browsers li');
      assert.equal(await browsers.count(), 1);
      const listed = await browsers.innerText();
      assert.match(listed, /Chrome/, 'named by its user agent');
      assert.match(listed, new RegExp(t('account.browsers.until', { date: '.+' })));

      // the remembered browser skips the second step at the next sign-in…
      await signOutAndBack(page, 'en');
      await signInToAccountPage(page, 'en', user, { landing: /\/account$/ });
      await page.getByRole('heading', { name: t('account.profile.title'), level: 1 }).waitFor();

      // …which is no proof for a sensitive page: confirm it is you first
      await page.getByRole('link', { name: t('account.nav.password'), exact: true }).click();
      await page.waitForURL(/\/account\/verify\?return=%2Faccount%2Fpassword$/);
      await page.getByRole('heading', { name: t('account.stepUp.title'), level: 1 }).waitFor();
      assert.equal(await page.locator('p.lead').innerText(), t('account.stepUp.lead'));
      await page.getByLabel(t('mfa.totp.prompt', { digits: 6 }), { exact: true }).fill(await tablet.next());
      await page.getByRole('button', { name: t('mfa.verify'), exact: true }).click();
      await page.waitForURL(/\/account\/password$/);
      await page.getByRole('heading', { name: t('changePassword.title'), level: 1 }).waitFor();

      // forget it
      await page.getByRole('link', { name: t('account.nav.sessions'), exact: true }).click();
      await browsers.getByRole('button', { name: t('account.browsers.forget'), exact: true }).click();
      await page.waitForURL(/\/account\/sessions\?done=forgot$/);
      assert.equal(await page.locator('#notice').innerText(), t('account.notice.browserForgotten'));
      assert.equal(await page.locator('#no-browsers').innerText(), t('account.browsers.none'));
      assert.equal((await server.services.repos.rememberedBrowsers.listLive(user.id)).length, 0);

      // the next sign-in on this browser asks for the second step again
      await signOutAndBack(page, 'en');
      await signInToAccountPage(page, 'en', user, { app: phone, landing: /\/account$/ });

      await page.getByRole('link', { name: t('account.nav.activity'), exact: true }).click();
      const what = (await page.locator('#activity tbody tr td:nth-child(2)').allInnerTexts()).map((s) => s.trim());
      assert.ok(what.includes(t('account.activity.browser.revoked')), what.join(' | '));
    } finally {
      await closeContexts();
    }
  });
});
