import type { Knex } from 'knex';

// Times are epoch milliseconds (bigint) so both engines compare them the same way.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('organisations', (t) => {
    t.string('id', 32).primary();
    t.string('code', 64).notNullable().unique();
    t.string('name', 200).notNullable();
    t.text('settings').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('users', (t) => {
    t.string('id', 32).primary();
    t.string('org_id', 32).notNullable().references('organisations.id').onDelete('CASCADE');
    t.string('username', 128).notNullable();
    t.string('username_key', 128).notNullable();
    t.text('password_hash').notNullable();
    t.string('email', 254);
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.string('name', 200);
    t.string('locale', 8);
    t.string('role', 16).notNullable().defaultTo('user');
    t.boolean('must_change_password').notNullable().defaultTo(false);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.bigInteger('password_changed_at');
    t.bigInteger('last_login_at');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['org_id', 'username_key']);
  });

  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 64).primary();
    t.string('name', 200).notNullable();
    // oidc-provider client metadata as JSON; client_secret is kept out of it, encrypted.
    t.text('metadata').notNullable();
    t.text('secret_encrypted');
    t.string('org_id', 32).references('organisations.id').onDelete('SET NULL');
    t.boolean('first_party').notNullable().defaultTo(true);
    t.boolean('require_mfa').notNullable().defaultTo(false);
    t.bigInteger('created_at').notNullable();
  });

  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('type', 40).notNullable();
    t.string('id', 255).notNullable();
    t.text('payload').notNullable();
    t.string('grant_id', 255);
    t.string('user_code', 255);
    t.string('uid', 255);
    t.bigInteger('expires_at');
    t.bigInteger('consumed_at');
    t.primary(['type', 'id']);
    t.index(['grant_id']);
    t.index(['uid']);
    t.index(['user_code']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('keys', (t) => {
    t.string('kid', 64).primary();
    t.string('use', 16).notNullable(); // 'sig' signing key, 'cookie' cookie signing secret
    t.string('alg', 16);
    t.text('material_encrypted').notNullable();
    t.string('status', 16).notNullable().defaultTo('active'); // active | retired
    t.bigInteger('created_at').notNullable();
    t.index(['use', 'status']);
  });

  await knex.schema.createTable('login_flows', (t) => {
    t.string('uid', 255).primary(); // the oidc-provider interaction uid
    t.string('state', 32).notNullable();
    t.string('org_id', 32);
    t.string('user_id', 32);
    t.text('data').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at']);
  });

  await knex.schema.createTable('throttles', (t) => {
    t.string('key', 300).primary();
    t.integer('failures').notNullable();
    t.bigInteger('locked_until');
    t.bigInteger('last_failure_at').notNullable();
    t.index(['last_failure_at']);
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.bigInteger('at').notNullable();
    t.string('type', 64).notNullable();
    t.string('org_id', 32);
    t.string('user_id', 32);
    t.string('client_id', 64);
    t.string('ip', 64);
    t.string('user_agent', 512);
    t.text('details');
    t.index(['org_id', 'at']);
    t.index(['user_id', 'at']);
    t.index(['type', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_events', 'throttles', 'login_flows', 'keys', 'oidc_payloads', 'clients', 'users', 'organisations']) {
    await knex.schema.dropTableIfExists(table);
  }
}
