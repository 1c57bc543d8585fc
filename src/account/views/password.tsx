import { FormError, PasswordInput } from '../../../interactions/views/layout.js';
import { AccountLayout, type AccountPageContext } from './account-layout.js';

export interface AccountPasswordView {
  page: AccountPageContext;
  minLength: number;
  errors: { form?: string | undefined; current?: string | undefined; newPassword?: string | undefined; confirm?: string | undefined };
  notice?: string | undefined;
}

/** Change password: the current one, the new one twice, and the strength gauge (password.js). */
export function AccountPasswordPage(v: AccountPasswordView) {
  const { t } = v.page;
  return (
    <AccountLayout page={v.page} title={t('changePassword.title')} scripts={['/assets/password.js']} notice={v.notice}>
      <FormError message={v.errors.form} />
      <form method="post" action="/account/password" novalidate data-strength-url="/account/password/strength">
        <input type="hidden" name="csrf" value={v.page.csrf} />
        <input type="text" name="username" value={v.page.username} autocomplete="username" hidden readOnly />
        <PasswordInput page={v.page} id="current-password" name="current" label={t('changePassword.current')} autocomplete="current-password" error={v.errors.current} autofocus />
        <PasswordInput
          page={v.page}
          id="new-password"
          name="newPassword"
          label={t('changePassword.new')}
          autocomplete="new-password"
          error={v.errors.newPassword}
          describedBy="password-rules strength-text"
        />
        <p class="hint" id="password-rules">
          {t('changePassword.rules', { min: v.minLength })}
        </p>
        <div class="strength" id="strength" hidden>
          <span>{t('strength.label')}: </span>
          <meter id="strength-meter" min={0} max={4} low={2} high={3} optimum={4} value={0} aria-labelledby="strength-text" />
          <span id="strength-text" aria-live="polite" data-labels={JSON.stringify([0, 1, 2, 3, 4].map((n) => t(`strength.${n}` as 'strength.0')))} />
        </div>
        <PasswordInput page={v.page} id="confirm-password" name="confirm" label={t('changePassword.confirm')} autocomplete="new-password" error={v.errors.confirm} />
        <p class="hint">{t('account.password.effects')}</p>
        <button type="submit" class="primary">
          {t('changePassword.submit')}
        </button>
      </form>
    </AccountLayout>
  );
}
