import type { Knex } from 'knex';
import { randomId } from '../util/ids.js';

export interface RememberedBrowser {
  id: string;
  userId: string;
  amr: string[];
  userAgent: string | null;
  createdAt: number;
  expiresAt: number;
  lastUsedAt: number | null;
}

interface Row {
  id: string;
  user_id: string;
  token_hash: string;
  amr: string;
  user_agent: string | null;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const toBrowser = (r: Row): RememberedBrowser => ({
  id: r.id,
  userId: r.user_id,
  amr: JSON.parse(r.amr) as string[],
  userAgent: r.user_agent,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});

export type RememberedBrowserRepository = ReturnType<typeof createRememberedBrowserRepository>;

export function createRememberedBrowserRepository(knex: Knex) {
  const table = (trx: Knex = knex) => trx<Row>('remembered_browsers');
  return {
    async create(input: { userId: string; tokenHash: string; amr: string[]; userAgent: string | null; expiresAt: number }): Promise<RememberedBrowser> {
      const row: Row = {
        id: randomId(),
        user_id: input.userId,
        token_hash: input.tokenHash,
        amr: JSON.stringify(input.amr),
        user_agent: input.userAgent?.slice(0, 512) ?? null,
        created_at: Date.now(),
        expires_at: input.expiresAt,
        last_used_at: null,
        revoked_at: null,
      };
      await table().insert(row);
      return toBrowser(row);
    },
    /** A live (unexpired, unrevoked) entry for this token. */
    async findLive(tokenHash: string, now = Date.now()): Promise<RememberedBrowser | undefined> {
      const row = await table().where({ token_hash: tokenHash }).whereNull('revoked_at').andWhere('expires_at', '>', now).first();
      return row && toBrowser(row);
    },
    async touch(id: string, at = Date.now()): Promise<void> {
      await table().where({ id }).update({ last_used_at: at });
    },
    async listLive(userId: string, now = Date.now()): Promise<RememberedBrowser[]> {
      return (await table().where({ user_id: userId }).whereNull('revoked_at').andWhere('expires_at', '>', now).orderBy('created_at', 'desc')).map(toBrowser);
    },
    async revokeAllForUser(userId: string, trx: Knex = knex): Promise<number> {
      return table(trx).where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: Date.now() });
    },
    async revoke(userId: string, id: string): Promise<boolean> {
      return (await table().where({ id, user_id: userId }).whereNull('revoked_at').update({ revoked_at: Date.now() })) === 1;
    },
    async purgeExpired(now = Date.now()): Promise<number> {
      return table().where('expires_at', '<', now).delete();
    },
  };
}
