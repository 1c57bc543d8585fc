import { type Actor, actorFields, actorId } from '../admin/actor.js';
import { type Organisation, type User, usernameKey } from '../model.js';
import type { Services } from '../services.js';
import { accountKey, secondFactorKey } from './throttle.js';

export interface MfaResetResult {
  /** second factors deleted (TOTP authenticators, 2FA email addresses) */
  factorsRemoved: number;
  /** backup codes deleted */
  backupCodesRemoved: number;
  /** remembered browsers revoked */
  browsersRevoked: number;
  /** second-factor lock-outs lifted (0 or 1) */
  throttleKeysCleared: string[];
}

/**
 * Resets an account's second factors (seeds 001, 004: the administrator resets 2FA):
 * factors, backup codes and remembered browsers go, pending codes are void, and the
 * second-factor lock is lifted, so the user sets up again at the next sign-in.
 */
export async function resetMfa(services: Services, user: User, actor: Actor): Promise<MfaResetResult> {
  const key = secondFactorKey(user.id);
  const present = (await services.repos.throttles.get([key])).length > 0;
  await services.repos.throttles.clear(key);
  const removed = await services.secondFactors.reset(user, actorId(actor), actorFields(actor));
  return {
    factorsRemoved: removed.factors,
    backupCodesRemoved: removed.backupCodes,
    browsersRevoked: removed.browsers,
    throttleKeysCleared: present ? [key] : [],
  };
}

export interface UnlockResult {
  /** the account was locked out at the time of the unlock */
  wasLocked: boolean;
  /** consecutive failed password attempts that were forgiven */
  failures: number;
}

/**
 * Lifts a password lock-out: forgets the account's failed attempts (the key the sign-in
 * page counts, see src/auth/login.ts). Address-based throttles
 * are left alone.
 */
export async function unlockAccount(services: Services, org: Organisation, user: User, actor: Actor): Promise<UnlockResult> {
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
    ...actorFields(actor),
    details: { by: actorId(actor), wasLocked: result.wasLocked, failures: result.failures },
  });
  return result;
}
