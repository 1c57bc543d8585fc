import { createHash, randomBytes } from 'node:crypto';
import type { RememberedBrowserRepository } from '../db/remembered-browsers.js';

export const REMEMBER_COOKIE = 'idp_rb';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * "Don't ask again on this browser" (seed 002): a random token in an HttpOnly cookie,
 * stored only as a hash, bound to one user, revocable, and expiring after the
 * organisation's hours.
 */
export function createRememberedBrowsers(repo: RememberedBrowserRepository, now: () => number = Date.now) {
  return {
    async remember(userId: string, amr: string[], hours: number, userAgent: string | null): Promise<{ token: string; expiresAt: number }> {
      const token = randomBytes(32).toString('base64url');
      const expiresAt = now() + hours * 3600_000;
      await repo.create({ userId, tokenHash: hashToken(token), amr, userAgent, expiresAt });
      return { token, expiresAt };
    },
    /** What the browser proved, if its token is live and belongs to this user. */
    async check(token: string | undefined, userId: string): Promise<string[] | undefined> {
      if (!token || token.length > 100) return undefined;
      const entry = await repo.findLive(hashToken(token), now());
      if (!entry || entry.userId !== userId) return undefined;
      await repo.touch(entry.id);
      return entry.amr;
    },
    revokeAll: (userId: string) => repo.revokeAllForUser(userId),
  };
}

export type RememberedBrowsers = ReturnType<typeof createRememberedBrowsers>;
