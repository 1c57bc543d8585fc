import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '../src/crypto/secret-box.js';

/**
 * CSRF tokens bound to the interaction: an HMAC of its uid under a key derived from
 * IDP_SECRET_KEY. Any instance can check one without shared state.
 */
export function createCsrf(secretKey: string) {
  const key = deriveKey(secretKey, 'csrf v1');
  const tokenFor = (uid: string) => createHmac('sha256', key).update(uid).digest('base64url');
  return {
    tokenFor,
    verify(uid: string, token: unknown): boolean {
      if (typeof token !== 'string') return false;
      const expected = Buffer.from(tokenFor(uid));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
