import type { Knex } from 'knex';
import * as core from './001_core.js';
import * as mailOutbox from './002_mail_outbox.js';
import * as factors from './003_factors.js';

// Listed explicitly so migrations load the same from TypeScript sources and compiled output.
const migrations: Record<string, Knex.Migration> = {
  '001_core': core,
  '002_mail_outbox': mailOutbox,
  '003_factors': factors,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
