import { z } from 'zod';
import { BadRequestError } from '../../errors.js';
import type { MessageKey } from '../../i18n/index.js';

/**
 * The filters of the audit page as the browser sends them (a GET form: empty fields are
 * empty strings). Times are `datetime-local` values, read as Japan time like every date
 * the pages show.
 */
const rawQuery = z.strictObject({
  user: z.string().max(200).optional(),
  username: z.string().max(200).optional(),
  type: z.string().max(200).optional(),
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  before: z.string().max(40).optional(),
});

export interface AuditFilters {
  /** a user id (links from the user page) */
  user?: string | undefined;
  username?: string | undefined;
  type?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  before?: number | undefined;
}

export interface ParsedAuditFilters {
  raw: AuditFilters;
  fromMs?: number | undefined;
  toMs?: number | undefined;
  errors: Partial<Record<'username' | 'type' | 'from' | 'to', MessageKey>>;
}

/** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]` in Japan time → epoch ms. */
export function japanTime(value: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2})?)?$/.exec(value);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2] ?? '00:00'}${m[3] ?? ':00'}+09:00`);
  // Date.parse rolls 2025-02-30 over to March: refuse what does not round-trip
  if (Number.isNaN(ms) || new Date(ms + 9 * 3600_000).toISOString().slice(0, 10) !== m[1]) return undefined;
  return ms;
}

export function parseAuditFilters(query: unknown): ParsedAuditFilters {
  const parsed = rawQuery.safeParse(query);
  if (!parsed.success) throw new BadRequestError('the filters are user, username, type, from, to and before, each once');
  const q = Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [k, v?.trim() || undefined])) as Record<keyof typeof parsed.data, string | undefined>;
  if (q.before !== undefined && !/^\d{1,15}$/.test(q.before)) throw new BadRequestError('before is the number of an event');
  const out: ParsedAuditFilters = {
    raw: { user: q.user, username: q.username, type: q.type, from: q.from, to: q.to, before: q.before ? Number(q.before) : undefined },
    errors: {},
  };
  if (q.type && !/^[a-z0-9_.]{1,64}$/.test(q.type)) out.errors.type = 'admin.audit.typeInvalid';
  if (q.from) {
    out.fromMs = japanTime(q.from);
    if (out.fromMs === undefined) out.errors.from = 'admin.audit.timeInvalid';
  }
  if (q.to) {
    out.toMs = japanTime(q.to);
    if (out.toMs === undefined) out.errors.to = 'admin.audit.timeInvalid';
  }
  if (out.fromMs !== undefined && out.toMs !== undefined && out.fromMs >= out.toMs) out.errors.from = 'admin.audit.rangeInvalid';
  return out;
}

/** The audit page URL for filters (empty ones left out). */
export function auditHref(f: AuditFilters, before?: number): string {
  const entries = Object.entries({ ...f, before }).filter(([, v]) => v !== undefined && v !== '') as [string, string | number][];
  const search = new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString();
  return `/admin/audit${search ? `?${search}` : ''}`;
}
