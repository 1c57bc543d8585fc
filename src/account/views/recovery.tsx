import { FormError, Layout, type PageContext, PasswordInput } from '../../../interactions/views/layout.js';

export function ForgotPasswordPage(v: { page: PageContext; csrf: string; values: { org?: string; username?: string }; error?: string | undefined }) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('recovery.forgot.title')}>
      <p class="lead">{t('recovery.forgot.lead')}</p>
      <FormError message={v.error} />
      <form method="post" action="/forgot-password" novalidate>
        <input type="hidden" name="csrf" value={v.csrf} />
        <div class="field">
          <label for="org">{t('login.org')}</label>
          <input id="org" name="org" type="text" autocomplete="organization" autocapitalize="characters" spellcheck={false} required maxLength={64} value={v.values.org ?? ''} />
        </div>
        <div class="field">
          <label for="username">{t('login.username')}</label>
          <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck={false} required maxLength={128} value={v.values.username ?? ''} />
        </div>
        <button type="submit" class="primary">
          {t('recovery.forgot.submit')}
        </button>
      </form>
    </Layout>
  );
}

export function ResetPasswordPage(v: {
  page: PageContext;
  csrf: string;
  action: string;
  username: string;
  orgCode: string;
  minLength: number;
  errors: { newPassword?: string | undefined; confirm?: string | undefined };
}) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('recovery.reset.title')} scripts={['/assets/password.js']}>
      <p class="lead">{t('recovery.reset.lead', { username: v.username, org: v.orgCode })}</p>
      <form method="post" action={v.action} novalidate>
        <input type="hidden" name="csrf" value={v.csrf} />
        <input type="text" name="username" value={v.username} autocomplete="username" hidden readOnly />
        <PasswordInput page={v.page} id="new-password" name="newPassword" label={t('changePassword.new')} autocomplete="new-password" error={v.errors.newPassword} describedBy="password-rules" autofocus />
        <p class="hint" id="password-rules">
          {t('changePassword.rules', { min: v.minLength })}
        </p>
        <PasswordInput page={v.page} id="confirm-password" name="confirm" label={t('changePassword.confirm')} autocomplete="new-password" error={v.errors.confirm} />
        <button type="submit" class="primary">
          {t('recovery.reset.submit')}
        </button>
      </form>
    </Layout>
  );
}
