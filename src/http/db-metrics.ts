import type { Knex } from 'knex';
import { Counter, Gauge, type Registry } from 'prom-client';
import { rawChanges } from '../db/raw.js';

const WRITE = /^\s*(insert|update|delete|replace)\b|^\s*with\b[\s\S]*\b(insert|update|delete)\b/i;

/** Whether a write statement's response says it changed rows (builder or knex.raw, either engine). */
function changedRows(response: unknown): boolean {
  if (typeof response === 'number') return response !== 0; // builder update/delete
  if (Array.isArray(response)) return response.length > 0; // builder insert ([lastId]) or returning rows
  if (response && typeof response === 'object') return rawChanges(response) !== 0; // raw: rowCount / changes
  return true;
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
  // counted on the response: an UPDATE or DELETE that matched no row wrote nothing
  knex.on('query-response', (response: unknown, q: { sql?: string }) => {
    const write = !!q.sql && WRITE.test(q.sql) && changedRows(response);
    statements.inc({ kind: write ? 'write' : 'read' });
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
