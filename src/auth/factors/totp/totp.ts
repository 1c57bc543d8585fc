import { generateSecret, verifySync } from 'otplib';
import QRCode from 'qrcode';
import { normaliseCode } from '../normalise-code.js';

export { authenticatorApps, type AuthenticatorApp, type AuthenticatorPlatform } from './authenticator-apps.js';

/** Seed 003 asks for 60-second codes; 30 is what every app assumes by default. */
export type TotpPeriod = 30 | 60;
export type TotpDigits = 6 | 8;
/** Only SHA1: several widespread apps silently ignore `algorithm` and compute SHA1. */
export type TotpAlgorithm = 'SHA1';

/** Steps either side of the current one that still count, for phone clocks a little off. */
const DRIFT_STEPS = 1;

/** 20 random bytes (160 bits, RFC 4226's recommendation) as unpadded base32. */
export function generateTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export interface TotpUriInput {
  secret: string;
  accountName: string;
  issuer: string;
  period: TotpPeriod;
  digits: TotpDigits;
  algorithm: TotpAlgorithm;
}

/**
 * The Key URI Format link that apps read from the QR code (and that seed 001 shows as a
 * link). encodeURIComponent rather than URLSearchParams: apps expect `%20`, not `+`, and
 * the issuer must survive as UTF-8 (Japanese organisation names).
 */
export function totpUri(input: TotpUriInput): string {
  const label = `${encodeURIComponent(input.issuer)}:${encodeURIComponent(input.accountName)}`;
  const query = [
    ['secret', input.secret],
    ['issuer', input.issuer],
    ['period', String(input.period)],
    ['digits', String(input.digits)],
    ['algorithm', input.algorithm],
  ]
    .map(([name, value]) => `${name}=${encodeURIComponent(value as string)}`)
    .join('&');
  return `otpauth://totp/${label}?${query}`;
}

export interface VerifyTotpInput {
  secret: string;
  code: string;
  period: TotpPeriod;
  digits: TotpDigits;
  /** Milliseconds since the epoch; injected so tests and callers share one clock. */
  now: number;
  /** The step of the last accepted code (stored per user); codes at or below it are refused. */
  lastUsedStep?: number | null;
}

export type VerifyTotpResult =
  | { ok: true; step: number }
  | { ok: false; reason: 'malformed' | 'invalid' | 'replayed' };

export function normaliseTotpCode(input: string): string {
  return normaliseCode(input);
}

/**
 * Accepts the current step ±1 and returns the step that matched, which the caller
 * stores as the new `lastUsedStep` (as logto does): a code is then never accepted twice,
 * nor an older code after a newer one. otplib compares in constant time.
 */
export function verifyTotp(input: VerifyTotpInput): VerifyTotpResult {
  const code = normaliseTotpCode(input.code);
  if (code.length !== input.digits || !/^[0-9]+$/.test(code)) return { ok: false, reason: 'malformed' };

  const epoch = Math.floor(input.now / 1000);
  const options = {
    secret: input.secret,
    token: code,
    digits: input.digits,
    period: input.period,
    algorithm: 'sha1' as const,
    epoch,
    epochTolerance: DRIFT_STEPS * input.period,
  };
  const lastUsed = input.lastUsedStep != null && input.lastUsedStep >= 0 ? input.lastUsedStep : null;
  const newestStep = Math.floor(epoch / input.period) + DRIFT_STEPS;

  // otplib skips steps <= afterTimeStep, so a code that happens to match both a used
  // and an unused step in the window still passes on the unused one.
  if (lastUsed === null || lastUsed < newestStep) {
    const fresh = verifySync(lastUsed === null ? options : { ...options, afterTimeStep: lastUsed });
    // The union with HOTP's result type hides `timeStep`; a TOTP match always has it.
    if (fresh.valid && 'timeStep' in fresh) return { ok: true, step: fresh.timeStep };
    if (lastUsed === null) return { ok: false, reason: 'invalid' };
  }
  // Tell a replay apart from a wrong code, so the page can say "already used".
  return verifySync(options).valid ? { ok: false, reason: 'replayed' } : { ok: false, reason: 'invalid' };
}

/** `ABCD EFGH …` so the secret can be read out and typed (seed 004's "show secret key"). */
export function formatSecretForDisplay(secret: string): string {
  return (secret.replace(/\s+/g, '').match(/.{1,4}/g) ?? []).join(' ');
}

/** The QR code as inline SVG, drawn here: the secret never goes to a third-party service. */
export function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
}
