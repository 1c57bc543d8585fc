import type { Knex } from 'knex';
import pg from 'pg';
import { isPgDirect, runPgDirect } from './pg-direct.js';

/**
 * Lookups by key, coalesced on PostgreSQL. Every PostgreSQL statement is a round trip —
 * a socket write, a wake-up, a reply to parse: 20–30 µs of our CPU and as much of the
 * server's (docs/performance.md) — and the token endpoints are lookups by primary key:
 * the access token, its grant, the account. Concurrent requests ask for the same kind of
 * row in the same event-loop turn, so the lookups of one kind asked for during a turn go
 * out together, as one `key = any(?)` statement, when the turn ends (setImmediate runs
 * after all the turn's I/O callbacks). Alone, a lookup waits for nothing but the end of
 * the turn it was asked in.
 *
 * SQLite has no round trip (src/db/sqlite-client.ts runs statements in-process), and a
 * transaction keeps its statements on its own connection: both get undefined and run
 * their single-key SQL as before.
 */
export interface KeyedLookup {
  /** SQL with `?` placeholders, selecting `keyColumn`; the keys go in as one array binding */
  readonly sql: string;
  /** rows of different groups (e.g. an oidc-provider model) are never batched together */
  readonly group: string;
  readonly keyColumn: string;
  /** the bindings for one statement, given its keys (the array goes where the SQL has `any(?)`) */
  bindings(keys: string[]): unknown[];
}

/** Keys per statement at most: a longer batch is split (bounded statement and reply size). */
const MAX_KEYS = 200;

interface Waiter {
  resolve(rows: Record<string, unknown>[]): void;
  reject(err: unknown): void;
}

interface Batch {
  readonly lookup: KeyedLookup;
  readonly waiters: Map<string, Waiter[]>;
}

/** Per knex instance (tests and the bench open several): lookup SQL + group → the open batch. */
const open = new WeakMap<Knex, Map<string, Batch>>();

/**
 * The rows whose `keyColumn` equals `key`, or undefined (synchronously) when the lookup is
 * not PostgreSQL's direct path: the caller runs its single-key SQL then.
 */
export function selectByKeyBatched<T>(knex: Knex, lookup: KeyedLookup, key: string): Promise<T[]> | undefined {
  if (!isPgDirect(knex)) return undefined;
  let batches = open.get(knex);
  if (!batches) open.set(knex, (batches = new Map()));
  const id = `${lookup.group}\0${lookup.sql}`;
  let batch = batches.get(id);
  if (!batch || batch.waiters.size >= MAX_KEYS) {
    const fresh: Batch = { lookup, waiters: new Map() };
    batches.set(id, fresh);
    setImmediate(() => {
      if (batches.get(id) === fresh) batches.delete(id);
      void flush(knex, fresh);
    });
    batch = fresh;
  }
  const b = batch;
  return new Promise<T[]>((resolve, reject) => {
    const waiter = { resolve: resolve as Waiter['resolve'], reject };
    const list = b.waiters.get(key);
    if (list) list.push(waiter);
    else b.waiters.set(key, [waiter]);
  });
}

async function flush(knex: Knex, batch: Batch): Promise<void> {
  const keys = [...batch.waiters.keys()];
  try {
    settle(batch, await select(knex, batch.lookup, keys));
  } catch (err) {
    if (keys.length === 1 || !statementError(err)) {
      for (const list of batch.waiters.values()) for (const w of list) w.reject(err);
      return;
    }
    // One key the server refused (say, a byte sequence it cannot store) must not fail the
    // lookups of other requests that shared its statement: each key alone, its own result.
    await Promise.all(
      keys.map(async (key) => {
        const list = batch.waiters.get(key)!;
        try {
          const rows = await select(knex, batch.lookup, [key]);
          for (const w of list) w.resolve(rows);
        } catch (e) {
          for (const w of list) w.reject(e);
        }
      }),
    );
  }
}

async function select(knex: Knex, lookup: KeyedLookup, keys: string[]): Promise<Record<string, unknown>[]> {
  const running = runPgDirect(knex, lookup.sql, lookup.bindings(keys));
  if (!running) throw new Error(`not a statement for PostgreSQL's direct path: ${lookup.sql}`);
  return (await running).rows as Record<string, unknown>[];
}

function settle(batch: Batch, rows: Record<string, unknown>[]): void {
  const byKey = new Map<string, Record<string, unknown>[]>();
  for (const row of rows) {
    const key = String(row[batch.lookup.keyColumn]);
    const list = byKey.get(key);
    if (list) list.push(row);
    else byKey.set(key, [row]);
  }
  for (const [key, list] of batch.waiters) {
    const found = byKey.get(key) ?? [];
    for (const w of list) w.resolve(found);
  }
}

/** An ERROR-level reply about the statement; the connection itself is fine. */
function statementError(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.severity === 'ERROR';
}
