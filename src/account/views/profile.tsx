import { FieldError } from '../../../interactions/views/layout.js';
import { AccountLayout, type AccountPageContext } from './account-layout.js';

export interface ProfileView {
  page: AccountPageContext;
  values: { name: string; locale: string };
  errors: { name?: string | undefined; locale?: string | undefined };
  notice?: string | undefined;
}

export function ProfilePage(v: ProfileView) {
  const { t } = v.page;
  return (
    <AccountLayout page={v.page} title={t('account.profile.title')} notice={v.notice}>
      <form method="post" action="/account/profile" novalidate>
        <input type="hidden" name="csrf" value={v.page.csrf} />
        <div class="field">
          <label for="name">{t('account.profile.name')}</label>
          <input
            id="name"
            name="name"
            type="text"
            autocomplete="name"
            maxLength={100}
            value={v.values.name}
            aria-invalid={v.errors.name ? 'true' : undefined}
            aria-describedby={v.errors.name ? 'name-error' : undefined}
          />
          <FieldError id="name-error" message={v.errors.name} />
        </div>
        <div class="field">
          <label for="locale">{t('account.profile.language')}</label>
          <select id="locale" name="locale">
            <option value="ja" selected={v.values.locale === 'ja'}>
              日本語
            </option>
            <option value="en" selected={v.values.locale === 'en'}>
              English
            </option>
          </select>
          <FieldError id="locale-error" message={v.errors.locale} />
        </div>
        <button type="submit" class="primary">
          {t('account.save')}
        </button>
      </form>
    </AccountLayout>
  );
}
