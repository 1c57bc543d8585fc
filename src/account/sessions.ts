import type { Services } from '../services.js';

/** One sign-in session of a user, as oidc-provider stored it. */
export interface UserSession {
  uid: string;
  /** epoch ms of the sign-in */
  loginAt: number | null;
  expiresAt: number | null;
  /** applications that received tokens through it */
  clients: string[];
}

interface SessionPayload {
  uid?: unknown;
  accountId?: unknown;
  loginTs?: unknown;
  authorizations?: Record<string, { grantId?: unknown }>;
}

/**
 * The user's sign-in sessions (oidc-provider Session models, found by the account_id
 * column of oidc_payloads) and their ending: the Session goes, and with it the grants —
 * so the tokens — that applications received through it.
 */
export function createUserSessions(services: Services) {
  const { payloads } = services.repos;
  async function all(userId: string) {
    return (await payloads.listByAccount('Session', userId)).filter((s) => (s.payload as SessionPayload).accountId === userId);
  }
  async function end(stored: { id: string; payload: Record<string, unknown> }): Promise<void> {
    const p = stored.payload as SessionPayload;
    for (const auth of Object.values(p.authorizations ?? {})) {
      if (typeof auth.grantId === 'string') await payloads.revokeByGrantId(auth.grantId);
    }
    await payloads.destroy('Session', stored.id);
  }
  return {
    async list(userId: string): Promise<UserSession[]> {
      return (await all(userId))
        .map((s) => {
          const p = s.payload as SessionPayload;
          return {
            uid: String(p.uid ?? ''),
            loginAt: typeof p.loginTs === 'number' ? p.loginTs * 1000 : null,
            expiresAt: s.expiresAt,
            clients: Object.keys(p.authorizations ?? {}),
          };
        })
        .sort((a, b) => (b.loginAt ?? 0) - (a.loginAt ?? 0));
    },
    /** Ends one session of this user; false when the uid is not one of theirs. */
    async revoke(userId: string, uid: string): Promise<boolean> {
      const found = (await all(userId)).find((s) => (s.payload as SessionPayload).uid === uid);
      if (!found) return false;
      await end(found);
      return true;
    },
    /** Ends every session of the user except `keepUid` (the one in use); returns how many. */
    async revokeAll(userId: string, keepUid?: string): Promise<number> {
      const ended = (await all(userId)).filter((s) => (s.payload as SessionPayload).uid !== keepUid);
      for (const s of ended) await end(s);
      return ended.length;
    },
  };
}
