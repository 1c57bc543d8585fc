import { FieldError } from '../../../../interactions/views/layout.js';
import type { StoredAuditEvent } from '../../../db/audit.js';
import { type AuditFilters, auditHref } from '../audit-filters.js';
import { AdminLayout, type AdminPageContext } from './admin-layout.js';

/** Offered in the type field; any other well-formed type may still be typed in. */
export const KNOWN_EVENT_TYPES = [
  'login.succeeded',
  'login.failed',
  'login.locked',
  'login.refused_locked',
  'password.changed',
  'password.change_forced',
  'password.reset',
  'mfa.factor_added',
  'mfa.factor_removed',
  'mfa.reset',
  'mfa.failed',
  'mfa.locked',
  'mfa.email_set_by_admin',
  'mfa.backup_codes_issued',
  'mfa.backup_code_used',
  'account.unlocked',
  'account.step_up',
  'user.created',
  'user.disabled',
  'user.enabled',
  'org.updated',
];

export interface AuditView {
  page: AdminPageContext;
  filters: AuditFilters;
  errors: Partial<Record<'username' | 'type' | 'from' | 'to', string>>;
  events: StoredAuditEvent[];
  next: number | null;
  /** usernames of the organisation's users named in the page (subject or actor) */
  usernames: Map<string, string>;
  formatDate: (ms: number) => string;
}

function Filter(props: { id: 'username' | 'type' | 'from' | 'to'; label: string; value: string | undefined; error?: string | undefined; type?: string; list?: string }) {
  return (
    <div class="field">
      <label for={`f-${props.id}`}>{props.label}</label>
      <input
        id={`f-${props.id}`}
        name={props.id}
        type={props.type ?? 'text'}
        value={props.value ?? ''}
        maxLength={props.type === 'datetime-local' ? 19 : 128}
        list={props.list}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `f-${props.id}-error` : undefined}
      />
      <FieldError id={`f-${props.id}-error`} message={props.error} />
    </div>
  );
}

export function AuditPage(v: AuditView) {
  const { t } = v.page;
  const f = v.filters;
  const who = (id: string | null | undefined) => (id ? (v.usernames.get(id) ?? id) : '');
  const actor = (a: string | null | undefined) => (a?.startsWith('user:') ? who(a.slice(5)) : (a ?? ''));
  const current = { ...f, before: undefined };
  return (
    <AdminLayout page={v.page} title={t('admin.audit.title')}>
      <form method="get" action="/admin/audit" class="admin-filters" aria-label={t('admin.audit.filters')}>
        {/* a user chosen on the user page stays chosen until the filters are cleared */}
        {f.user && !f.username && <input type="hidden" name="user" value={f.user} />}
        <Filter id="username" label={t('admin.audit.user')} value={f.username ?? (f.user ? v.usernames.get(f.user) : undefined)} error={v.errors.username} />
        <Filter id="type" label={t('admin.audit.type')} value={f.type} error={v.errors.type} list="event-types" />
        <datalist id="event-types">
          {KNOWN_EVENT_TYPES.map((type) => (
            <option value={type} />
          ))}
        </datalist>
        <Filter id="from" type="datetime-local" label={t('admin.audit.from')} value={f.from} error={v.errors.from} />
        <Filter id="to" type="datetime-local" label={t('admin.audit.to')} value={f.to} error={v.errors.to} />
        <div class="inline-actions">
          <button type="submit" class="small" id="apply-filters">
            {t('admin.audit.apply')}
          </button>
          <a href="/admin/audit">{t('admin.audit.clear')}</a>
        </div>
      </form>
      {v.events.length === 0 ? (
        <p id="no-events">{t('admin.audit.none')}</p>
      ) : (
        <table class="activity admin-table" id="audit">
          <thead>
            <tr>
              <th scope="col">{t('admin.audit.col.when')}</th>
              <th scope="col">{t('admin.audit.col.type')}</th>
              <th scope="col">{t('admin.audit.col.user')}</th>
              <th scope="col">{t('admin.audit.col.actor')}</th>
              <th scope="col">{t('admin.audit.col.ip')}</th>
              <th scope="col">{t('admin.audit.col.details')}</th>
            </tr>
          </thead>
          <tbody>
            {v.events.map((e) => (
              <tr data-event={e.id} data-type={e.type}>
                <td>{v.formatDate(e.at)}</td>
                <td>
                  <code>{e.type}</code>
                </td>
                <td>{e.userId && v.usernames.has(e.userId) ? <a href={`/admin/users/${e.userId}`}>{who(e.userId)}</a> : who(e.userId)}</td>
                <td class="actor">{actor(e.actor)}</td>
                <td>{e.ip ?? ''}</td>
                <td class="details">{e.details && Object.keys(e.details).length ? JSON.stringify(e.details).slice(0, 300) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label={t('admin.audit.title')}>
        {f.before !== undefined && (
          <a href={auditHref(current)} id="newest-page">
            {t('admin.audit.newest')}
          </a>
        )}
        {v.next !== null && (
          <a href={auditHref(current, v.next)} rel="next" id="older-page">
            {t('admin.audit.older')}
          </a>
        )}
      </nav>
    </AdminLayout>
  );
}
