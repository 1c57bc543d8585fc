import { FormError, Layout, type PageContext, PasswordInput } from './layout.js';

export interface ChangePasswordView {
  page: PageContext;
  action: string;
  strengthUrl: string;
  csrf: string;
  firstLogin: boolean;
  minLength: number;
  username: string;
  errors: { form?: string | undefined; newPassword?: string | undefined; confirm?: string | undefined };
}

export function ChangePasswordPage(v: ChangePasswordView) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('changePassword.title')} scripts={['/assets/password.js']}>
      <p class="lead">{v.firstLogin ? t('changePassword.leadFirst') : t('changePassword.lead')}</p>
      <FormError message={v.errors.form} />
      <form method="post" action={v.action} novalidate data-strength-url={v.strengthUrl}>
        <input type="hidden" name="csrf" value={v.csrf} />
        {/* lets password managers file the new password under the right account */}
        <input type="text" name="username" value={v.username} autocomplete="username" hidden readOnly />
        <PasswordInput
          page={v.page}
          id="new-password"
          name="newPassword"
          label={t('changePassword.new')}
          autocomplete="new-password"
          error={v.errors.newPassword}
          describedBy="password-rules strength-text"
          autofocus
        />
        <p class="hint" id="password-rules">
          {t('changePassword.rules', { min: v.minLength })}
        </p>
        <div class="strength" id="strength" hidden>
          <span>{t('strength.label')}: </span>
          <meter id="strength-meter" min={0} max={4} low={2} high={3} optimum={4} value={0} aria-labelledby="strength-text" />
          <span id="strength-text" aria-live="polite"
            data-labels={JSON.stringify([0, 1, 2, 3, 4].map((n) => t(`strength.${n}` as 'strength.0')))}
          />
        </div>
        <PasswordInput
          page={v.page}
          id="confirm-password"
          name="confirm"
          label={t('changePassword.confirm')}
          autocomplete="new-password"
          error={v.errors.confirm}
        />
        <button type="submit" class="primary">
          {t('changePassword.submit')}
        </button>
      </form>
    </Layout>
  );
}
