import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply database migrations',
  options: {},
  migrateFirst: false,
  help: `Usage: idp migrate [--json]

Applies the database migrations that have not been applied yet and lists them. The
server and every other idp command migrate on their own; this is for deployments that
migrate as a separate step.`,
  prepare() {
    return async ({ services }) => {
      const { migrate } = await import('../../db/connect.js');
      const applied = await migrate(services.knex);
      return {
        json: { applied },
        text: applied.length ? `Applied migrations: ${applied.join(', ')}` : 'The database is up to date; nothing to apply.',
      };
    };
  },
};
