import type { Knex } from 'knex';
import { type BatchSpec, keyedLookup, runBatched } from './pg-batch.js';
import { execute, selectByKey, selectRows } from './raw.js';

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

// Constant SQL (src/db/raw.ts): the statements of the token endpoints.
const LIVE = '(expires_at is null or expires_at > ?)';
const SQL = {
  upsert:
    'insert into oidc_payloads (type, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed_at) values (?, ?, ?, ?, ?, ?, ?, ?, null) ' +
    'on conflict (type, id) do update set payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code, ' +
    'uid = excluded.uid, account_id = excluded.account_id, expires_at = excluded.expires_at',
  find: `select payload, consumed_at from oidc_payloads where type = ? and id = ? and ${LIVE} limit 1`,
  findByUid: `select payload, consumed_at from oidc_payloads where type = ? and uid = ? and ${LIVE} limit 1`,
  findByUserCode: `select payload, consumed_at from oidc_payloads where type = ? and user_code = ? and ${LIVE} limit 1`,
  consumeOnce: 'update oidc_payloads set consumed_at = ? where type = ? and id = ? and consumed_at is null',
  consume: 'update oidc_payloads set consumed_at = ? where type = ? and id = ?',
  destroy: 'delete from oidc_payloads where type = ? and id = ?',
  revokeByGrantId: 'delete from oidc_payloads where grant_id = ?',
} as const;

// PostgreSQL: the same statements of one event-loop turn as one (src/db/pg-batch.ts)
const COLUMNS = 'type, id, payload, grant_id, user_code, uid, account_id, expires_at';
const MANY = {
  find: `select id, payload, consumed_at from oidc_payloads where type = ? and id = any(?) and ${LIVE}`,
  findByUid: `select uid, payload, consumed_at from oidc_payloads where type = ? and uid = any(?) and ${LIVE}`,
  upsert:
    `insert into oidc_payloads (${COLUMNS}, consumed_at) select ${COLUMNS}, null ` +
    `from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[]) as t(${COLUMNS}) ` +
    SQL.upsert.slice(SQL.upsert.indexOf('on conflict')),
  consumeOnce: 'update oidc_payloads set consumed_at = ? where type = ? and id = any(?) and consumed_at is null returning id',
  consume: 'update oidc_payloads set consumed_at = ? where type = ? and id = any(?)',
  destroy: 'delete from oidc_payloads where type = ? and id = any(?)',
} as const;

type UpsertRow = [type: string, id: string, payload: string, grantId: string | null, userCode: string | null, uid: string | null, accountId: string | null, expiresAt: number | null];

const batchedUpsert: BatchSpec<UpsertRow, void> = {
  sql: MANY.upsert,
  group: 'upsert',
  distinctKeys: true,
  key: (row) => `${row[0]}\0${row[1]}`,
  // one array per column
  bindings: (rows) => rows[0]!.map((_, column) => rows.map((row) => row[column])),
  results: (rows) => rows.map(() => undefined),
};

/** A write of ids of one model; answers whether the item's row was changed (`returning id`). */
function batchedById(sql: string, type: string, bindings: (ids: string[]) => unknown[]): BatchSpec<string, boolean> {
  return {
    sql,
    group: type,
    distinctKeys: true,
    key: (id) => id,
    bindings,
    results(ids, rows) {
      const changed = new Set(rows.map((r) => String(r.id)));
      return ids.map((id) => changed.has(id));
    },
  };
}

/** One spec per model, made on first use rather than on every call of a token request. */
function perModel<S>(make: (type: string) => S): (type: string) => S {
  const specs = new Map<string, S>();
  return (type) => {
    let spec = specs.get(type);
    if (!spec) specs.set(type, (spec = make(type)));
    return spec;
  };
}

