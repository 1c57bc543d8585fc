import Client_BetterSQLite3 from 'knex/lib/dialects/better-sqlite3/index.js';
import { type Checkpointer, startCheckpointer } from './sqlite-checkpointer.js';

/** Distinct SQL texts kept prepared per connection; ours are a few hundred at most. */
const MAX_STATEMENTS = 1000;

/** The part of better-sqlite3's API used here (the package ships no types). */
interface Statement {
  readonly reader: boolean;
  all(bindings: unknown[]): unknown[];
  run(bindings: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}
interface Database {
  readonly name: string;
  readonly memory: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): Statement;
  pragma(sql: string): unknown;
  close(): void;
}

const caches = new WeakMap<Database, Map<string, Statement>>();

function prepared(db: Database, sql: string): Statement {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
    cache.set(sql, statement);
  }
  return statement;
}
interface PendingWrite {
  sql: string;
  bindings: unknown[];
  resolve(changes: number): void;
  reject(err: unknown): void;
}

const checkpointers = new WeakMap<Database, Checkpointer>();

/**
 * knex's better-sqlite3 dialect with prepared statements reused. knex prepares every
 * statement anew; on the token endpoints SQLite's parse-and-plan step was the largest
 * single item in a CPU profile. Statements are cached per connection by their SQL text
 * (bindings stay parameters), so the cache holds one entry per query shape.
 */
export class CachingBetterSqlite3Client extends Client_BetterSQLite3 {
  /**
   * With `backgroundCheckpoints: true` in the knex config (the server sets it; the CLI's
   * short runs do not), WAL checkpoints run on a worker thread: src/db/sqlite-checkpointer.ts.
   */
  override async acquireRawConnection(): Promise<Database> {
    const db = (await super.acquireRawConnection()) as Database;
    const wanted = (this.config as { backgroundCheckpoints?: boolean }).backgroundCheckpoints;
    if (wanted && !db.memory) {
      db.pragma('journal_mode = WAL');
      db.pragma('wal_autocheckpoint = 0');
      const checkpointer = startCheckpointer(db.name, (reason) => {
        // back to SQLite's own checkpoints rather than an ever-growing log
        process.stderr.write(`sqlite: ${reason}; automatic checkpoints are on again\n`);
        db.pragma('wal_autocheckpoint = 1000');
      });
      checkpointers.set(db, checkpointer);
    }
    this.connection = db;
    return db;
  }

  override async destroyRawConnection(db: Database): Promise<void> {
    if (this.connection === db) this.connection = undefined;
    await checkpointers.get(db)?.close();
    db.close();
  }

  /** The pool's one connection, once it exists. */
  private connection: Database | undefined;

  /**
   * Runs a statement at once on the pool's connection when nothing holds or waits for it,
   * or returns undefined (then the caller goes through knex). better-sqlite3 is
   * synchronous, so the statement starts and ends within this call: it cannot land inside
   * a transaction, which would hold the connection. Skipping knex's pool and runner was
   * worth 15–25 µs per statement under load (docs/performance.md).
   */
  runDirect(sql: string, bindings: unknown[]): { rows: unknown[] } | { changes: number } | undefined {
    const db = this.idleConnection();
    if (!db) return undefined;
    const result = this.run(db, sql, bindings);
    return 'rows' in result ? result : { changes: result.changes };
  }

  /** The pool's connection when nothing holds it or waits for it (no knex query or transaction). */
  private idleConnection(): Database | undefined {
    const pool = this.pool as { numUsed(): number; numPendingAcquires(): number; numPendingCreates(): number } | undefined;
    if (!this.connection || !pool || pool.numUsed() || pool.numPendingAcquires() || pool.numPendingCreates()) return undefined;
    return this.connection;
  }

  /** Writes waiting for this turn of the event loop to end (group commit). */
  private pending: PendingWrite[] = [];

  /**
   * Group commit: an INSERT, UPDATE or DELETE queued here runs with the others queued in
   * the same turn of the event loop, in one transaction, and its promise settles only
   * after that transaction committed — nobody is told of a write before it is durable,
   * exactly as before, but N concurrent requests pay for one commit (its WAL frames and
   * system calls) instead of N. Returns undefined for a statement that returns rows
   * (then the caller runs it directly).
   */
  queueWrite(sql: string, bindings: unknown[]): Promise<number> | undefined {
    if (!this.connection || prepared(this.connection, sql).reader) return undefined;
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ sql, bindings, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const idle = this.idleConnection();
    if (idle) return this.commit(idle, batch);
    // a knex transaction holds the connection: wait for it like any other query would
    let db: Database | undefined;
    try {
      db = (await this.acquireConnection()) as Database;
      this.commit(db, batch);
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      if (db) await this.releaseConnection(db);
    }
  }

  /**
   * Runs the batch — more than one write in one transaction — and settles every promise
   * after COMMIT (or its failure).
   */
  private commit(db: Database, batch: PendingWrite[]): void {
    const grouped = batch.length > 1;
    const outcomes: ({ changes: number } | { error: unknown })[] = [];
    try {
      if (grouped) prepared(db, 'begin').run([]);
      for (const w of batch) {
        try {
          outcomes.push({ changes: (this.run(db, w.sql, w.bindings) as { changes: number }).changes });
        } catch (error) {
          // a constraint error undoes only its own statement; anything that ended the
          // transaction (I/O, full disk) undid the batch: every write of it fails
          if (grouped && !db.inTransaction) throw error;
          outcomes.push({ error });
        }
      }
      if (grouped) prepared(db, 'commit').run([]);
    } catch (err) {
      if (db.inTransaction) prepared(db, 'rollback').run([]);
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if ('error' in o) w.reject(o.error);
      else w.resolve(o.changes);
    });
  }

  /** One statement, prepared once per connection: rows for a reader, the run's outcome otherwise. */
  private run(db: Database, sql: string, bindings: unknown[] | undefined) {
    const statement = prepared(db, sql);
    const values = this._formatBindings(bindings);
    return statement.reader ? { rows: statement.all(values) } : statement.run(values);
  }

  override async _query(connection: Database, obj: { sql?: string; bindings?: unknown[]; response?: unknown; context?: unknown }) {
    if (!obj.sql) throw new Error('The query is empty');
    if (!connection) throw new Error('No connection provided');
    const result = this.run(connection, obj.sql, obj.bindings);
    if ('rows' in result) {
      obj.response = result.rows;
      return obj;
    }
    obj.response = result;
    obj.context = { lastID: result.lastInsertRowid, changes: result.changes };
    return obj;
  }
}
