import type { Knex } from 'knex';

// Upstream OpenID Connect providers, links to local users and sign-ins in progress (issue 7).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('upstreams', (t) => {
    t.string('id', 32).primary();
    t.string('org_id', 32).notNullable().references('organisations.id').onDelete('CASCADE');
    t.string('slug', 64).notNullable(); // the operator's name for it, unique per organisation
    t.string('issuer', 512).notNullable();
    t.string('client_id', 255).notNullable();
    t.text('client_secret_encrypted'); // sealed with the secret box; null = public client (PKCE only)
    t.string('scopes', 500).notNullable();
    t.string('display_name', 200).notNullable();
    t.string('label_ja', 100).notNullable();
    t.string('label_en', 100).notNullable();
    t.text('client_ids'); // JSON array of our client ids that show it; null = every client of the organisation
    t.text('mfa_acr_values'); // JSON array of upstream acr values that mean MFA was done there
    t.boolean('enabled').notNullable().defaultTo(true);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['org_id', 'slug']);
  });

  await knex.schema.createTable('federated_links', (t) => {
    t.string('id', 32).primary();
    t.string('user_id', 32).notNullable().references('users.id').onDelete('CASCADE');
    t.string('upstream_id', 32).notNullable().references('upstreams.id').onDelete('CASCADE');
    t.string('issuer', 512).notNullable();
    t.string('subject', 255).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_used_at');
    // an upstream subject links to at most one local user, and a user has one link per upstream
    t.unique(['issuer', 'subject']);
    t.unique(['user_id', 'upstream_id']);
  });

  await knex.schema.createTable('federation_requests', (t) => {
    t.string('state_hash', 64).primary(); // SHA-256 of the state sent upstream
    t.string('flow_uid', 255).notNullable();
    t.string('upstream_id', 32).notNullable().references('upstreams.id').onDelete('CASCADE');
    t.text('secrets_sealed').notNullable(); // PKCE verifier and nonce, sealed
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at');
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['federation_requests', 'federated_links', 'upstreams']) await knex.schema.dropTableIfExists(table);
}
