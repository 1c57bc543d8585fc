import { base32Decode, stepOf, totpAtStep } from '../unit/factors/rfc6238.js';
import type { Services } from '../../src/services.js';
import { type HttpSession, formField } from './http-session.js';

/** A TOTP code computed by the test's own RFC 6238 generator, not by the product. */
export function totpCode(secret: string, offsetSteps = 0, period = 30, digits = 6): string {
  const key = base32Decode(secret.replace(/\s+/g, ''));
  return totpAtStep(key, stepOf(Math.floor(Date.now() / 1000), period) + offsetSteps, digits);
}

/** The secret shown as text on the TOTP set-up page. */
export function secretOnPage(html: string): string {
  const m = /<code id="totp-secret">([^<]+)<\/code>/.exec(html);
  if (!m) throw new Error('no TOTP secret on the page');
  return m[1]!.replace(/\s+/g, '');
}

/** Posts a form found on the page (by its action's last path segment) with the CSRF token. */
export async function postStep(
  session: HttpSession,
  page: { html: string; url: string },
  step: string,
  fields: Record<string, string> = {},
): Promise<{ res: Response; url: string; html: string }> {
  const csrf = formField(page.html, 'csrf');
  if (!csrf) throw new Error(`no CSRF token on ${page.url}`);
  const base = /^\/interaction\/[^/]+/.exec(new URL(page.url).pathname)?.[0];
  if (!base) throw new Error(`not an interaction page: ${page.url}`);
  const action = `${base}/${step}`;
  const res = await session.post(action, { csrf, ...fields });
  const followed = await session.follow(res, new URL(action, page.url).toString(), 'http://127.0.0.1:9/');
  const html = followed.url.startsWith('http://127.0.0.1:9/') ? '' : await followed.res.text();
  return { res: followed.res, url: followed.url, html };
}

export function backupCodesOnPage(html: string): string[] {
  const list = /<ol id="backup-codes"[^>]*>([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? '';
  return [...list.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1]!.replace(/\s+/g, ''));
}

/**
 * A confirmed authenticator app for a user, stored the way the product stores one (secret
 * sealed for that user), for tests about what happens once a user has one.
 */
export async function addTotpFactor(services: Services, userId: string, secret: string, label = 'Phone'): Promise<void> {
  await services.repos.factors.create({
    userId,
    type: 'totp',
    label,
    secretEncrypted: services.box.seal(secret, `totp:${userId}`),
    period: 30,
    digits: 6,
    confirmedAt: Date.now(),
  });
}
