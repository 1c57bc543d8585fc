import type { Knex } from 'knex';
import { execute } from './raw.js';

const INSERT = 'insert into audit_events (at, type, org_id, user_id, client_id, ip, user_agent, actor, details) values (?, ?, ?, ?, ?, ?, ?, ?, ?)';

export interface AuditEvent {
  type: string;
  orgId?: string | null;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** who did it when it was not the user themselves: "cli", "client:<id>", "user:<id>" */
  actor?: string | null;
  details?: Record<string, unknown>;
}

export interface StoredAuditEvent extends AuditEvent {
  id: number;
  at: number;
}

/** What an audit query may filter on; every filter is optional except where the caller insists. */
export interface AuditFilter {
  orgId?: string;
  userId?: string;
  type?: string;
  /** epoch ms, inclusive */
  from?: number;
  /** epoch ms, exclusive */
  to?: number;
  /** paging: only events with a smaller id (newest first) */
  beforeId?: number;
  limit?: number;
}

interface AuditRow {
  id?: number;
  at: number;
  type: string;
  org_id: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  actor: string | null;
  details: string | null;
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;

function toEvent(r: AuditRow): StoredAuditEvent {
  return {
    id: Number(r.id),
    at: Number(r.at),
    type: r.type,
    orgId: r.org_id,
    userId: r.user_id,
    clientId: r.client_id,
    ip: r.ip,
    userAgent: r.user_agent,
    actor: r.actor ?? null,
    details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : undefined,
  };
}

export function createAuditRepository(knex: Knex) {
  return {
    async insert(event: AuditEvent): Promise<void> {
      // constant SQL (src/db/raw.ts): every sign-in writes at least one event
      await execute(knex, INSERT, [
        Date.now(),
        event.type,
        event.orgId ?? null,
        event.userId ?? null,
        event.clientId ?? null,
        event.ip?.slice(0, 64) ?? null,
        event.userAgent?.slice(0, 512) ?? null,
        event.actor?.slice(0, 100) ?? null,
        event.details ? JSON.stringify(event.details) : null,
      ]);
    },
    /** Newest first; `beforeId` pages on (ids only grow, so a page never repeats an event). */
    async list(filter: AuditFilter = {}): Promise<StoredAuditEvent[]> {
      const q = knex<AuditRow>('audit_events').orderBy('id', 'desc').limit(filter.limit ?? 100);
      if (filter.orgId) q.where({ org_id: filter.orgId });
      if (filter.userId) q.where({ user_id: filter.userId });
      if (filter.type) q.where({ type: filter.type });
      if (filter.from !== undefined) q.where('at', '>=', filter.from);
      if (filter.to !== undefined) q.where('at', '<', filter.to);
      if (filter.beforeId !== undefined) q.where('id', '<', filter.beforeId);
      return (await q).map(toEvent);
    },
    /** Retention: deletes events recorded before the cut-off; returns how many went. */
    async purgeBefore(cutoff: number): Promise<number> {
      return knex<AuditRow>('audit_events').where('at', '<', cutoff).delete();
    },
  };
}
