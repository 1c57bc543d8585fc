import type { Knex } from 'knex';

// Signing-key rotation without downtime (issue 6): a key is published in the JWKS from
// its creation, signs from `not_before`, and leaves the JWKS after `retire_after`.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('keys', (t) => {
    t.bigInteger('not_before'); // epoch ms from which the key may sign
    t.bigInteger('retire_after'); // epoch ms after which it is no longer published; null: kept
  });
  // keys from before this migration have signed since they were created
  await knex('keys').update({ not_before: knex.ref('created_at') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('keys', (t) => {
    t.dropColumn('not_before');
    t.dropColumn('retire_after');
  });
}
