import type { Knex } from 'knex';

// WebAuthn / FIDO2 credentials and their server-side challenges (issue 4).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webauthn_credentials', (t) => {
    t.string('id', 32).primary();
    t.string('user_id', 32).notNullable().references('users.id').onDelete('CASCADE');
    // base64url credential id as the authenticator reports it; one credential, one user
    t.string('credential_id', 1400).notNullable().unique();
    t.text('public_key').notNullable(); // base64url COSE key
    t.bigInteger('counter').notNullable().defaultTo(0);
    t.text('transports'); // JSON array
    t.string('aaguid', 36);
    t.string('device_type', 16).notNullable(); // singleDevice | multiDevice
    t.boolean('backed_up').notNullable().defaultTo(false);
    t.boolean('discoverable').notNullable().defaultTo(false);
    t.string('label', 100).notNullable();
    t.bigInteger('last_used_at');
    t.bigInteger('created_at').notNullable();
    t.index(['user_id']);
  });

  await knex.schema.createTable('webauthn_challenges', (t) => {
    t.string('id', 32).primary();
    t.string('challenge', 128).notNullable().unique();
    // what the challenge belongs to: a sign-in flow uid, or another bound context
    t.string('binding', 255).notNullable();
    t.string('purpose', 16).notNullable(); // register | authenticate | passkey
    t.string('user_id', 32).references('users.id').onDelete('CASCADE');
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at');
    t.bigInteger('created_at').notNullable();
    t.index(['binding', 'purpose']);
    t.index(['expires_at']);
  });

  await knex.schema.alterTable('users', (t) => {
    // the opaque user handle authenticators keep (never the username or the row id)
    t.string('webauthn_handle', 64).unique();
    // seed 002: "register biometrics or a FIDO2 key at the next sign-in"
    t.boolean('webauthn_offer').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('webauthn_offer');
    t.dropColumn('webauthn_handle');
  });
  await knex.schema.dropTableIfExists('webauthn_challenges');
  await knex.schema.dropTableIfExists('webauthn_credentials');
}
