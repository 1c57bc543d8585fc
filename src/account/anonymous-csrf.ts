import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { deriveKey } from '../crypto/secret-box.js';

const FORM_COOKIE = 'idp_form';

/**
 * CSRF for forms shown to nobody in particular (forgot password, reset password): a
 * random HttpOnly, SameSite=Lax cookie, and in the form an HMAC of it. A page of another
 * site can neither read the cookie nor compute the token.
 */
export function createAnonymousCsrf(secretKey: string, secure: boolean) {
  const key = deriveKey(secretKey, 'anonymous form csrf v1');
  const tokenOf = (nonce: string) => createHmac('sha256', key).update(nonce).digest('base64url');
  return {
    /** The token for this browser's forms (the cookie is set when missing). */
    issue(ctx: Context): string {
      let nonce = ctx.cookies.get(FORM_COOKIE);
      if (!nonce || !/^[\w-]{20,64}$/.test(nonce)) {
        nonce = randomBytes(24).toString('base64url');
        ctx.cookies.set(FORM_COOKIE, nonce, { httpOnly: true, sameSite: 'lax', secure, signed: false, overwrite: true });
      }
      return tokenOf(nonce);
    },
    verify(ctx: Context, token: unknown): boolean {
      const nonce = ctx.cookies.get(FORM_COOKIE);
      if (!nonce || typeof token !== 'string') return false;
      const expected = Buffer.from(tokenOf(nonce));
      const given = Buffer.from(token);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
