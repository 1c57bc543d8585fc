import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { isTransaction } from './connect.js';

/**
 * The PostgreSQL counterpart of the SQLite client's `runDirect` (src/db/sqlite-client.ts):
 * runs the constant SQL of src/db/raw.ts without knex's Raw object, runner and per-call
 * `?` → `$n` rewrite, as a named prepared statement, so PostgreSQL parses it once per
 * connection (and, after a few runs, plans it once) instead of on every call.
 *
 * - Connections come from knex's own pool (`client.acquireConnection`/`releaseConnection`),
 *   so pool size, timeouts and the dropping of dead connections stay knex's.
 * - pg remembers which names a connection has prepared; a new connection (after a
 *   database restart, say) prepares them again by itself.
 * - Never inside a transaction: a transaction object (`isTransaction`) goes through knex,
 *   which runs the statement on the transaction's connection. Taking another connection
 *   from the pool there would run the statement outside the transaction (and could wait
 *   for a connection the transaction itself holds).
 */

/** Distinct SQL texts prepared per connection; ours are a few dozen. Beyond it: knex. */
const MAX_STATEMENTS = 500;

interface Statement {
  /** the prepared statement's name: a hash of the SQL, the same on every connection */
  readonly name: string;
  /** the SQL with `$1…$n` */
  readonly text: string;
  readonly params: number;
}

/** By SQL text with `?`; null: not ours to convert (knex runs it). */
const statements = new Map<string, Statement | null>();

/** What knex's pg dialect puts on its pg.Client connections. */
type Connection = pg.Client & {
  __knexUid?: string;
  /** set by knex's listeners on the client's 'error'/'end': the pool destroys it at the next acquire */
  __knex__disposed?: unknown;
  /** pg's per-connection record of prepared statement names (internal but long-standing) */
  connection?: { parsedStatements?: Record<string, string> };
};

interface PgClient {
  readonly driverName?: string;
  acquireConnection(): Promise<Connection>;
  releaseConnection(connection: Connection): Promise<void>;
}

/**
 * `?` placeholders to `$1…$n`, or undefined for SQL this simple scan cannot convert
 * safely: anything with a quote, dollar (dollar quoting, `$n` already), backslash (knex's
 * `\?` escape), comment or `??` (knex's identifier binding). Our constant SQL has none;
 * such SQL keeps going through knex, which handles `??` and `\?` its own way.
 */
export function toPositional(sql: string): { text: string; params: number } | undefined {
  if (/['"$\\]|--|\/\*|\?\?/.test(sql)) return undefined;
  let params = 0;
  const text = sql.replace(/\?/g, () => `$${++params}`);
  return { text, params };
}

function statement(sql: string): Statement | null {
  let s = statements.get(sql);
  if (s !== undefined) return s;
  if (statements.size >= MAX_STATEMENTS) return null; // bounded server-side memory per connection
  const converted = toPositional(sql);
  s = converted ? { name: `idp_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`, ...converted } : null;
  statements.set(sql, s);
  return s;
}

/** knex inlines a Raw, a builder or a callback given as a binding: that is knex's job. */
function plainValues(bindings: unknown[]): boolean {
  for (const v of bindings) {
    if (typeof v === 'function') return false;
    if (v !== null && typeof v === 'object' && ('isRawInstance' in v || typeof (v as { toSQL?: unknown }).toSQL === 'function')) return false;
  }
  return true;
}

/** The error of a lost connection rather than of the statement: not an ERROR-level reply from the server. */
function connectionLost(err: unknown): boolean {
  return !(err instanceof pg.DatabaseError) || err.severity === 'FATAL' || err.severity === 'PANIC';
}

/**
 * A prepared `select *` fails once its table gained or lost a column (a rolling upgrade's
 * migration): PostgreSQL refuses to change a prepared statement's result type.
 */
function stalePlan(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.code === '0A000' && /cached plan must not change result type/.test(err.message);
}

/**
 * A prepared statement the connection should have is missing (26000) or one it should not
 * have exists (42P05): prepared statements do not stay with our connection — a pooler in
 * transaction mode (PgBouncer before 1.21, or without `max_prepared_statements`) hands
 * each statement to another server connection. Neither error reaches execution.
 */
function notOurSession(err: unknown): boolean {
  return err instanceof pg.DatabaseError && (err.code === '26000' || err.code === '42P05');
}

/** knex clients whose connections turned out not to keep prepared statements: unnamed ones there. */
const unnamedOnly = new WeakSet<object>();

/** PostgreSQL through pg, outside a transaction: the direct path (and src/db/pg-batch.ts) may run it. */
export function isPgDirect(knex: Knex): boolean {
  return (knex.client as PgClient).driverName === 'pg' && !isTransaction(knex);
}

/**
 * Runs one statement as a named prepared statement on a pooled connection, or returns
 * undefined (synchronously) when knex should run it: a transaction, SQL the converter
 * refuses, bindings knex would inline. Emits knex's `query-response` (src/http/db-metrics.ts
 * counts it) and, on failure, `query-error`; errors carry the SQL in front of the message
 * as knex's do (without the bindings, which knex inlines).
 */
export function runPgDirect(knex: Knex, sql: string, bindings: unknown[]): Promise<pg.QueryResult> | undefined {
  if (!isPgDirect(knex)) return undefined;
  const s = statement(sql);
  if (!s || !plainValues(bindings)) return undefined;
  return run(knex, sql, s, bindings);
}

async function run(knex: Knex, sql: string, s: Statement, bindings: unknown[]): Promise<pg.QueryResult> {
  if (bindings.length !== s.params) throw new Error(`Expected ${s.params} bindings, saw ${bindings.length}: ${sql}`);
  if (bindings.includes(undefined)) throw new Error(`Undefined binding(s) detected when compiling RAW query: ${sql}`);

  const client = knex.client as PgClient;
  const conn = await client.acquireConnection();
  try {
    let result: pg.QueryResult;
    if (unnamedOnly.has(client)) {
      result = await conn.query({ text: s.text, values: bindings });
    } else {
      try {
        result = await conn.query({ name: s.name, text: s.text, values: bindings });
      } catch (err) {
        // the retries below are safe: the failed run changed nothing (both checks precede
        // execution, and no transaction is open)
        if (notOurSession(err)) {
          unnamedOnly.add(client);
          process.stderr.write(`postgres: prepared statements do not stay on a connection (${(err as Error).message}); using unnamed statements\n`);
          result = await conn.query({ text: s.text, values: bindings });
        } else if (stalePlan(err)) {
          // forget the statement on this connection and prepare it afresh
          await conn.query(`deallocate ${s.name}`);
          delete conn.connection?.parsedStatements?.[s.name];
          result = await conn.query({ name: s.name, text: s.text, values: bindings });
        } else throw err;
      }
    }
    knex.emit('query-response', result, { sql, bindings, __knexUid: conn.__knexUid });
    return result;
  } catch (err) {
    // as knex's runner would find out from pg's 'error'/'end' events, possibly later:
    // a connection that failed this way is destroyed by the pool, never handed out again
    if (connectionLost(err)) conn.__knex__disposed ??= err;
    if (err instanceof Error) err.message = `${sql} - ${err.message}`;
    knex.emit('query-error', err, { sql, bindings, __knexUid: conn.__knexUid });
    throw err;
  } finally {
    void client.releaseConnection(conn);
  }
}
