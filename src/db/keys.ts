import type { Knex } from 'knex';

export interface StoredKey {
  kid: string;
  use: 'sig' | 'cookie';
  alg: string | null;
  materialEncrypted: string;
  status: 'active' | 'retired';
  createdAt: number;
}

interface KeyRow {
  kid: string;
  use: string;
  alg: string | null;
  material_encrypted: string;
  status: string;
  created_at: number;
}

const toKey = (r: KeyRow): StoredKey => ({
  kid: r.kid,
  use: r.use as StoredKey['use'],
  alg: r.alg,
  materialEncrypted: r.material_encrypted,
  status: r.status as StoredKey['status'],
  createdAt: Number(r.created_at),
});

export type KeyRepository = ReturnType<typeof createKeyRepository>;

export function createKeyRepository(knex: Knex) {
  const table = () => knex<KeyRow>('keys');
  return {
    /** Newest first: oidc-provider signs with the first key of a matching algorithm. */
    async list(use: StoredKey['use'], status: StoredKey['status'] = 'active'): Promise<StoredKey[]> {
      return (await table().where({ use, status }).orderBy('created_at', 'desc')).map(toKey);
    },
    async insertMany(keys: Omit<StoredKey, 'status'>[], trx: Knex = knex): Promise<void> {
      if (!keys.length) return;
      await trx<KeyRow>('keys').insert(
        keys.map((k) => ({
          kid: k.kid,
          use: k.use,
          alg: k.alg,
          material_encrypted: k.materialEncrypted,
          status: 'active',
          created_at: k.createdAt,
        })),
      );
    },
    transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
      return knex.transaction(fn);
    },
  };
}
