import type { Knex } from 'knex';

export interface PayloadRow {
  type: string;
  id: string;
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export interface StoredPayload {
  payload: Record<string, unknown>;
  consumedAt: number | null;
}

export type OidcPayloadRepository = ReturnType<typeof createOidcPayloadRepository>;

/** The storage of oidc-provider's models (sessions, grants, codes, tokens, interactions). */
export function createOidcPayloadRepository(knex: Knex) {
  const table = () => knex<PayloadRow>('oidc_payloads');
  const live = (q: Knex.QueryBuilder) =>
    q.andWhere((w: Knex.QueryBuilder) => w.whereNull('expires_at').orWhere('expires_at', '>', Date.now()));
  const toStored = (row: PayloadRow | undefined): StoredPayload | undefined =>
    row && { payload: JSON.parse(row.payload) as Record<string, unknown>, consumedAt: row.consumed_at === null ? null : Number(row.consumed_at) };

  return {
    async upsert(type: string, id: string, payload: Record<string, unknown>, expiresInSeconds?: number): Promise<void> {
      const row: PayloadRow = {
        type,
        id,
        payload: JSON.stringify(payload),
        grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
        user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
        uid: typeof payload.uid === 'string' ? payload.uid : null,
        expires_at: expiresInSeconds ? Date.now() + expiresInSeconds * 1000 : null,
        consumed_at: null,
      };
      await table().insert(row).onConflict(['type', 'id']).merge(['payload', 'grant_id', 'user_code', 'uid', 'expires_at']);
    },
    async find(type: string, id: string): Promise<StoredPayload | undefined> {
      return toStored(await live(table().where({ type, id })).first());
    },
    async findBy(type: string, column: 'uid' | 'user_code', value: string): Promise<StoredPayload | undefined> {
      return toStored(await live(table().where({ type, [column]: value })).first());
    },
    async consume(type: string, id: string): Promise<void> {
      await table().where({ type, id }).update({ consumed_at: Date.now() });
    },
    async destroy(type: string, id: string): Promise<void> {
      await table().where({ type, id }).delete();
    },
    async revokeByGrantId(grantId: string): Promise<void> {
      await table().where({ grant_id: grantId }).delete();
    },
    async purgeExpired(now = Date.now()): Promise<number> {
      return table().where('expires_at', '<', now).delete();
    },
  };
}
