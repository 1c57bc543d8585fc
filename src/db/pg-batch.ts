import type { Knex } from 'knex';
import pg from 'pg';
import { isPgDirect, runPgDirect } from './pg-direct.js';

/**
 * Statements of one kind, coalesced on PostgreSQL. Every PostgreSQL statement is a round
 * trip — a socket write, a wake-up, a reply to parse: 20–30 µs of our CPU and as much of
 * the server's (docs/performance.md) — and the token endpoints make the same few
 * statements for every request: find the access token, its grant, the account; insert
 * the new tokens; mark the code or refresh token used. Concurrent requests make them in
 * the same event-loop turn, so the statements of one kind asked for during a turn go out
 * as one statement over all their rows (`id = any(?)`, `unnest(?)`) when the turn ends
 * (setImmediate runs after all the turn's I/O callbacks). Alone, a statement waits for
 * nothing but the end of the turn it was asked in.
 *
 * SQLite has no round trip (src/db/sqlite-client.ts runs statements in-process and
 * commits the writes of a turn together), and a transaction keeps its statements on its
 * own connection: both get undefined and run their single-row SQL as before.
 *
 * A batched write is one statement, so its rows commit together or not at all, and it is
 * acknowledged only after that commit, like the single statement it replaces.
 */
export interface BatchSpec<T, R> {
  /** SQL with `?` placeholders, over all the batch's items */
  readonly sql: string;
  /** items of different groups (e.g. an oidc-provider model) never share a statement */
  readonly group: string;
  /** the item's row key */
  key(item: T): string;
  /**
   * Writes: an item whose key is already in the open batch starts a new one (PostgreSQL
   * refuses to change one row twice in one statement; two racing writes of a row stay two
   * statements, as they were). Lookups share the key instead.
   */
  readonly distinctKeys: boolean;
  bindings(items: T[]): unknown[];
  /** each item's answer, from the statement's rows */
  results(items: T[], rows: Record<string, unknown>[]): R[];
}

/** Items per statement at most: a longer batch is split (bounded statement and reply size). */
const MAX_ITEMS = 200;

interface Batch<T, R> {
  readonly spec: BatchSpec<T, R>;
  readonly items: T[];
  readonly keys: Set<string>;
  readonly waiters: { resolve(r: R): void; reject(err: unknown): void }[];
}

/** Per knex instance (tests and the bench open several): SQL + group → the open batch. */
const open = new WeakMap<Knex, Map<string, Batch<unknown, unknown>>>();

/**
 * The item's answer, or undefined (synchronously) when the statement is not PostgreSQL's
 * direct path: the caller runs its single-row SQL then.
 */
export function runBatched<T, R>(knex: Knex, spec: BatchSpec<T, R>, item: T): Promise<R> | undefined {
  if (!isPgDirect(knex)) return undefined;
  let batches = open.get(knex);
  if (!batches) open.set(knex, (batches = new Map()));
  const id = `${spec.group}\0${spec.sql}`;
  const key = spec.key(item);
  let batch = batches.get(id) as Batch<T, R> | undefined;
  if (!batch || batch.items.length >= MAX_ITEMS || (spec.distinctKeys && batch.keys.has(key))) {
    const fresh: Batch<T, R> = { spec, items: [], keys: new Set(), waiters: [] };
    batches.set(id, fresh as Batch<unknown, unknown>);
    setImmediate(() => {
      if (batches.get(id) === (fresh as Batch<unknown, unknown>)) batches.delete(id);
      void flush(knex, fresh);
    });
    batch = fresh;
  }
  const b = batch;
  b.items.push(item);
  b.keys.add(key);
  return new Promise<R>((resolve, reject) => b.waiters.push({ resolve, reject }));
}

async function flush<T, R>(knex: Knex, batch: Batch<T, R>): Promise<void> {
  const { spec, items, waiters } = batch;
  try {
    const results = await run(knex, spec, items);
    waiters.forEach((w, i) => w.resolve(results[i]!));
  } catch (err) {
    if (items.length === 1 || !statementError(err)) {
      for (const w of waiters) w.reject(err);
      return;
    }
    // One item the server refused (say, a byte sequence it cannot store) must not fail
    // the other requests' items that shared its statement: each alone, its own result.
    // A refused statement changed nothing, so running the items again is safe.
    await Promise.all(
      items.map(async (item, i) => {
        try {
          waiters[i]!.resolve((await run(knex, spec, [item]))[0]!);
        } catch (e) {
          waiters[i]!.reject(e);
        }
      }),
    );
  }
}

async function run<T, R>(knex: Knex, spec: BatchSpec<T, R>, items: T[]): Promise<R[]> {
  const running = runPgDirect(knex, spec.sql, spec.bindings(items));
  if (!running) throw new Error(`not a statement for PostgreSQL's direct path: ${spec.sql}`);
  return spec.results(items, (await running).rows as Record<string, unknown>[]);
}

/** An ERROR-level reply about the statement; the connection itself is fine. */
function statementError(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.severity === 'ERROR';
}

/** A lookup by one key column: the batch's distinct keys go in as one array binding. */
export function keyedLookup<Row>(
  sql: string,
  group: string,
  keyColumn: string,
  bindings: (keys: string[]) => unknown[],
): BatchSpec<string, Row[]> {
  return {
    sql,
    group,
    distinctKeys: false,
    key: (k) => k,
    bindings: (keys) => bindings([...new Set(keys)]),
    results(keys, rows) {
      const byKey = new Map<string, Row[]>();
      for (const row of rows) {
        const k = String(row[keyColumn]);
        byKey.set(k, [...(byKey.get(k) ?? []), row as unknown as Row]);
      }
      return keys.map((k) => byKey.get(k) ?? []);
    },
  };
}
