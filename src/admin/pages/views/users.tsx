import type { User } from '../../../model.js';
import { AdminLayout, type AdminPageContext } from './admin-layout.js';

export interface UsersView {
  page: AdminPageContext;
  q: string;
  users: User[];
  total: number;
  offset: number;
  pageSize: number;
  notice?: string | undefined;
  formatDate: (ms: number) => string;
}

/** `/admin/users?q=…&offset=…`, keeping the search. */
export function usersHref(q: string, offset: number): string {
  const params = new URLSearchParams({ ...(q ? { q } : {}), ...(offset ? { offset: String(offset) } : {}) }).toString();
  return `/admin/users${params ? `?${params}` : ''}`;
}

export function UsersPage(v: UsersView) {
  const { t } = v.page;
  const last = Math.min(v.offset + v.users.length, v.total);
  return (
    <AdminLayout page={v.page} title={t('admin.users.title')} notice={v.notice}>
      <form method="get" action="/admin/users" role="search" class="admin-search">
        <label for="q">{t('admin.users.searchLabel')}</label>
        <div class="inline-field">
          <input id="q" name="q" type="search" maxLength={100} value={v.q} />
          <button type="submit" class="small">
            {t('admin.users.searchSubmit')}
          </button>
        </div>
      </form>
      <p>
        <a href="/admin/users/new" id="new-user">
          {t('admin.users.new')}
        </a>
      </p>
      {v.users.length === 0 ? (
        <p id="no-users">{t('admin.users.none')}</p>
      ) : (
        <>
          <p class="muted" id="user-count">
            {t('admin.users.count', { from: v.offset + 1, to: last, total: v.total })}
          </p>
          <table class="activity admin-table" id="users">
            <thead>
              <tr>
                <th scope="col">{t('admin.users.col.username')}</th>
                <th scope="col">{t('admin.users.col.name')}</th>
                <th scope="col">{t('admin.users.col.email')}</th>
                <th scope="col">{t('admin.users.col.role')}</th>
                <th scope="col">{t('admin.users.col.status')}</th>
                <th scope="col">{t('admin.users.col.lastLogin')}</th>
              </tr>
            </thead>
            <tbody>
              {v.users.map((u) => (
                <tr data-user={u.id}>
                  <td>
                    <a href={`/admin/users/${u.id}`}>{u.username}</a>
                  </td>
                  <td>{u.name ?? ''}</td>
                  <td>{u.email ?? ''}</td>
                  <td>{t(`admin.role.${u.role}`)}</td>
                  <td>{u.disabled ? t('admin.status.disabled') : u.mustChangePassword ? t('admin.status.mustChange') : t('admin.status.active')}</td>
                  <td>{u.lastLoginAt ? v.formatDate(u.lastLoginAt) : t('admin.never')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <nav class="pager" aria-label={t('admin.users.title')}>
        {v.offset > 0 && (
          <a href={usersHref(v.q, Math.max(0, v.offset - v.pageSize))} rel="prev" id="previous-page">
            {t('admin.users.previous')}
          </a>
        )}
        {v.offset + v.users.length < v.total && (
          <a href={usersHref(v.q, v.offset + v.pageSize)} rel="next" id="next-page">
            {t('admin.users.next')}
          </a>
        )}
      </nav>
    </AdminLayout>
  );
}
