import type { Knex } from 'knex';

// Performance (issue 6): most rows of oidc_payloads (access tokens, client-credentials
// tokens, codes) leave grant_id, uid, user_code or account_id empty, yet every insert
// wrote an entry for each of them into each of those indexes. Partial indexes over the
// rows that have a value serve the same lookups (`column = ?` implies NOT NULL for both
// SQLite's and PostgreSQL's planners) at a fraction of the writes.
//
// No transaction: on PostgreSQL the indexes are built CONCURRENTLY, so an instance still
// serving keeps writing tokens while this runs (expand/contract: the old index is dropped
// only once its replacement exists).
export const config = { transaction: false };

const INDEXES: { old: string; name: string; columns: string; nonNull: string }[] = [
  { old: 'oidc_payloads_grant_id_index', name: 'oidc_payloads_grant_id_partial', columns: 'grant_id', nonNull: 'grant_id' },
  { old: 'oidc_payloads_uid_index', name: 'oidc_payloads_uid_partial', columns: 'uid', nonNull: 'uid' },
  { old: 'oidc_payloads_user_code_index', name: 'oidc_payloads_user_code_partial', columns: 'user_code', nonNull: 'user_code' },
  { old: 'oidc_payloads_type_account_id_index', name: 'oidc_payloads_account_partial', columns: 'type, account_id', nonNull: 'account_id' },
];

const pg = (knex: Knex) => knex.client.dialect === 'postgresql';

export async function up(knex: Knex): Promise<void> {
  const concurrently = pg(knex) ? 'concurrently ' : '';
  for (const i of INDEXES) {
    await knex.raw(`create index ${concurrently}if not exists ${i.name} on oidc_payloads (${i.columns}) where ${i.nonNull} is not null`);
    await knex.raw(`drop index ${concurrently}if exists ${i.old}`);
  }
}

export async function down(knex: Knex): Promise<void> {
  const concurrently = pg(knex) ? 'concurrently ' : '';
  for (const i of INDEXES) {
    await knex.raw(`create index ${concurrently}if not exists ${i.old} on oidc_payloads (${i.columns})`);
    await knex.raw(`drop index ${concurrently}if exists ${i.name}`);
  }
}
