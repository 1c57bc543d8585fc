import type { Logger } from 'pino';
import type { AuditEvent, AuditRepository } from './db/audit.js';

export type AuditLog = ReturnType<typeof createAuditLog>;

/** Security events: stored for operators and mirrored to the log. */
export function createAuditLog(repo: AuditRepository, logger: Logger) {
  const listeners: ((event: AuditEvent) => void)[] = [];
  return {
    async record(event: AuditEvent): Promise<void> {
      logger.info({ audit: event.type, orgId: event.orgId, userId: event.userId, clientId: event.clientId, ip: event.ip }, 'audit');
      await repo.insert(event);
      for (const listener of listeners) {
        // observers (metrics) must never fail the security event they watch
        try {
          listener(event);
        } catch (err) {
          logger.warn({ err, audit: event.type }, 'audit observer failed');
        }
      }
    },
    /** Called with every event once stored (src/http/security-metrics.ts counts them). */
    onRecord(listener: (event: AuditEvent) => void): void {
      listeners.push(listener);
    },
  };
}
