import { Csrf } from '../../../../interactions/views/code-input.js';
import { FieldError, PasswordInput } from '../../../../interactions/views/layout.js';
import { AdminLayout, type AdminPageContext } from './admin-layout.js';

export type NewUserField = 'username' | 'password' | 'email' | 'name' | 'locale' | 'role';

export interface NewUserView {
  page: AdminPageContext;
  /** what was entered (never the password) */
  values: { username: string; email: string; name: string; locale: string; role: string; mustChange: boolean };
  errors: Partial<Record<NewUserField, string>>;
}

function TextField(props: { id: NewUserField; label: string; value: string; error?: string | undefined; type?: string; autocomplete: string; max: number }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        type={props.type ?? 'text'}
        autocomplete={props.autocomplete}
        maxLength={props.max}
        value={props.value}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${props.id}-error` : undefined}
      />
      <FieldError id={`${props.id}-error`} message={props.error} />
    </div>
  );
}

export function NewUserPage(v: NewUserView) {
  const { t } = v.page;
  return (
    <AdminLayout page={v.page} title={t('admin.new.title')}>
      <form method="post" action="/admin/users" novalidate>
        <Csrf token={v.page.csrf} />
        <TextField id="username" label={t('admin.new.username')} value={v.values.username} error={v.errors.username} autocomplete="off" max={128} />
        <PasswordInput page={v.page} id="password" name="password" label={t('admin.new.password')} autocomplete="new-password" error={v.errors.password} />
        <TextField id="email" type="email" label={t('admin.new.email')} value={v.values.email} error={v.errors.email} autocomplete="off" max={254} />
        <TextField id="name" label={t('admin.new.name')} value={v.values.name} error={v.errors.name} autocomplete="off" max={200} />
        <div class="field">
          <label for="locale">{t('admin.new.language')}</label>
          <select id="locale" name="locale">
            <option value="" selected={v.values.locale === ''}>
              {t('admin.new.languageUnset')}
            </option>
            <option value="ja" selected={v.values.locale === 'ja'}>
              日本語
            </option>
            <option value="en" selected={v.values.locale === 'en'}>
              English
            </option>
          </select>
          <FieldError id="locale-error" message={v.errors.locale} />
        </div>
        <div class="field">
          <label for="role">{t('admin.new.role')}</label>
          <select id="role" name="role">
            <option value="user" selected={v.values.role !== 'admin'}>
              {t('admin.role.user')}
            </option>
            <option value="admin" selected={v.values.role === 'admin'}>
              {t('admin.role.admin')}
            </option>
          </select>
          <FieldError id="role-error" message={v.errors.role} />
        </div>
        <div class="field checkbox">
          <input type="checkbox" id="must_change_password" name="must_change_password" value="yes" checked={v.values.mustChange} />
          <label for="must_change_password">{t('admin.new.mustChange')}</label>
        </div>
        <button type="submit" class="primary" id="create-user">
          {t('admin.new.submit')}
        </button>
      </form>
    </AdminLayout>
  );
}
