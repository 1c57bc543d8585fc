import type { Knex } from 'knex';

export interface AuditEvent {
  type: string;
  orgId?: string | null;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

export interface StoredAuditEvent extends AuditEvent {
  id: number;
  at: number;
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
  details: string | null;
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;

export function createAuditRepository(knex: Knex) {
  return {
    async insert(event: AuditEvent): Promise<void> {
      await knex<AuditRow>('audit_events').insert({
        at: Date.now(),
        type: event.type,
        org_id: event.orgId ?? null,
        user_id: event.userId ?? null,
        client_id: event.clientId ?? null,
        ip: event.ip ?? null,
        user_agent: event.userAgent?.slice(0, 512) ?? null,
        details: event.details ? JSON.stringify(event.details) : null,
      });
    },
    async list(filter: { orgId?: string; userId?: string; type?: string; since?: number; limit?: number } = {}): Promise<StoredAuditEvent[]> {
      const q = knex<AuditRow>('audit_events').orderBy('id', 'desc').limit(filter.limit ?? 100);
      if (filter.orgId) q.where({ org_id: filter.orgId });
      if (filter.userId) q.where({ user_id: filter.userId });
      if (filter.type) q.where({ type: filter.type });
      if (filter.since) q.where('at', '>=', filter.since);
      return (await q).map((r) => ({
        id: Number(r.id),
        at: Number(r.at),
        type: r.type,
        orgId: r.org_id,
        userId: r.user_id,
        clientId: r.client_id,
        ip: r.ip,
        userAgent: r.user_agent,
        details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : undefined,
      }));
    },
  };
}
