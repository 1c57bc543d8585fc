import type { Logger } from 'pino';
import type { AuditEvent, AuditRepository } from './db/audit.js';

export type AuditLog = ReturnType<typeof createAuditLog>;

/** Security events: stored for operators and mirrored to the log. */
export function createAuditLog(repo: AuditRepository, logger: Logger) {
  return {
    async record(event: AuditEvent): Promise<void> {
      logger.info({ audit: event.type, orgId: event.orgId, userId: event.userId, clientId: event.clientId, ip: event.ip }, 'audit');
      await repo.insert(event);
    },
  };
}
