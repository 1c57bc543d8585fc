import type Router from '@koa/router';
import { h } from 'preact';
import { sendPage } from '../../../interactions/respond.js';
import { AdminNotFoundError } from '../errors.js';
import { queryAudit } from '../audit-query.js';
import { idField } from '../schemas.js';
import { findUser } from '../users.js';
import { parseAuditFilters } from './audit-filters.js';
import { type AdminPagesDeps, adminPage, dateFormat, requireAdmin } from './context.js';
import { AuditPage } from './views/audit.js';

export const AUDIT_PAGE_SIZE = 50;

/** The organisation's audit log, newest first, filtered by user, type and time. */
export function registerAuditRoutes(router: Router, deps: AdminPagesDeps): void {
  const { services } = deps;

  router.get('/admin/audit', async (ctx) => {
    const who = await requireAdmin(ctx);
    const page = adminPage(ctx, who, 'audit');
    const filters = parseAuditFilters(ctx.query);
    const errors = Object.fromEntries(Object.entries(filters.errors).map(([k, key]) => [k, page.t(key)]));
    // a user id (from the user page) must name a user of this organisation, like every id
    let userId: string | undefined;
    if (filters.raw.user) {
      const id = idField.safeParse(filters.raw.user);
      if (!id.success) throw new AdminNotFoundError('user');
      userId = (await findUser(services, who.org, id.data)).id;
    }
    if (filters.raw.username) {
      const named = await services.repos.users.findByUsername(who.org.id, filters.raw.username);
      if (named) userId = named.id;
      else errors.username = page.t('admin.audit.unknownUser');
    }
    const formatDate = dateFormat(page.locale);
    if (Object.keys(errors).length) {
      return sendPage(ctx, 400, h(AuditPage, { page, filters: filters.raw, errors, events: [], next: null, usernames: new Map(), formatDate }));
    }
    const result = await queryAudit(services, who.org, {
      userId,
      type: filters.raw.type,
      from: filters.fromMs,
      to: filters.toMs,
      before: filters.raw.before,
      limit: AUDIT_PAGE_SIZE,
    });
    const ids = new Set<string>();
    for (const e of result.events) {
      if (e.userId) ids.add(e.userId);
      if (e.actor?.startsWith('user:')) ids.add(e.actor.slice(5));
    }
    if (userId) ids.add(userId);
    // looked up within the organisation: another organisation's ids stay ids
    const usernames = ids.size ? await services.repos.users.usernames(who.org.id, [...ids]) : new Map<string, string>();
    sendPage(ctx, 200, h(AuditPage, { page, filters: filters.raw, errors: {}, events: result.events, next: result.next, usernames, formatDate }));
  });
}
