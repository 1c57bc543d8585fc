import type { StoredAuditEvent } from '../db/audit.js';
import type { Organisation } from '../model.js';
import type { Services } from '../services.js';

export const AUDIT_PAGE_MAX = 500;

export interface AuditQuery {
  userId?: string | undefined;
  type?: string | undefined;
  /** epoch ms, inclusive */
  from?: number | undefined;
  /** epoch ms, exclusive */
  to?: number | undefined;
  /** the `next` cursor of the previous page */
  before?: number | undefined;
  limit: number;
}

export interface AuditPage {
  events: StoredAuditEvent[];
  /** pass as `before` for the next (older) page; null on the last page */
  next: number | null;
}

/**
 * One organisation's audit events, newest first. The organisation is not a filter the
 * caller may leave out: admin API, pages and CLI each ask for exactly one.
 */
export async function queryAudit(services: Services, org: Organisation, q: AuditQuery): Promise<AuditPage> {
  const limit = Math.min(Math.max(q.limit, 1), AUDIT_PAGE_MAX);
  // one more than asked tells whether an older page exists
  const rows = await services.repos.audit.list({
    orgId: org.id,
    ...(q.userId ? { userId: q.userId } : {}),
    ...(q.type ? { type: q.type } : {}),
    ...(q.from !== undefined ? { from: q.from } : {}),
    ...(q.to !== undefined ? { to: q.to } : {}),
    ...(q.before !== undefined ? { beforeId: q.before } : {}),
    limit: limit + 1,
  });
  const events = rows.slice(0, limit);
  return { events, next: rows.length > limit ? events.at(-1)!.id : null };
}

export function auditEventJson(e: StoredAuditEvent, usernames: Map<string, string> = new Map()): Record<string, unknown> {
  return {
    id: e.id,
    at: new Date(e.at).toISOString(),
    type: e.type,
    user_id: e.userId ?? null,
    username: e.userId ? (usernames.get(e.userId) ?? null) : null,
    client_id: e.clientId ?? null,
    actor: e.actor ?? null,
    ip: e.ip ?? null,
    user_agent: e.userAgent ?? null,
    details: e.details ?? {},
  };
}

/** Usernames of the organisation's users named in a page of events (one query). */
export async function usernamesFor(services: Services, org: Organisation, events: StoredAuditEvent[]): Promise<Map<string, string>> {
  const ids = [...new Set(events.map((e) => e.userId).filter((id): id is string => Boolean(id)))];
  if (!ids.length) return new Map();
  return services.repos.users.usernames(org.id, ids);
}
