import type { Knex } from 'knex';
import * as core from './001_core.js';
import * as mailOutbox from './002_mail_outbox.js';
import * as factors from './003_factors.js';
import * as webauthn from './004_webauthn.js';
import * as account from './005_account.js';
import * as admin from './006_admin.js';
import * as federation from './007_federation.js';
import * as keyRotation from './008_key_rotation.js';
import * as partialIndexes from './009_partial_indexes.js';

// Listed explicitly so migrations load the same from TypeScript sources and compiled output.
const migrations: Record<string, Knex.Migration> = {
  '001_core': core,
  '002_mail_outbox': mailOutbox,
  '003_factors': factors,
  '004_webauthn': webauthn,
  '005_account': account,
  '006_admin': admin,
  '007_federation': federation,
  '008_key_rotation': keyRotation,
  '009_partial_indexes': partialIndexes,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
