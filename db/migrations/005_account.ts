import type { Knex } from 'knex';

// Self-service account pages (issue 5): a user's sign-in sessions are found by account.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    // oidc-provider's Session (and other per-account models) name their account; the
    // account pages list and end a user's sessions through this column.
    t.string('account_id', 64);
    t.index(['type', 'account_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropIndex(['type', 'account_id']);
    t.dropColumn('account_id');
  });
}
