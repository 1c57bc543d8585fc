import type { Knex } from 'knex';
import { connect, migrate } from '../../../src/db/connect.js';
import { createTestDatabase, type Engine, type TestDatabase } from '../../helpers/server.js';

export interface OpenDatabase {
  database: TestDatabase;
  knex: Knex;
  /** releases the pool, then drops the database */
  close(): Promise<void>;
}

/** A fresh, migrated database for repository-level tests (SQLite file or new PostgreSQL database). */
export async function openDatabase(engine: Engine): Promise<OpenDatabase> {
  const database = await createTestDatabase(engine);
  const knex = connect(database.url);
  await migrate(knex);
  return {
    database,
    knex,
    async close() {
      await knex.destroy();
      await database.drop();
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
