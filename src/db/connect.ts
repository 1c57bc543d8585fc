import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from '../../db/migrations/index.js';
import { CachingBetterSqlite3Client } from './sqlite-client.js';

// PostgreSQL returns int8 as strings by default; our epoch-millisecond columns fit in a double.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export type Db = Knex;

export function isSqlite(knex: Knex): boolean {
  // the driver name our client class inherits from knex's better-sqlite3 dialect
  return (knex.client as { driverName?: string }).driverName === 'better-sqlite3';
}

/** A knex transaction object: its statements must stay on its connection, through knex. */
export function isTransaction(knex: Knex): boolean {
  return (knex as { isTransaction?: boolean }).isTransaction === true;
}

let lastWarn = 0;
function quietWarn(message: string): void {
  if (Date.now() - lastWarn < 10_000) return;
  lastWarn = Date.now();
  process.stderr.write(`knex: ${message}\n`);
}

/**
 * A knex instance for `sqlite:<file>` or a PostgreSQL URL. `backgroundCheckpoints` (the
 * long-running server) moves SQLite's WAL checkpoints to a worker thread.
 */
export function connect(databaseUrl: string, poolMax = 10, opts: { backgroundCheckpoints?: boolean } = {}): Knex {
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    const config: Knex.Config & { backgroundCheckpoints: boolean } = {
      client: CachingBetterSqlite3Client as unknown as Knex.Config['client'],
      connection: { filename: file },
      useNullAsDefault: true,
      backgroundCheckpoints: opts.backgroundCheckpoints ?? false,
      // better-sqlite3 is synchronous: one connection serialises writes the way SQLite
      // wants them and avoids SQLITE_BUSY between pooled connections.
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: { pragma: (s: string) => void }, done: (err: Error | null, conn: unknown) => void) => {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        },
      },
    };
    return knexFactory(config);
  }
  return knexFactory({
    client: 'pg',
    connection: databaseUrl,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10000,
    // while the database is away every acquire fails: say so once per 10 s, not per request
    log: { warn: quietWarn, error: quietWarn },
  });
}

async function latest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/** Any constant shared by every instance: the PostgreSQL advisory lock taken around migrations. */
const MIGRATION_LOCK = 7_004_206;

/**
 * Applies pending migrations. On PostgreSQL, instances starting together take turns on an
 * advisory lock (held on a connection of its own, outside the pool): one migrates, the
 * others then find nothing to do — instead of failing on knex's "migration table is
 * already locked".
 */
export async function migrate(knex: Knex): Promise<string[]> {
  if (isSqlite(knex)) return latest(knex);
  const settings = knex.client.config.connection as string | pg.ClientConfig;
  const lock = new pg.Client(typeof settings === 'string' ? { connectionString: settings } : settings);
  await lock.connect();
  try {
    // polled rather than waited for: a session blocked in pg_advisory_lock holds a snapshot,
    // and a migration building an index CONCURRENTLY waits for every such snapshot — the
    // waiting instances and the migrating one would wait for each other forever
    for (;;) {
      const { rows } = await lock.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [MIGRATION_LOCK]);
      if (rows[0]?.locked) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return await latest(knex);
  } finally {
    await lock.end(); // ends the session, which releases the lock
  }
}
