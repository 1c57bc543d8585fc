import type { AuditEvent } from '../db/audit.js';

/**
 * Who performs an administration action, for the audit trail: the operator CLI, an
 * automation client of the admin API, or an administrator signed in to the admin pages.
 */
export type Actor =
  | { kind: 'cli' }
  | { kind: 'api'; clientId: string; ip?: string | null; userAgent?: string | null }
  | { kind: 'admin'; userId: string; ip?: string | null; userAgent?: string | null };

export const CLI_ACTOR: Actor = { kind: 'cli' };

/** "cli", "client:<client_id>" or "user:<user_id>": the audit_events.actor column. */
export function actorId(actor: Actor): string {
  switch (actor.kind) {
    case 'cli':
      return 'cli';
    case 'api':
      return `client:${actor.clientId}`;
    case 'admin':
      return `user:${actor.userId}`;
  }
}

/** The audit fields that say who did it and from where. */
export function actorFields(actor: Actor): Pick<AuditEvent, 'actor' | 'clientId' | 'ip' | 'userAgent'> {
  return {
    actor: actorId(actor),
    ...(actor.kind === 'api' ? { clientId: actor.clientId } : {}),
    ...(actor.kind !== 'cli' ? { ip: actor.ip ?? null, userAgent: actor.userAgent ?? null } : {}),
  };
}
