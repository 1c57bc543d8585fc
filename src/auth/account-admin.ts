import { mfaMethods, type Organisation, type User, usernameKey } from '../model.js';
import type { Services } from '../services.js';
import { accountKey } from './throttle.js';

/** Who did it, for the audit trail: the operator CLI, or later an admin screen. */
export type AdminActor = 'cli' | 'admin';

/**
 * Throttle keys of an account's second-factor attempts, by the `mfa:acct:<userId>`
 * convention: the whole-account key and one per method.
 */
export function mfaThrottleKeys(userId: string): string[] {
  const base = `mfa:acct:${userId}`;
  return [base, ...mfaMethods.map((m) => `${base}:${m}`)];
}

export interface MfaResetResult {
  /** second factors deleted (always 0 until the second-factor tables exist) */
  factorsRemoved: number;
  throttleKeysCleared: string[];
}

/**
 * Resets an account's second factors so the user enrols again at the next sign-in.
 *
 * NOTE: the schema has no second-factor tables yet. Deleting the user's enrolled factors
 * (TOTP secrets, WebAuthn credentials, backup codes, remembered devices) is wired in here
 * by the second-factor issue; until then this clears the second-factor throttles and
 * records the `mfa.reset` audit event, and reports `factorsRemoved: 0`.
 */
export async function resetMfa(services: Services, user: User, by: AdminActor = 'cli'): Promise<MfaResetResult> {
  const keys = mfaThrottleKeys(user.id);
  const present = new Set((await services.repos.throttles.get(keys)).map((s) => s.key));
  for (const key of keys) await services.repos.throttles.clear(key);
  const result: MfaResetResult = { factorsRemoved: 0, throttleKeysCleared: keys.filter((k) => present.has(k)) };
  await services.audit.record({
    type: 'mfa.reset',
    orgId: user.orgId,
    userId: user.id,
    details: { by, factorsRemoved: result.factorsRemoved },
  });
  return result;
}

export interface UnlockResult {
  /** the account was locked out at the time of the unlock */
  wasLocked: boolean;
  /** consecutive failed password attempts that were forgiven */
  failures: number;
}

/**
 * Lifts a password lock-out: forgets the account's failed attempts (the key the sign-in
 * page counts, see src/auth/login.ts). Address-based throttles are left alone.
 */
export async function unlockAccount(services: Services, org: Organisation, user: User, by: AdminActor = 'cli'): Promise<UnlockResult> {
  const key = accountKey(org.code, usernameKey(user.username));
  const [state] = await services.repos.throttles.get([key]);
  await services.repos.throttles.clear(key);
  const result: UnlockResult = {
    wasLocked: Boolean(state?.lockedUntil && state.lockedUntil > Date.now()),
    failures: state?.failures ?? 0,
  };
  await services.audit.record({
    type: 'account.unlocked',
    orgId: org.id,
    userId: user.id,
    details: { by, wasLocked: result.wasLocked, failures: result.failures },
  });
  return result;
}
