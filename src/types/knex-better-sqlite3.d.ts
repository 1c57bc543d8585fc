// knex ships its dialects untyped; src/db/sqlite-client.ts extends the better-sqlite3 one.
declare module 'knex/lib/dialects/better-sqlite3/index.js' {
  import type { Knex } from 'knex';

  class Client_BetterSQLite3 extends Knex.Client {
    acquireRawConnection(): Promise<unknown>;
    destroyRawConnection(connection: unknown): Promise<void>;
    _query(connection: unknown, obj: { sql?: string; bindings?: unknown[]; options?: unknown; response?: unknown; context?: unknown }): Promise<unknown>;
    _formatBindings(bindings: unknown[] | undefined): unknown[];
    pool: unknown;
  }
  export default Client_BetterSQLite3;
}
