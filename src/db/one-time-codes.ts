import type { Knex } from 'knex';
import { randomId } from '../util/ids.js';

/** mfa_email: sign-in code; verify_email: confirming a 2FA address; step_up: re-checking on /account; password_reset: the forgot-password link */
export type CodePurpose = 'mfa_email' | 'verify_email' | 'step_up' | 'password_reset';

export interface OneTimeCode {
  id: string;
  userId: string;
  purpose: CodePurpose;
  flowUid: string | null;
  factorId: string | null;
  email: string;
  codeHash: string;
  linkHash: string | null;
  attempts: number;
  expiresAt: number;
  usedAt: number | null;
  createdAt: number;
}

interface CodeRow {
  id: string;
  user_id: string;
  purpose: string;
  flow_uid: string | null;
  factor_id: string | null;
  email: string;
  code_hash: string;
  link_hash: string | null;
  attempts: number;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

const toCode = (r: CodeRow): OneTimeCode => ({
  id: r.id,
  userId: r.user_id,
  purpose: r.purpose as CodePurpose,
  flowUid: r.flow_uid,
  factorId: r.factor_id,
  email: r.email,
  codeHash: r.code_hash,
  linkHash: r.link_hash,
  attempts: Number(r.attempts),
  expiresAt: Number(r.expires_at),
  usedAt: r.used_at === null ? null : Number(r.used_at),
  createdAt: Number(r.created_at),
});

export type OneTimeCodeRepository = ReturnType<typeof createOneTimeCodeRepository>;

export function createOneTimeCodeRepository(knex: Knex) {
  const table = (trx: Knex = knex) => trx<CodeRow>('one_time_codes');
  return {
    /** Issues a code and voids every earlier unused one of the same user and purpose. */
    async issue(input: Omit<OneTimeCode, 'id' | 'attempts' | 'usedAt' | 'createdAt'>): Promise<OneTimeCode> {
      const row: CodeRow = {
        id: randomId(),
        user_id: input.userId,
        purpose: input.purpose,
        flow_uid: input.flowUid,
        factor_id: input.factorId,
        email: input.email,
        code_hash: input.codeHash,
        link_hash: input.linkHash,
        attempts: 0,
        expires_at: input.expiresAt,
        used_at: null,
        created_at: Date.now(),
      };
      await knex.transaction(async (trx) => {
        await table(trx).where({ user_id: input.userId, purpose: input.purpose }).whereNull('used_at').update({ used_at: row.created_at });
        await table(trx).insert(row);
      });
      return toCode(row);
    },
    /** The newest live code of a user for a purpose (and flow, when given). */
    async findLive(userId: string, purpose: CodePurpose, now = Date.now()): Promise<OneTimeCode | undefined> {
      const row = await table()
        .where({ user_id: userId, purpose })
        .whereNull('used_at')
        .andWhere('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .first();
      return row && toCode(row);
    },
    async latest(userId: string, purpose: CodePurpose): Promise<OneTimeCode | undefined> {
      const row = await table().where({ user_id: userId, purpose }).orderBy('created_at', 'desc').first();
      return row && toCode(row);
    },
    async findByLinkHash(linkHash: string): Promise<OneTimeCode | undefined> {
      const row = await table().where({ link_hash: linkHash }).first();
      return row && toCode(row);
    },
    async countAttempt(id: string): Promise<number> {
      await table().where({ id }).increment('attempts', 1);
      const row = await table().where({ id }).first();
      return Number(row?.attempts ?? 0);
    },
    /** Single use: only one of two racing submissions consumes the code. */
    async consume(id: string): Promise<boolean> {
      return (await table().where({ id }).whereNull('used_at').update({ used_at: Date.now() })) === 1;
    },
    async voidAll(userId: string, purpose: CodePurpose): Promise<void> {
      await table().where({ user_id: userId, purpose }).whereNull('used_at').update({ used_at: Date.now() });
    },
    async purgeExpired(now = Date.now()): Promise<number> {
      return table().where('expires_at', '<', now - 24 * 3600_000).delete();
    },
  };
}
