import { Csrf } from '../../../../interactions/views/code-input.js';
import { FieldError } from '../../../../interactions/views/layout.js';
import type { LinkView } from '../../../federation/links.js';
import type { MfaMethod, User } from '../../../model.js';
import { AdminLayout, type AdminPageContext } from './admin-layout.js';

export interface UserDetailView {
  page: AdminPageContext;
  user: User;
  methods: MfaMethod[];
  backupUnused: number;
  links: LinkView[];
  pendingEmail: string | null;
  confirmedEmail: string | null;
  lockedUntil: number | null;
  isSelf: boolean;
  notice?: string | undefined;
  error?: string | undefined;
  emailValue?: string | undefined;
  emailError?: string | undefined;
  formatDate: (ms: number) => string;
}

/** One button that posts an action of this user. */
function ActionForm(props: { page: AdminPageContext; action: string; label: string; id: string }) {
  return (
    <form method="post" action={props.action}>
      <Csrf token={props.page.csrf} />
      <button type="submit" class="small" id={props.id}>
        {props.label}
      </button>
    </form>
  );
}

export function UserDetailPage(v: UserDetailView) {
  const { t } = v.page;
  const u = v.user;
  const base = `/admin/users/${u.id}`;
  return (
    <AdminLayout page={v.page} title={t('admin.user.title', { username: u.username })} notice={v.notice} error={v.error}>
      <h2>{t('admin.user.details')}</h2>
      <dl class="admin-details" id="user-details">
        <dt>{t('admin.users.col.username')}</dt>
        <dd>{u.username}</dd>
        <dt>{t('admin.users.col.name')}</dt>
        <dd>{u.name ?? ''}</dd>
        <dt>{t('admin.users.col.email')}</dt>
        <dd>{u.email ?? ''}</dd>
        <dt>{t('admin.users.col.role')}</dt>
        <dd>{t(`admin.role.${u.role}`)}</dd>
        <dt>{t('admin.user.language')}</dt>
        <dd>{u.locale === 'ja' ? '日本語' : u.locale === 'en' ? 'English' : ''}</dd>
        <dt>{t('admin.users.col.status')}</dt>
        <dd id="user-status">
          {u.disabled ? t('admin.status.disabled') : t('admin.status.active')}
          {u.mustChangePassword && ` · ${t('admin.status.mustChange')}`}
          {v.lockedUntil && ` · ${t('admin.status.locked', { date: v.formatDate(v.lockedUntil) })}`}
        </dd>
        <dt>{t('admin.users.col.lastLogin')}</dt>
        <dd>{u.lastLoginAt ? v.formatDate(u.lastLoginAt) : t('admin.never')}</dd>
        <dt>{t('admin.user.created')}</dt>
        <dd>{v.formatDate(u.createdAt)}</dd>
        <dt>{t('admin.user.factors')}</dt>
        <dd id="user-factors">
          {v.methods.length ? v.methods.map((m) => t(`mfa.methods.${m}`)).join(', ') : t('admin.user.factorsNone')}
          {v.confirmedEmail && ` (${v.confirmedEmail})`}
          <div class="muted">{t('admin.user.backupCodes', { count: v.backupUnused })}</div>
          {v.pendingEmail && <div class="muted">{t('admin.user.pendingEmail', { email: v.pendingEmail })}</div>}
        </dd>
      </dl>
      <p>
        <a href={`/admin/audit?user=${u.id}`} id="user-audit">
          {t('admin.user.activity')}
        </a>
      </p>

      <h2>{t('admin.user.actions')}</h2>
      <div class="admin-actions">
        {u.disabled ? (
          <ActionForm page={v.page} action={`${base}/enable`} label={t('admin.user.enable')} id="enable" />
        ) : v.isSelf ? (
          <p class="muted">{t('admin.user.ownAccountNote')}</p>
        ) : (
          <a class="button small danger" href={`${base}/disable`} id="disable">
            {t('admin.user.disable')}
          </a>
        )}
        <ActionForm page={v.page} action={`${base}/force-password-change`} label={t('admin.user.forcePassword')} id="force-password-change" />
        <ActionForm page={v.page} action={`${base}/unlock`} label={t('admin.user.unlock')} id="unlock" />
        <a class="button small danger" href={`${base}/reset-mfa`} id="reset-mfa">
          {t('admin.user.resetMfa')}
        </a>
      </div>

      <h2 id="links-heading">{t('admin.user.links')}</h2>
      {v.links.length ? (
        <table class="activity admin-table" id="user-links" aria-labelledby="links-heading">
          <thead>
            <tr>
              <th scope="col">{t('admin.user.links.upstream')}</th>
              <th scope="col">{t('admin.user.links.subject')}</th>
              <th scope="col">{t('admin.user.links.linkedAt')}</th>
              <th scope="col">{t('admin.user.links.unlink')}</th>
            </tr>
          </thead>
          <tbody>
            {v.links.map((l) => (
              <tr key={l.id}>
                <td>{l.upstreamName}</td>
                <td>
                  <code>{l.subject}</code>
                </td>
                <td>{v.formatDate(l.createdAt)}</td>
                <td>
                  <ActionForm page={v.page} action={`${base}/links/${l.id}/unlink`} label={t('admin.user.links.unlink')} id={`unlink-${l.id}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted" id="user-links-none">
          {t('admin.user.linksNone')}
        </p>
      )}

      <h2 id="two-factor-email-heading">{t('admin.user.twoFactorEmail')}</h2>
      <form method="post" action={`${base}/2fa-email`} novalidate aria-labelledby="two-factor-email-heading">
        <Csrf token={v.page.csrf} />
        <p class="hint" id="two-factor-email-hint">
          {t('admin.user.twoFactorEmailHint')}
        </p>
        <div class="field">
          <label for="email">{t('admin.user.twoFactorEmailLabel')}</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="off"
            maxLength={254}
            value={v.emailValue ?? ''}
            aria-invalid={v.emailError ? 'true' : undefined}
            aria-describedby={v.emailError ? 'email-error two-factor-email-hint' : 'two-factor-email-hint'}
          />
          <FieldError id="email-error" message={v.emailError} />
        </div>
        <button type="submit" class="secondary" id="send-2fa-email">
          {t('admin.user.twoFactorEmailSubmit')}
        </button>
      </form>
    </AdminLayout>
  );
}
