import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { translator } from '../../src/i18n/index.js';
import type { Services } from '../../src/services.js';
import { fillSignIn } from './browser.js';
import type { FixtureUser } from './fixtures.js';
import { totpCode } from './mfa.js';
import { TotpApp } from './totp-app.js';

/** The account pages' strings, from the product's own catalogues. */
export const T = { en: translator('en'), ja: translator('ja') } as const;
export type Lang = keyof typeof T;
export const LOCALE = { en: 'en-US', ja: 'ja-JP' } as const;

/** An authenticator set up through the services with the previous step's code. */
export async function withTotp(services: Services, fixture: FixtureUser, label: string): Promise<{ app: TotpApp; factorId: string }> {
  const user = (await services.repos.users.findById(fixture.id))!;
  const org = (await services.repos.orgs.findById(fixture.orgId))!;
  const started = await services.secondFactors.startTotp(user, org);
  const secret = started.secret.replace(/\s+/g, '');
  assert.deepEqual(await services.secondFactors.confirmTotp(user, started.factorId, totpCode(secret, -1), label), { ok: true });
  return { app: new TotpApp(secret), factorId: started.factorId };
}

/** From the sign-in page (already open) to the account page asked for. */
export async function signInToAccountPage(page: Page, lang: Lang, user: FixtureUser, opts: { app?: TotpApp; remember?: boolean; landing: RegExp }) {
  await fillSignIn(page, lang, { org: user.orgCode, username: user.username, password: user.password });
  if (opts.app) {
    await page.waitForURL(/\/interaction\/[^/]+$/);
    assert.equal(await page.title(), T[lang]('mfa.title'));
    await page.locator('input#code').fill(await opts.app.next());
    if (opts.remember) await page.getByLabel(T[lang]('mfa.remember', { hours: 8 }), { exact: true }).check();
    await page.getByRole('button', { name: T[lang]('mfa.verify'), exact: true }).click();
  }
  await page.waitForURL(opts.landing);
  assert.equal(await page.locator('html').getAttribute('lang'), lang);
}

/** "Sign out" in the account menu, the provider's confirmation, then "Sign in again". */
export async function signOutAndBack(page: Page, lang: Lang) {
  await page.locator('#sign-out').click();
  await page.getByRole('button', { name: T[lang]('logout.yes'), exact: true }).click();
  await page.getByText(T[lang]('account.signedOutLead')).waitFor();
  await page.getByRole('link', { name: T[lang]('account.signInAgain') }).click();
  await page.getByLabel(T[lang]('login.username'), { exact: true }).waitFor();
}
