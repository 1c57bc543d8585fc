import type { Knex } from 'knex';

// Second factors, backup codes, one-time codes and remembered browsers (issue 3).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('factors', (t) => {
    t.string('id', 32).primary();
    t.string('user_id', 32).notNullable().references('users.id').onDelete('CASCADE');
    t.string('type', 16).notNullable(); // totp | email
    t.string('label', 100).notNullable();
    t.text('secret_encrypted'); // totp
    t.string('email', 254); // email
    t.integer('period');
    t.integer('digits');
    t.bigInteger('last_used_step'); // totp: a step at or below it is a replay
    t.bigInteger('confirmed_at'); // null = set up but not confirmed (provisional)
    t.bigInteger('last_used_at');
    t.bigInteger('created_at').notNullable();
    t.index(['user_id']);
  });

  await knex.schema.createTable('backup_codes', (t) => {
    t.bigIncrements('id');
    t.string('user_id', 32).notNullable().references('users.id').onDelete('CASCADE');
    t.string('code_hash', 64).notNullable();
    t.bigInteger('used_at');
    t.bigInteger('created_at').notNullable();
    t.index(['user_id']);
  });

  await knex.schema.createTable('one_time_codes', (t) => {
    t.string('id', 32).primary();
    t.string('user_id', 32).notNullable().references('users.id').onDelete('CASCADE');
    t.string('purpose', 32).notNullable(); // mfa_email | verify_email
    t.string('flow_uid', 255);
    t.string('factor_id', 32);
    t.string('email', 254).notNullable();
    t.string('code_hash', 64).notNullable();
    t.string('link_hash', 64).unique();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at');
    t.bigInteger('created_at').notNullable();
    t.index(['user_id', 'purpose']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('remembered_browsers', (t) => {
    t.string('id', 32).primary();
    t.string('user_id', 32).notNullable().references('users.id').onDelete('CASCADE');
    t.string('token_hash', 64).notNullable().unique();
    t.text('amr').notNullable();
    t.string('user_agent', 512);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('last_used_at');
    t.bigInteger('revoked_at');
    t.index(['user_id']);
    t.index(['expires_at']);
  });

  await knex.schema.alterTable('users', (t) => {
    // the method used last is offered first at the next sign-in (seed 002)
    t.string('last_mfa_method', 16);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => t.dropColumn('last_mfa_method'));
  for (const table of ['remembered_browsers', 'one_time_codes', 'backup_codes', 'factors']) {
    await knex.schema.dropTableIfExists(table);
  }
}
