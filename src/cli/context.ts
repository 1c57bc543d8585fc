import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../../config/load.js';
import type { AuditEvent } from '../db/audit.js';
import { createAuditRepository } from '../db/audit.js';
import { createClientRepository } from '../db/clients.js';
import { createKeyRepository } from '../db/keys.js';
import { createOrgRepository } from '../db/orgs.js';
import { createUserRepository } from '../db/users.js';
import type { Services } from '../services.js';
import { CliUsageError } from './args.js';

export interface CliContext {
  services: Services;
  config: Config;
  logger: Logger;
  /** where --password-stdin reads from */
  stdin: NodeJS.ReadableStream;
}

/** Every change the CLI makes is audited as done by the operator tool. */
export const BY_CLI = { by: 'cli' } as const;

/** Repositories bound to one transaction, for writes that must land together or not at all. */
export function transactionRepos(services: Services, trx: Knex.Transaction) {
  const auditRepo = createAuditRepository(trx);
  return {
    orgs: createOrgRepository(trx),
    users: createUserRepository(trx),
    clients: createClientRepository(trx, services.box),
    keys: createKeyRepository(trx),
    async audit(event: AuditEvent): Promise<void> {
      services.logger.info({ audit: event.type, orgId: event.orgId, userId: event.userId, clientId: event.clientId }, 'audit');
      await auditRepo.insert({ ...event, actor: 'cli', details: { ...event.details, ...BY_CLI } });
    },
  };
}
export type TransactionRepos = ReturnType<typeof transactionRepos>;

export function inTransaction<T>(services: Services, fn: (repos: TransactionRepos) => Promise<T>): Promise<T> {
  return services.knex.transaction((trx) => fn(transactionRepos(services, trx)));
}

/** SQLite and PostgreSQL report a unique-constraint violation differently. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Runs a write; a unique violation (a concurrent duplicate) becomes the same usage error as the pre-check. */
export async function uniquely<T>(message: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new CliUsageError(message);
    throw err;
  }
}

export async function requireOrg(services: Services, code: string) {
  const org = await services.repos.orgs.findByCode(code);
  if (!org) throw new CliUsageError(`--org: no organisation with code ${code} (see idp orgs list)`);
  return org;
}

export async function requireUser(services: Services, org: { id: string; code: string }, username: string) {
  const user = await services.repos.users.findByUsername(org.id, username);
  if (!user) throw new CliUsageError(`--username: no user "${username}" in organisation ${org.code} (see idp users list --org ${org.code})`);
  return user;
}
