import type { Knex } from 'knex';

export interface PayloadRow {
  type: string;
  id: string;
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  account_id?: string | null;
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
        account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
        expires_at: expiresInSeconds ? Date.now() + expiresInSeconds * 1000 : null,
        consumed_at: null,
      };
      await table().insert(row).onConflict(['type', 'id']).merge(['payload', 'grant_id', 'user_code', 'uid', 'account_id', 'expires_at']);
    },
    async find(type: string, id: string): Promise<StoredPayload | undefined> {
      return toStored(await live(table().where({ type, id })).first());
    },
    async findBy(type: string, column: 'uid' | 'user_code', value: string): Promise<StoredPayload | undefined> {
      return toStored(await live(table().where({ type, [column]: value })).first());
    },
    /** Live payloads of one model that name this account (e.g. a user's sign-in sessions). */
    async listByAccount(type: string, accountId: string): Promise<(StoredPayload & { id: string; expiresAt: number | null })[]> {
      const rows: PayloadRow[] = await live(table().where({ type, account_id: accountId })).orderBy('id');
      return rows.map((row) => ({ ...toStored(row)!, id: row.id, expiresAt: row.expires_at === null ? null : Number(row.expires_at) }));
    },
    /** Marks a payload consumed unless it already is: of two racing uses, exactly one wins. */
    async consumeOnce(type: string, id: string): Promise<boolean> {
      return (await table().where({ type, id }).whereNull('consumed_at').update({ consumed_at: Date.now() })) === 1;
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