const BATCH = {
  find: perModel((type) => keyedLookup<Pick<PayloadRow, 'id' | 'payload' | 'consumed_at'>>(MANY.find, type, 'id', (ids) => [type, ids, Date.now()])),
  // a code exchange checks that its sign-in session still exists (oidc-provider's Session.findByUid)
  findByUid: perModel((type) => keyedLookup<Pick<PayloadRow, 'uid' | 'payload' | 'consumed_at'>>(MANY.findByUid, type, 'uid', (uids) => [type, uids, Date.now()])),
  consumeOnce: perModel((type) => batchedById(MANY.consumeOnce, type, (ids) => [Date.now(), type, ids])),
  consume: perModel((type) => batchedById(MANY.consume, type, (ids) => [Date.now(), type, ids])),
  destroy: perModel((type) => batchedById(MANY.destroy, type, (ids) => [type, ids])),
};

/** The storage of oidc-provider's models (sessions, grants, codes, tokens, interactions). */
export function createOidcPayloadRepository(knex: Knex) {
  const table = () => knex<PayloadRow>('oidc_payloads');
  const live = (q: Knex.QueryBuilder) =>
    q.andWhere((w: Knex.QueryBuilder) => w.whereNull('expires_at').orWhere('expires_at', '>', Date.now()));
  const toStored = (row: Pick<PayloadRow, 'payload' | 'consumed_at'> | undefined): StoredPayload | undefined =>
    row && { payload: JSON.parse(row.payload) as Record<string, unknown>, consumedAt: row.consumed_at === null ? null : Number(row.consumed_at) };
  const one = async (sql: string, bindings: unknown[]) => toStored((await selectRows<Pick<PayloadRow, 'payload' | 'consumed_at'>>(knex, sql, bindings))[0]);
  const text = (v: unknown) => (typeof v === 'string' ? v : null);

  return {
    async upsert(type: string, id: string, payload: Record<string, unknown>, expiresInSeconds?: number): Promise<void> {
      const row: UpsertRow = [
        type,
        id,
        JSON.stringify(payload),
        text(payload.grantId),
        text(payload.userCode),
        text(payload.uid),
        text(payload.accountId),
        expiresInSeconds ? Date.now() + expiresInSeconds * 1000 : null,
      ];
      await (runBatched(knex, batchedUpsert, row) ?? execute(knex, SQL.upsert, row));
    },
    async find(type: string, id: string): Promise<StoredPayload | undefined> {
      const [row] = await selectByKey(knex, SQL.find, [type, id, Date.now()], BATCH.find(type), id);
      return toStored(row);
    },
    async findBy(type: string, column: 'uid' | 'user_code', value: string): Promise<StoredPayload | undefined> {
      if (column === 'user_code') return one(SQL.findByUserCode, [type, value, Date.now()]);
      const [row] = await selectByKey(knex, SQL.findByUid, [type, value, Date.now()], BATCH.findByUid(type), value);
      return toStored(row);
    },
    /** Live payloads of one model that name this account (e.g. a user's sign-in sessions). */
    async listByAccount(type: string, accountId: string): Promise<(StoredPayload & { id: string; expiresAt: number | null })[]> {
      const rows: PayloadRow[] = await live(table().where({ type, account_id: accountId })).orderBy('id');
      return rows.map((row) => ({ ...toStored(row)!, id: row.id, expiresAt: row.expires_at === null ? null : Number(row.expires_at) }));
    },
    /** Marks a payload consumed unless it already is: of two racing uses, exactly one wins. */
    async consumeOnce(type: string, id: string): Promise<boolean> {
      return (await runBatched(knex, BATCH.consumeOnce(type), id)) ?? (await execute(knex, SQL.consumeOnce, [Date.now(), type, id])) === 1;
    },
    async consume(type: string, id: string): Promise<void> {
      await (runBatched(knex, BATCH.consume(type), id) ?? execute(knex, SQL.consume, [Date.now(), type, id]));
    },
    async destroy(type: string, id: string): Promise<void> {
      await (runBatched(knex, BATCH.destroy(type), id) ?? execute(knex, SQL.destroy, [type, id]));
    },
    async revokeByGrantId(grantId: string): Promise<void> {
      await execute(knex, SQL.revokeByGrantId, [grantId]);
    },
    async purgeExpired(now = Date.now()): Promise<number> {
      return table().where('expires_at', '<', now).delete();
    },
  };
}
