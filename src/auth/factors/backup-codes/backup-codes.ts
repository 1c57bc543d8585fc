import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '../../../crypto/secret-box.js';
import { normaliseCode } from '../normalise-code.js';

/** Seed 001 shows an 8-digit backup code after registration. */
export const BACKUP_CODE_DIGITS = 8;
const CODE_SPACE = 10 ** BACKUP_CODE_DIGITS;

/**
 * Backup codes are stored as HMAC-SHA256 under a key derived from IDP_SECRET_KEY, not
 * as argon2 hashes. A user holds ten codes and a submitted code carries no hint of which
 * one it is, so argon2 would cost ten slow hashes per attempt (or per row scanned) — an
 * easy way to exhaust the CPU. Argon2 protects low-entropy secrets when the database
 * leaks; here the key lives outside the database, so a stolen database alone cannot
 * even start on the 10^8 space, while a check costs ten microsecond-HMACs.
 */
export function backupCodeKey(secretKey: string): Buffer {
  return deriveKey(secretKey, 'backup-codes v1');
}

/** `count` distinct 8-digit codes, uniformly drawn from the CSPRNG. */
export function generateBackupCodes(count = 10): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new RangeError('backup codes: count out of range');
  const codes = new Set<string>();
  while (codes.size < count) codes.add(String(randomInt(0, CODE_SPACE)).padStart(BACKUP_CODE_DIGITS, '0'));
  return [...codes];
}

export function normaliseBackupCode(input: string): string {
  return normaliseCode(input);
}

/** '12345678' → '1234 5678', as shown to the user; input in either form is accepted. */
export function formatBackupCode(code: string): string {
  const digits = normaliseBackupCode(code);
  return `${digits.slice(0, 4)} ${digits.slice(4)}`;
}

/** Hex HMAC-SHA256 of the normalised code, under `backupCodeKey(IDP_SECRET_KEY)`. */
export function hashBackupCode(key: Buffer, code: string): string {
  return createHmac('sha256', key).update(normaliseBackupCode(code), 'utf8').digest('hex');
}

function isWellFormed(code: string): boolean {
  return code.length === BACKUP_CODE_DIGITS && /^[0-9]+$/.test(code);
}

/**
 * The index of the stored hash that `input` matches, or -1. Every hash is compared in
 * constant time and the loop never exits early, so timing does not reveal which code
 * (or whether any) matched. The caller deletes the matched row: each code works once.
 */
export function matchBackupCode(key: Buffer, input: string, storedHashes: readonly string[]): number {
  const code = normaliseBackupCode(input);
  if (!isWellFormed(code)) return -1;
  const candidate = Buffer.from(hashBackupCode(key, code), 'hex');
  let found = -1;
  storedHashes.forEach((stored, index) => {
    const bytes = Buffer.from(stored, 'hex');
    const same = bytes.length === candidate.length && timingSafeEqual(bytes, candidate);
    if (same && found === -1) found = index;
  });
  return found;
}
