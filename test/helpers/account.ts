import type { FixtureUser } from './fixtures.js';
import { HttpSession, formField } from './http-session.js';
import { postStep, totpCode } from './mfa.js';
import { submitPassword } from './rp.js';

export interface AccountPage {
  res: Response;
  url: string;
  html: string;
}

async function land(session: HttpSession, res: Response, url: string): Promise<AccountPage> {
  const followed = await session.follow(res, url);
  return { res: followed.res, url: followed.url, html: await followed.res.text() };
}

/** GET an account page (following redirects on the IdP) with its HTML. */
export async function openAccount(session: HttpSession, path = '/account'): Promise<AccountPage> {
  const url = new URL(path, session.base).toString();
  return land(session, await session.get(url), url);
}

/**
 * Signs in to /account through the provider: /account → /account/login → /auth → the
 * sign-in page (password, then the TOTP code when asked) → /account/callback → the page.
 */
export async function signInToAccount(
  session: HttpSession,
  user: Pick<FixtureUser, 'orgCode' | 'username' | 'password'>,
  opts: { path?: string; totpSecret?: string; totpOffset?: number; remember?: boolean } = {},
): Promise<AccountPage> {
  const start = await openAccount(session, opts.path ?? '/account');
  if (!/\/interaction\//.test(start.url)) throw new Error(`expected the sign-in page, got ${start.url}`);
  const after = await submitPassword(session, start, user, 'http://never.invalid/');
  let page: AccountPage = { res: after.res, url: after.url, html: await after.res.text() };
  if (/\/interaction\//.test(page.url) && opts.totpSecret && page.html.includes('name="method" value="totp"')) {
    const done = await postStep(session, page, 'mfa', {
      method: 'totp',
      code: totpCode(opts.totpSecret, opts.totpOffset ?? 0),
      ...(opts.remember ? { remember: 'yes' } : {}),
    });
    page = { res: done.res, url: done.url, html: done.html };
  }
  return page;
}

/** Posts an account form with the page's CSRF token; follows redirects. */
export async function postAccount(session: HttpSession, from: { html: string }, path: string, fields: Record<string, string> = {}): Promise<AccountPage> {
  const csrf = formField(from.html, 'csrf');
  if (!csrf) throw new Error('no CSRF token on the page');
  const url = new URL(path, session.base).toString();
  return land(session, await session.post(url, { csrf, ...fields }), url);
}

export function newSession(base: string, lang: 'en' | 'ja' = 'en'): HttpSession {
  return new HttpSession(base, { 'accept-language': lang });
}
