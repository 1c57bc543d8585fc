import type { Knex } from 'knex';
import { isTransaction } from './connect.js';
import { type BatchSpec, runBatched } from './pg-batch.js';
import { runPgDirect } from './pg-direct.js';
import { CachingBetterSqlite3Client } from './sqlite-client.js';

/**
 * Constant SQL for the hot paths (token endpoints, sign-in lookups). Building and compiling
 * statements with knex's query builder cost more than running them, and on SQLite so did
 * knex's pool and runner (docs/performance.md). Plain SQL with `?` placeholders that both
 * SQLite and PostgreSQL accept; SQL stays in the repositories.
 */

/** Rows of a `knex.raw` select: PostgreSQL wraps them in a result object, SQLite does not. */
export function rawRows<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []);
}

/** Rows changed by a `knex.raw` UPDATE or DELETE (PostgreSQL: rowCount; SQLite: changes). */
export function rawChanges(result: unknown): number {
  const r = result as { rowCount?: number | null; changes?: number };
  return Number(r.rowCount ?? r.changes ?? 0);
}

/**
 * The SQLite client of a knex instance, or undefined on PostgreSQL and for a transaction:
 * a transaction's statements stay on its connection, through knex (the CLI's
 * transactional repositories).
 */
function sqliteClient(knex: Knex): CachingBetterSqlite3Client | undefined {
  const client = knex.client as unknown;
  return client instanceof CachingBetterSqlite3Client && !isTransaction(knex) ? client : undefined;
}

function direct(knex: Knex, sql: string, bindings: unknown[]) {
  const client = sqliteClient(knex);
  if (!client) return undefined;
  const result = client.runDirect(sql, bindings);
  // the statement metrics (src/http/db-metrics.ts) listen for knex's own event
  if (result) knex.emit('query-response', 'rows' in result ? result.rows : result, { sql });
  return result;
}

/** The rows of a SELECT. */
export async function selectRows<T>(knex: Knex, sql: string, bindings: unknown[]): Promise<T[]> {
  const result = direct(knex, sql, bindings);
  if (result) return (result as { rows: T[] }).rows;
  // PostgreSQL: a named prepared statement on a pooled connection (src/db/pg-direct.ts)
  const pg = runPgDirect(knex, sql, bindings);
  if (pg) return (await pg).rows as T[];
  return rawRows<T>(await knex.raw(sql, bindings as Knex.RawBinding[]));
}

/**
 * The rows of a lookup by one key: `sql` with `bindings` for that key alone; on
 * PostgreSQL the same lookups of one event-loop turn share one `batch` statement instead
 * (src/db/pg-batch.ts).
 */
export async function selectByKey<T>(knex: Knex, sql: string, bindings: unknown[], batch: BatchSpec<string, T[]>, key: string): Promise<T[]> {
  return (await runBatched(knex, batch, key)) ?? selectRows<T>(knex, sql, bindings);
}

/**
 * Runs an INSERT, UPDATE or DELETE; resolves to the number of rows changed. On SQLite it
 * commits together with the other writes of the same event-loop turn (group commit,
 * CachingBetterSqlite3Client.queueWrite); it resolves once committed.
 */
export async function execute(knex: Knex, sql: string, bindings: unknown[]): Promise<number> {
  const queued = sqliteClient(knex)?.queueWrite(sql, bindings);
  if (queued) {
    const changes = await queued;
    knex.emit('query-response', { changes }, { sql });
    return changes;
  }
  const result = direct(knex, sql, bindings);
  if (result) return (result as { changes: number }).changes;
  const pg = runPgDirect(knex, sql, bindings);
  if (pg) return rawChanges(await pg);
  return rawChanges(await knex.raw(sql, bindings as Knex.RawBinding[]));
}
