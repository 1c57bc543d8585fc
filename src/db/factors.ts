import type { Knex } from 'knex';
import { execute, selectRows } from './raw.js';
import { randomId } from '../util/ids.js';

export type FactorType = 'totp' | 'email';

export interface Factor {
  id: string;
  userId: string;
  type: FactorType;
  label: string;
  secretEncrypted: string | null;
  email: string | null;
  period: number | null;
  digits: number | null;
  lastUsedStep: number | null;
  confirmedAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
}

interface FactorRow {
  id: string;
  user_id: string;
  type: string;
  label: string;
  secret_encrypted: string | null;
  email: string | null;
  period: number | null;
  digits: number | null;
  last_used_step: number | null;
  confirmed_at: number | null;
  last_used_at: number | null;
  created_at: number;
}

const n = (v: number | null) => (v === null || v === undefined ? null : Number(v));

const toFactor = (r: FactorRow): Factor => ({
  id: r.id,
  userId: r.user_id,
  type: r.type as FactorType,
  label: r.label,
  secretEncrypted: r.secret_encrypted,
  email: r.email,
  period: n(r.period),
  digits: n(r.digits),
  lastUsedStep: n(r.last_used_step),
  confirmedAt: n(r.confirmed_at),
  lastUsedAt: n(r.last_used_at),
  createdAt: Number(r.created_at),
});

export type FactorRepository = ReturnType<typeof createFactorRepository>;

// Constant SQL (src/db/raw.ts) for what every second-factor sign-in runs.
const SQL = {
  listByUser: 'select * from factors where user_id = ? order by created_at',
  findForUser: 'select * from factors where id = ? and user_id = ?',
  useTotpStep: 'update factors set last_used_step = ?, last_used_at = ? where id = ? and (last_used_step is null or last_used_step < ?)',
} as const;

export function createFactorRepository(knex: Knex) {
  const table = () => knex<FactorRow>('factors');
  return {
    async create(input: {
      id?: string;
      userId: string;
      type: FactorType;
      label: string;
      secretEncrypted?: string | null;
      email?: string | null;
      period?: number | null;
      digits?: number | null;
      confirmedAt?: number | null;
    }): Promise<Factor> {
      const row: FactorRow = {
        id: input.id ?? randomId(),
        user_id: input.userId,
        type: input.type,
        label: input.label,
        secret_encrypted: input.secretEncrypted ?? null,
        email: input.email ?? null,
        period: input.period ?? null,
        digits: input.digits ?? null,
        last_used_step: null,
        confirmed_at: input.confirmedAt ?? null,
        last_used_at: null,
        created_at: Date.now(),
      };
      await table().insert(row);
      return toFactor(row);
    },
    async listByUser(userId: string): Promise<Factor[]> {
      return (await selectRows<FactorRow>(knex, SQL.listByUser, [userId])).map(toFactor);
    },
    async findForUser(userId: string, id: string): Promise<Factor | undefined> {
      const [row] = await selectRows<FactorRow>(knex, SQL.findForUser, [id, userId]);
      return row && toFactor(row);
    },
    async confirm(id: string, at = Date.now()): Promise<void> {
      await table().where({ id }).update({ confirmed_at: at });
    },
    /**
     * Records the TOTP time step as used, only if it is newer than the last one:
     * of two racing submissions of the same code, exactly one wins.
     */
    async useTotpStep(id: string, step: number): Promise<boolean> {
      return (await execute(knex, SQL.useTotpStep, [step, Date.now(), id, step])) === 1;
    },
    async rename(userId: string, id: string, label: string): Promise<void> {
      await table().where({ id, user_id: userId }).update({ label: label.slice(0, 100) });
    },
    async touch(id: string): Promise<void> {
      await table().where({ id }).update({ last_used_at: Date.now() });
    },
    async remove(userId: string, id: string): Promise<boolean> {
      return (await table().where({ id, user_id: userId }).delete()) > 0;
    },
    /** Every other 2FA address of the user (confirmed or not) goes; `keepId` stays. */
    async removeOtherEmails(userId: string, keepId: string): Promise<number> {
      return table().where({ user_id: userId, type: 'email' }).whereNot({ id: keepId }).delete();
    },
    async removeUnconfirmed(userId: string, type: FactorType): Promise<void> {
      await table().where({ user_id: userId, type }).whereNull('confirmed_at').delete();
    },
    async removeAllForUser(userId: string, trx: Knex = knex): Promise<number> {
      return trx<FactorRow>('factors').where({ user_id: userId }).delete();
    },
  };
}
