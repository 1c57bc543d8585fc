import type { Knex } from 'knex';

// Organisation administration and audit queries (issue 5, administration half).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    // who did it: "cli", "client:<client_id>" (admin API) or "user:<user_id>" (admin pages);
    // null for events a user or the system caused themselves
    t.string('actor', 100);
    // the retention purge deletes by time alone; queries by client and by organisation + type
    t.index(['at']);
    t.index(['client_id', 'at']);
    t.index(['org_id', 'type', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['at']);
    t.dropIndex(['client_id', 'at']);
    t.dropIndex(['org_id', 'type', 'at']);
    t.dropColumn('actor');
  });
}
