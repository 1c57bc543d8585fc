import { createHash, randomBytes } from 'node:crypto';
import type { RememberedBrowserRepository } from '../db/remembered-browsers.js';

export const REMEMBER_COOKIE = 'idp_rb';

/**
 * A remembered browser's last use is rewritten at most this often: it is shown to the
 * user (account pages, "last used") and read by nothing else, so to the hour is enough,
 * and a browser used for several sign-ins in an hour costs one write, not one each.
 */
export const LAST_USE_PRECISION_MS = 3600_000;

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
    /** What the browser proved (and which entry it is), if its token is live and belongs to this user. */
    async check(token: string | undefined, userId: string): Promise<{ id: string; amr: string[] } | undefined> {
      if (!token || token.length > 100) return undefined;
      const at = now();
      const entry = await repo.findLive(hashToken(token), at);
      if (!entry || entry.userId !== userId) return undefined;
      if (entry.lastUsedAt === null || at - entry.lastUsedAt >= LAST_USE_PRECISION_MS) await repo.touch(entry.id, at);
      return { id: entry.id, amr: entry.amr };
    },
    revokeAll: (userId: string) => repo.revokeAllForUser(userId),
  };
}

export type RememberedBrowsers = ReturnType<typeof createRememberedBrowsers>;
