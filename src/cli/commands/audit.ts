import { z } from 'zod';
import { AUDIT_PAGE_MAX, auditEventJson, queryAudit, usernamesFor } from '../../admin/audit-query.js';
import { CliUsageError, integer, orgCode, username, validate } from '../args.js';
import type { Command } from '../command.js';
import { requireOrg, requireUser } from '../context.js';
import { table } from '../output.js';

const instant = (option: string) =>
  z.string().transform((v, ctx): number => {
    const ms = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 date or date-time such as 2025-04-01 or 2025-04-01T09:00:00+09:00 (got ${JSON.stringify(v)})` });
      return z.NEVER;
    }
    return ms;
  }).describe(option);

const schema = z.object({
  org: orgCode,
  user: username.optional(),
  type: z
    .string()
    .regex(/^[a-z0-9_.]{1,64}$/, 'must be an event type such as login.failed')
    .optional(),
  from: instant('from').optional(),
  to: instant('to').optional(),
  limit: integer(1, AUDIT_PAGE_MAX).optional(),
  before: integer(1, Number.MAX_SAFE_INTEGER).optional(),
});

export const auditCommand: Command = {
  name: 'audit',
  summary: "query an organisation's audit events",
  options: {
    org: { type: 'string' },
    user: { type: 'string' },
    type: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    before: { type: 'string' },
  },
  help: `Usage: idp audit --org CODE [--user USERNAME] [--type TYPE] [--from TIME] [--to TIME]
                 [--limit N] [--before ID] [--json]

Prints an organisation's security events, newest first: sign-ins and their failures
with the reason, factors added, removed and used, backup codes, lock-outs, password
changes, remembered browsers and administration actions with who did them. The same
query as GET /admin/api/v1/orgs/CODE/audit.

  --org CODE        organisation code (required)
  --user USERNAME   only this user's events
  --type TYPE       only this event type (e.g. login.failed, mfa.reset, user.disabled)
  --from TIME       events at or after TIME (ISO 8601: 2025-04-01 or 2025-04-01T09:00:00+09:00)
  --to TIME         events before TIME
  --limit N         at most N events (1-${AUDIT_PAGE_MAX}, default 100)
  --before ID       the next page: the "next" value the previous page printed

Events are kept for IDP_AUDIT_RETENTION_DAYS days.`,
  prepare(values) {
    const input = validate(schema, values);
    if (input.from !== undefined && input.to !== undefined && input.from >= input.to) throw new CliUsageError('--from must be before --to');
    return async ({ services }) => {
      const org = await requireOrg(services, input.org);
      const user = input.user ? await requireUser(services, org, input.user) : undefined;
      const page = await queryAudit(services, org, {
        userId: user?.id,
        type: input.type,
        from: input.from,
        to: input.to,
        before: input.before,
        limit: input.limit ?? 100,
      });
      const names = await usernamesFor(services, org, page.events);
      const events = page.events.map((e) => auditEventJson(e, names));
      const text = events.length
        ? `${table(
            ['ID', 'TIME', 'TYPE', 'USER', 'BY', 'ADDRESS', 'DETAILS'],
            events.map((e) => [
              String(e.id),
              String(e.at),
              String(e.type),
              String(e.username ?? e.user_id ?? '-'),
              String(e.actor ?? '-'),
              String(e.ip ?? '-'),
              JSON.stringify(e.details),
            ]),
          )}${page.next ? `\nMore: idp audit --org ${org.code} … --before ${page.next}` : ''}`
        : `No audit events in ${org.code} match.`;
      return { json: { events, next: page.next }, text };
    };
  },
};
