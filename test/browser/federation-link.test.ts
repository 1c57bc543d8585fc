import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { listLinks, removeLink } from '../../src/federation/links.js';
import { fillSignIn, launchBrowser, newTestContext, openAuthorization, redeem, screenshotPath } from '../helpers/browser.js';
import { type FederationSetup, startFederation } from '../federation/helpers.js';

describe('sign-in through an upstream IdP in Chromium', () => {
  let browser: Browser;
  let s: FederationSetup;
  before(async () => {
    browser = await launchBrowser();
    s = await startFederation('sqlite');
  });
  after(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('links the account once (en), signs in through the upstream alone, and asks again after unlinking (ja)', async (t) => {
    const [upUser, local] = await Promise.all([s.upstreamUser(), s.localUser()]);
    const { page, waitForCallback, callbacks, close } = await newTestContext(browser, { locale: 'en-US' });
    try {
      const first = await openAuthorization(page, s.rp, s.client);
      assert.equal(first.response?.status(), 200);
      const button = page.getByRole('button', { name: 'Sign in with Corp ID', exact: true });
      await button.click();
      // at the upstream (another host): its own sign-in page
      await page.waitForURL((url) => url.origin === new URL(s.upstream.config.issuer).origin);
      await fillSignIn(page, 'en', upUser);
      // back at the downstream: link with the local account
      await page.waitForURL((url) => url.origin === new URL(s.downstream.url).origin && url.pathname.startsWith('/interaction/'));
      assert.match(await page.locator('#federation-linking').innerText(), /You signed in at Corp ID/);
      const shot = screenshotPath('federation-link-en.png');
      await page.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`screenshot of the linking page: ${shot}`);
      await fillSignIn(page, 'en', local);
      const claims = (await redeem(s.rp, first.start, await waitForCallback())).claims()!;
      assert.equal(claims.sub, local.id);
      assert.deepEqual(claims.amr, ['pwd', 'fed']);
      assert.equal((await listLinks(s.downstream.services, local.id)).length, 1);

      // later, with a new downstream sign-in (prompt=login ends the local session); the upstream session still holds
      const before = callbacks.length;
      const later = await openAuthorization(page, s.rp, s.client, { prompt: 'login' });
      assert.equal(later.response?.status(), 200);
      await page.getByRole('button', { name: 'Sign in with Corp ID', exact: true }).click();
      // prompt=login is passed upstream: the upstream asks for its password again
      await page.waitForURL((url) => url.origin === new URL(s.upstream.config.issuer).origin);
      await fillSignIn(page, 'en', upUser);
      const callback = await waitForCallback((url) => url.pathname === '/callback' && url.searchParams.get('state') === later.start.state);
      assert.ok(callbacks.length > before);
      const laterClaims = (await redeem(s.rp, later.start, callback)).claims()!;
      assert.equal(laterClaims.sub, local.id);
      assert.deepEqual(laterClaims.amr, ['fed', 'pwd']);
    } finally {
      await close();
    }

    const link = (await listLinks(s.downstream.services, local.id))[0]!;
    assert.equal(await removeLink(s.downstream.services, { id: local.id, orgId: s.org.id }, link.id, { by: 'user' }), true);

    const ja = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      await openAuthorization(ja.page, s.rp, s.client);
      await ja.page.getByRole('button', { name: 'Corp IDでログイン', exact: true }).click();
      await ja.page.waitForURL((url) => url.origin === new URL(s.upstream.config.issuer).origin);
      await fillSignIn(ja.page, 'ja', upUser);
      await ja.page.waitForURL((url) => url.origin === new URL(s.downstream.url).origin && url.pathname.startsWith('/interaction/'));
      assert.match(await ja.page.locator('#federation-linking').innerText(), /Corp IDでログインしました/);
      // not linking: the password alone still works
      await ja.page.getByRole('button', { name: '連携せず、パスワードでログインする' }).click();
      assert.equal(await ja.page.locator('#federation-linking').count(), 0);
      assert.equal((await listLinks(s.downstream.services, local.id)).length, 0);
    } finally {
      await ja.close();
    }
  });

  it('shows the error page in the browser language when the state is tampered with', async () => {
    const upUser = await s.upstreamUser();
    const { page, requests, close } = await newTestContext(browser, { locale: 'ja-JP' });
    try {
      await openAuthorization(page, s.rp, s.client);
      await page.getByRole('button', { name: 'Corp IDでログイン', exact: true }).click();
      await page.waitForURL((url) => url.origin === new URL(s.upstream.config.issuer).origin);
      await fillSignIn(page, 'ja', upUser);
      await page.waitForURL((url) => url.origin === new URL(s.downstream.url).origin && url.pathname.startsWith('/interaction/'));
      // the answer the upstream sent the browser to, with its state changed
      const seen = requests.find((u) => u.startsWith(`${s.downstream.url}/federation/callback`));
      assert.ok(seen);
      const tampered = new URL(seen);
      tampered.searchParams.set('state', 'tampered');
      const res = await page.goto(tampered.toString());
      assert.equal(res?.status(), 400);
      assert.match(await page.locator('p.lead').innerText(), /ここで開始したログインのものではない/);
    } finally {
      await close();
    }
  });
});
