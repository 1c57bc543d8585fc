import type { Knex } from 'knex';

// Development outbox: without IDP_SMTP_URL (development and test only) mails are kept
// here and shown on /dev/outbox instead of being sent. Times are epoch milliseconds.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mail_outbox', (t) => {
    t.bigIncrements('id');
    t.bigInteger('created_at').notNullable();
    t.string('to_address', 254).notNullable();
    t.string('subject', 300).notNullable();
    t.text('text').notNullable();
    t.text('html').notNullable();
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mail_outbox');
}
