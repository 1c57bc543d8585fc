import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { Services } from '../services.js';
import { guardDatabase } from '../db/unavailable.js';

export interface SessionLimits {
  idleSeconds: number;
  maxSeconds: number;
}

/**
 * The organisation's session limits, found while loading the account so the synchronous
 * `ttl.Session` function can use them for the same request.
 */
export const sessionLimitsByRequest = new WeakMap<object, SessionLimits>();

export function createFindAccount(services: Services) {
  const { users } = services.repos;
  return async function findAccount(ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    // one statement: the user joined with its own organisation (a round trip less on PostgreSQL)
    const found = await guardDatabase(() => users.findByIdWithOrg(sub));
    if (!found || found.user.disabled) return undefined;
    const { user, org } = found;
    sessionLimitsByRequest.set(ctx, {
      idleSeconds: org.settings.sessionIdleMinutes * 60,
      maxSeconds: org.settings.sessionMaxHours * 3600,
    });
    return {
      accountId: user.id,
      async claims() {
        return {
          sub: user.id,
          name: user.name ?? user.username,
          preferred_username: user.username,
          email: user.email ?? undefined,
          email_verified: user.email ? user.emailVerified : undefined,
          locale: user.locale ?? undefined,
          org: org.code,
        };
      },
    };
  };
}
