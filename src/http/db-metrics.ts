import type { Knex } from 'knex';
import { Counter, Gauge, type Registry } from 'prom-client';
import { rawChanges } from '../db/raw.js';

const WRITE = /^\s*(insert|update|delete|replace)\b|^\s*with\b[\s\S]*\b(insert|update|delete)\b/i;

/** The rows a write statement's response says it changed (builder or knex.raw, either engine). */
function changedRows(response: unknown): number {
  if (typeof response === 'number') return response; // builder update/delete
  if (Array.isArray(response)) return response.length; // builder insert ([lastId]) or returning rows
  if (response && typeof response === 'object') return rawChanges(response); // raw: rowCount / changes
  return 1;
}

/**
 * Database statements by kind — a write is an INSERT, or an UPDATE/DELETE that changed
 * rows (the benchmark reads writes per sign-in and per refresh from here) — and the
 * connection pool's occupancy.
 */
export function observeDatabase(knex: Knex, registry: Registry): void {
  const statements = new Counter({
    name: 'idp_db_statements_total',
    help: 'SQL statements completed, by kind (write: changed rows; read: everything else)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const rowsWritten = new Counter({
    name: 'idp_db_rows_written_total',
    help: 'Rows inserted, updated or deleted (on PostgreSQL one statement may write the rows of several requests: src/db/pg-batch.ts)',
    registers: [registry],
  });
  // counted on the response: an UPDATE or DELETE that matched no row wrote nothing
  knex.on('query-response', (response: unknown, q: { sql?: string }) => {
    const rows = q.sql && WRITE.test(q.sql) ? changedRows(response) : 0;
    statements.inc({ kind: rows > 0 ? 'write' : 'read' });
    if (rows > 0) rowsWritten.inc(rows);
  });
  const pool = () => (knex.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number; max: number } }).pool;
  new Gauge({
    name: 'idp_db_pool_connections',
    help: 'Database pool connections by state (used, free, pending acquires, max)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const p = pool();
      if (!p) return;
      this.set({ state: 'used' }, p.numUsed());
      this.set({ state: 'free' }, p.numFree());
      this.set({ state: 'pending' }, p.numPendingAcquires());
      this.set({ state: 'max' }, p.max);
    },
  });
}
