import type { Knex } from 'knex';

export interface StoredKey {
  kid: string;
  use: 'sig' | 'cookie';
  alg: string | null;
  materialEncrypted: string;
  status: 'active' | 'retired';
  createdAt: number;
  /** epoch ms from which the key signs (published in the JWKS before that) */
  notBefore: number;
  /** epoch ms after which the key leaves the JWKS; null while it has no successor */
  retireAfter: number | null;
}

export type NewKey = Omit<StoredKey, 'status' | 'retireAfter'>;

interface KeyRow {
  kid: string;
  use: string;
  alg: string | null;
  material_encrypted: string;
  status: string;
  created_at: number;
  not_before: number | null;
  retire_after: number | null;
}

const toKey = (r: KeyRow): StoredKey => ({
  kid: r.kid,
  use: r.use as StoredKey['use'],
  alg: r.alg,
  materialEncrypted: r.material_encrypted,
  status: r.status as StoredKey['status'],
  createdAt: Number(r.created_at),
  notBefore: r.not_before === null ? Number(r.created_at) : Number(r.not_before),
  retireAfter: r.retire_after === null ? null : Number(r.retire_after),
});

export type KeyRepository = ReturnType<typeof createKeyRepository>;

export function createKeyRepository(knex: Knex) {
  const table = () => knex<KeyRow>('keys');
  return {
    /** Newest first: oidc-provider signs with the first key of a matching algorithm. */
    async list(use: StoredKey['use'], status: StoredKey['status'] = 'active'): Promise<StoredKey[]> {
      return (await table().where({ use, status }).orderBy('created_at', 'desc')).map(toKey);
    },
    async insertMany(keys: NewKey[], trx: Knex = knex): Promise<void> {
      if (!keys.length) return;
      await trx<KeyRow>('keys').insert(
        keys.map((k) => ({
          kid: k.kid,
          use: k.use,
          alg: k.alg,
          material_encrypted: k.materialEncrypted,
          status: 'active',
          created_at: k.createdAt,
          not_before: k.notBefore,
          retire_after: null,
        })),
      );
    },
    /**
     * Schedules the removal from the JWKS of every active key of `use` that has none
     * yet (an earlier retirement, already scheduled, is kept). Returns the kids.
     */
    async scheduleRetirement(use: StoredKey['use'], at: number): Promise<string[]> {
      const rows = await table().where({ use, status: 'active' }).whereNull('retire_after').select('kid');
      const kids = rows.map((r) => r.kid);
      if (kids.length) await table().whereIn('kid', kids).update({ retire_after: at });
      return kids;
    },
    transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
      return knex.transaction(fn);
    },
  };
}
