import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { normaliseCode } from '../normalise-code.js';

/** A 6-digit code (seed 001), uniformly drawn. */
export function generateEmailCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** An unguessable token for the confirmation link of the same mail (seed 000). */
export function generateLinkToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Keyed hash of a code or link token. Codes live minutes and are limited by attempts,
 * so a keyed HMAC is enough; the stored value alone reveals nothing.
 */
export function hashSecret(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Accepts "123 456", "123-456" and full-width digits; anything else is malformed. */
export function normaliseEmailCode(input: string): string | undefined {
  const code = normaliseCode(input);
  return /^\d{6}$/.test(code) ? code : undefined;
}
