import type { ThrottleRepository } from '../db/throttles.js';

export interface ThrottleSettings {
  accountFailures: number;
  addressFailures: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  failureResetSeconds: number;
}

/**
 * Keycloak-style brute-force detection, shared by all instances through the database.
 * Keys are derived from what the user typed, so an unknown account is throttled exactly
 * like a real one and the answer never reveals which exists.
 */
export function accountKey(orgCode: string, usernameKey: string): string {
  return `pwd:acct:${orgCode}:${usernameKey}`;
}
export function addressKey(ip: string): string {
  return `pwd:ip:${ip}`;
}
/** Wrong second-factor codes of one account, across sign-ins. */
export function secondFactorKey(userId: string): string {
  return `mfa:acct:${userId}`;
}

/** Lock length earned by the n-th consecutive failure: doubling from the base, capped. */
export function lockMillis(failures: number, threshold: number, s: ThrottleSettings): number {
  if (failures < threshold) return 0;
  const seconds = Math.min(s.maxDelaySeconds, s.baseDelaySeconds * 2 ** (failures - threshold));
  return seconds * 1000;
}

export type Throttle = ReturnType<typeof createThrottle>;

export function createThrottle(repo: ThrottleRepository, settings: ThrottleSettings, now: () => number = Date.now) {
  const thresholdOf = (key: string) => (key.startsWith('pwd:ip:') ? settings.addressFailures : settings.accountFailures);
  return {
    /** The time until which any of the keys is locked, or undefined when none is. */
    async lockedUntil(keys: string[]): Promise<number | undefined> {
      const t = now();
      const until = (await repo.get(keys)).map((s) => s.lockedUntil ?? 0).filter((u) => u > t);
      return until.length ? Math.max(...until) : undefined;
    },
    /** Counts a failure on every key; returns the lock it earned, if any. */
    async fail(keys: string[], threshold?: number): Promise<number | undefined> {
      const t = now();
      const resetBefore = t - settings.failureResetSeconds * 1000;
      let latest: number | undefined;
      for (const key of keys) {
        const state = await repo.recordFailure(key, t, resetBefore, (n) => lockMillis(n, threshold ?? thresholdOf(key), settings));
        if (state.lockedUntil && (!latest || state.lockedUntil > latest)) latest = state.lockedUntil;
      }
      return latest;
    },
    /** A success forgives the account's failures (not the address's: one good login must not unlock a spray). */
    async succeed(key: string): Promise<void> {
      await repo.clear(key);
    },
    clear: (key: string) => repo.clear(key),
  };
}
