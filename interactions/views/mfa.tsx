import type { MfaMethod } from '../../src/model.js';
import { CantSignIn } from '../../src/account/views/cant-sign-in.js';
import { CodeInput, Csrf } from './code-input.js';
import { Layout, type PageContext } from './layout.js';
import { WEBAUTHN_SCRIPTS, WebAuthnCeremony } from './webauthn.js';

export type ChallengeMethod = MfaMethod | 'backup';

export interface MfaView {
  page: PageContext;
  csrf: string;
  action: string;
  switchAction: string;
  sendEmailAction: string;
  webauthnOptionsUrl: string;
  webauthnAction: string;
  /** show the seed-002 box "register biometrics or a FIDO2 key at my next sign-in" */
  offerWebauthn: boolean;
  method: ChallengeMethod;
  others: ChallengeMethod[];
  totpDigits: number;
  email?: string | undefined;
  emailSent?: { to: string; until: string } | undefined;
  rememberHours: number;
  error?: string | undefined;
  notice?: string | undefined;
  attemptsLeft?: number | undefined;
  /** the organisation resets the factors after a backup code (reenrolAfterBackupCode) */
  reenrolAfterBackup?: boolean | undefined;
}

function OfferWebauthnBox(props: { page: PageContext; show: boolean }) {
  if (!props.show) return null;
  return (
    <div class="field checkbox">
      <input type="checkbox" id="offerWebauthn" name="offerWebauthn" value="yes" />
      <label for="offerWebauthn">{props.page.t('webauthn.offerNext')}</label>
    </div>
  );
}

function RememberBox(props: { page: PageContext; hours: number }) {
  if (props.hours <= 0) return null;
  return (
    <div class="field checkbox">
      <input type="checkbox" id="remember" name="remember" value="yes" />
      <label for="remember">{props.page.t('mfa.remember', { hours: props.hours })}</label>
    </div>
  );
}

export function MfaPage(v: MfaView) {
  const { t } = v.page;
  const error = v.error && v.attemptsLeft !== undefined ? `${v.error} ${t('code.attemptsLeft', { n: v.attemptsLeft })}` : v.error;
  const codeForm = (label: string, digits: number) => (
    <form method="post" action={v.action} novalidate>
      <Csrf token={v.csrf} />
      <input type="hidden" name="method" value={v.method} />
      <CodeInput label={label} digits={digits} error={error} />
      <RememberBox page={v.page} hours={v.rememberHours} />
      <OfferWebauthnBox page={v.page} show={v.offerWebauthn} />
      <button type="submit" class="primary">
        {t('mfa.verify')}
      </button>
    </form>
  );
  return (
    <Layout page={v.page} title={t('mfa.title')} scripts={v.method === 'webauthn' ? WEBAUTHN_SCRIPTS : []}>
      <p class="lead">{t('mfa.lead')}</p>
      {v.notice && (
        <p class="notice" role="status">
          {v.notice}
        </p>
      )}
      <h2>{t(`mfa.methods.${v.method}`)}</h2>
      {v.method === 'totp' && codeForm(t('mfa.totp.prompt', { digits: v.totpDigits }), v.totpDigits)}
      {v.method === 'backup' && codeForm(t('mfa.backup.prompt'), 8)}
      {v.method === 'webauthn' && (
        <>
          <p>{t('webauthn.authenticate.lead')}</p>
          {error && (
            <p class="form-error" role="alert" id="webauthn-result">
              {error}
            </p>
          )}
          <WebAuthnCeremony
            page={v.page}
            csrf={v.csrf}
            kind="authenticate"
            optionsUrl={v.webauthnOptionsUrl}
            action={v.webauthnAction}
            button={t('webauthn.authenticate.start')}
            id="webauthn-authenticate"
          >
            <RememberBox page={v.page} hours={v.rememberHours} />
          </WebAuthnCeremony>
        </>
      )}
      {v.method === 'email' &&
        (v.emailSent ? (
          <>
            <p role="status">{t('email.sentTo', { email: v.emailSent.to, time: v.emailSent.until })}</p>
            {codeForm(t('code.label'), 6)}
            <form method="post" action={v.sendEmailAction} class="secondary-action">
              <Csrf token={v.csrf} />
              <button type="submit" class="link">
                {t('email.resend')}
              </button>
            </form>
          </>
        ) : (
          <>
            {error && (
              <p class="form-error" role="alert">
                {error}
              </p>
            )}
            <p>{t('mfa.email.prompt', { email: v.email ?? '' })}</p>
            <form method="post" action={v.sendEmailAction}>
              <Csrf token={v.csrf} />
              <button type="submit" class="primary">
                {t('mfa.email.send')}
              </button>
            </form>
          </>
        ))}
      {v.others.length > 0 && (
        <section class="other-methods" aria-labelledby="other-methods">
          <h2 id="other-methods">{t('mfa.choose')}</h2>
          <ul>
            {v.others.map((m) => (
              <li>
                <form method="post" action={v.switchAction}>
                  <Csrf token={v.csrf} />
                  <input type="hidden" name="method" value={m} />
                  <button type="submit" class="link" id={`use-${m}`}>
                    {t(`mfa.methods.${m}`)}
                  </button>
                </form>
              </li>
            ))}
          </ul>
        </section>
      )}
      <CantSignIn page={v.page} backupAvailable={v.method === 'backup' || v.others.includes('backup')} reenrolAfterBackup={Boolean(v.reenrolAfterBackup)} />
    </Layout>
  );
}

/** A plain page with a message and one form button (locked sign-in, backup code used). */
export function NoticePage(v: { page: PageContext; title: string; message: string; detail?: string | undefined; csrf?: string; action?: string; button?: string }) {
  return (
    <Layout page={v.page} title={v.title}>
      <p class="lead" role="status">
        {v.message}
      </p>
      {v.detail && <p>{v.detail}</p>}
      {v.action && v.csrf && (
        <form method="post" action={v.action}>
          <Csrf token={v.csrf} />
          <button type="submit" class="primary">
            {v.button}
          </button>
        </form>
      )}
    </Layout>
  );
}
