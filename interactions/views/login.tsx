import { FederationButtons, type FederationView, LinkingNotice } from './federation.js';
import { FieldError, FormError, Layout, type PageContext, PasswordInput } from './layout.js';
import { WEBAUTHN_SCRIPTS, WebAuthnCeremony } from './webauthn.js';

export interface LoginView {
  page: PageContext;
  action: string;
  csrf: string;
  clientName: string;
  askOrg: boolean;
  values: { org?: string | undefined; username?: string | undefined };
  errors: { form?: string | undefined; org?: string | undefined; username?: string | undefined; password?: string | undefined };
  /** passwordless sign-in, where the organisation allows passkeys */
  passkey?: { optionsUrl: string; action: string } | undefined;
  federation?: FederationView | undefined;
}

export function LoginPage(v: LoginView) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('login.title')} scripts={['/assets/password.js', ...(v.passkey ? WEBAUTHN_SCRIPTS : [])]}>
      <p class="lead">{t('login.lead', { client: v.clientName })}</p>
      <LinkingNotice page={v.page} view={v.federation} />
      <FormError message={v.errors.form} />
      <form method="post" action={v.action} novalidate>
        <input type="hidden" name="csrf" value={v.csrf} />
        {v.askOrg && (
          <div class="field">
            <label for="org">{t('login.org')}</label>
            <input
              id="org"
              name="org"
              type="text"
              autocomplete="organization"
              autocapitalize="characters"
              spellcheck={false}
              required
              maxLength={64}
              value={v.values.org ?? ''}
              autofocus={!v.values.org}
              aria-invalid={v.errors.org ? 'true' : undefined}
              aria-describedby={v.errors.org ? 'org-error' : undefined}
            />
            <FieldError id="org-error" message={v.errors.org} />
          </div>
        )}
        <div class="field">
          <label for="username">{t('login.username')}</label>
          <input
            id="username"
            name="username"
            type="text"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            maxLength={128}
            value={v.values.username ?? ''}
            autofocus={!v.askOrg && !v.values.username}
            aria-invalid={v.errors.username ? 'true' : undefined}
            aria-describedby={v.errors.username ? 'username-error' : undefined}
          />
          <FieldError id="username-error" message={v.errors.username} />
        </div>
        <PasswordInput
          page={v.page}
          id="password"
          name="password"
          label={t('login.password')}
          autocomplete="current-password"
          error={v.errors.password}
          autofocus={Boolean(v.values.username)}
        />
        <button type="submit" class="primary">
          {t('login.submit')}
        </button>
      </form>
      <p class="secondary-action">
        <a href="/forgot-password" id="forgot-password">
          {t('recovery.forgotLink')}
        </a>
      </p>
      {v.passkey && (
        <section class="passkey" aria-label={t('webauthn.passkey.start')}>
          <p class="divider">{t('webauthn.passkey.or')}</p>
          <p class="hint">{t('webauthn.passkey.hint')}</p>
          <WebAuthnCeremony
            page={v.page}
            csrf={v.csrf}
            kind="authenticate"
            optionsUrl={v.passkey.optionsUrl}
            action={v.passkey.action}
            button={t('webauthn.passkey.start')}
            id="passkey-sign-in"
          />
        </section>
      )}
      <FederationButtons page={v.page} csrf={v.csrf} view={v.federation} />
    </Layout>
  );
}
