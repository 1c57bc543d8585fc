import type { Knex } from 'knex';
import * as core from './001_core.js';

// Listed explicitly so migrations load the same from TypeScript sources and compiled output.
const migrations: Record<string, Knex.Migration> = {
  '001_core': core,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
