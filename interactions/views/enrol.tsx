import type { ComponentChildren } from 'preact';
import type { MfaMethod } from '../../src/model.js';
import type { AuthenticatorApp } from '../../src/auth/factors/totp/totp.js';
import { CodeInput, Csrf } from './code-input.js';
import { FieldError, FormError, Layout, type PageContext } from './layout.js';

export interface EnrolChooseView {
  page: PageContext;
  csrf: string;
  action: string;
  methods: MfaMethod[];
  totpPeriod: number;
  error?: string | undefined;
}

export function EnrolChoosePage(v: EnrolChooseView) {
  const { t } = v.page;
  const hints: Partial<Record<MfaMethod, string>> = {
    totp: t('enrol.totp.hint', { period: v.totpPeriod }),
    email: t('enrol.email.hint'),
    webauthn: t('webauthn.enrol.hint'),
  };
  return (
    <Layout page={v.page} title={t('enrol.title')}>
      <p class="lead">{t('enrol.lead')}</p>
      <FormError message={v.error} />
      <ul class="methods">
        {v.methods.map((method) => (
          <li>
            <form method="post" action={v.action}>
              <Csrf token={v.csrf} />
              <input type="hidden" name="method" value={method} />
              <button type="submit" class="method" id={`enrol-${method}`}>
                <strong>{t(`mfa.methods.${method}`)}</strong>
                <span>{hints[method]}</span>
              </button>
            </form>
          </li>
        ))}
      </ul>
    </Layout>
  );
}

/** "Choose another method": back to the list, where the organisation allows several. */
export function ChooseOther(props: { page: PageContext; csrf: string; action: string }) {
  return (
    <form method="post" action={props.action} class="secondary-action">
      <Csrf token={props.csrf} />
      <button type="submit" class="link">
        {props.page.t('enrol.other')}
      </button>
    </form>
  );
}

export interface TotpSetupView {
  page: PageContext;
  csrf: string;
  action: string;
  backAction: string;
  qrSvg: string;
  uri: string;
  secret: string;
  period: number;
  digits: number;
  apps: readonly AuthenticatorApp[];
  error?: string | undefined;
  canChooseOther: boolean;
}

export function TotpSetupPage(v: TotpSetupView) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('totp.title')}>
      <p>{t('totp.step1')}</p>
      <details class="apps">
        <summary>{t('totp.getApps')}</summary>
        <ul>
          {v.apps.map((app) => (
            <li>
              <a href={app.url} rel="noopener noreferrer" target="_blank">
                {app.name}
              </a>{' '}
              <span class="muted">({app.platform})</span>
            </li>
          ))}
        </ul>
      </details>
      <p>{t('totp.step2')}</p>
      <figure class="qr" role="img" aria-label={t('totp.qrAlt')} dangerouslySetInnerHTML={{ __html: v.qrSvg }} />
      <p>
        <a id="otpauth-link" href={v.uri}>
          {t('totp.openApp')}
        </a>
      </p>
      <details class="secret">
        <summary>{t('totp.showSecret')}</summary>
        <p>{t('totp.secretHelp', { digits: v.digits, period: v.period })}</p>
        <p>
          <code id="totp-secret">{v.secret}</code>
        </p>
      </details>
      <form method="post" action={v.action} novalidate>
        <Csrf token={v.csrf} />
        <CodeInput label={t('totp.step3', { digits: v.digits })} digits={v.digits} error={v.error} hint={t('totp.clock')} />
        <div class="field">
          <label for="label">{t('totp.label')}</label>
          <input id="label" name="label" type="text" maxLength={100} placeholder={t('totp.labelDefault')} autocomplete="off" />
        </div>
        <button type="submit" class="primary">
          {t('totp.confirm')}
        </button>
      </form>
      {v.canChooseOther && <ChooseOther page={v.page} csrf={v.csrf} action={v.backAction} />}
    </Layout>
  );
}

export interface EmailSetupView {
  page: PageContext;
  csrf: string;
  sendAction: string;
  backAction: string;
  canChooseOther: boolean;
  values: { email?: string | undefined };
  errors: { form?: string | undefined; email?: string | undefined; emailConfirm?: string | undefined };
}

/** Seed 003: the address is typed twice. */
export function EmailSetupPage(v: EmailSetupView) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('email.title')}>
      <p class="lead">{t('email.lead')}</p>
      <FormError message={v.errors.form} />
      <form method="post" action={v.sendAction} novalidate>
        <Csrf token={v.csrf} />
        <div class="field">
          <label for="email">{t('email.address')}</label>
          <input id="email" name="email" type="email" autocomplete="email" required maxLength={254} value={v.values.email ?? ''} autofocus
            aria-invalid={v.errors.email ? 'true' : undefined} aria-describedby={v.errors.email ? 'email-error' : undefined} />
          <FieldError id="email-error" message={v.errors.email} />
        </div>
        <div class="field">
          <label for="email-confirm">{t('email.confirmAddress')}</label>
          <input id="email-confirm" name="emailConfirm" type="email" autocomplete="email" required maxLength={254}
            aria-invalid={v.errors.emailConfirm ? 'true' : undefined} aria-describedby={v.errors.emailConfirm ? 'email-confirm-error' : undefined} />
          <FieldError id="email-confirm-error" message={v.errors.emailConfirm} />
        </div>
        <button type="submit" class="primary">
          {t('email.send')}
        </button>
      </form>
      {v.canChooseOther && <ChooseOther page={v.page} csrf={v.csrf} action={v.backAction} />}
    </Layout>
  );
}

export interface EmailCodeView {
  page: PageContext;
  csrf: string;
  title: string;
  lead: string;
  action: string;
  resendAction: string;
  checkAction?: string | undefined;
  changeAction?: string | undefined;
  notice?: string | undefined;
  error?: string | undefined;
  linkSent: boolean;
  extra?: ComponentChildren;
}

export function EmailCodePage(v: EmailCodeView) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={v.title}>
      <p class="lead" role="status">
        {v.lead}
      </p>
      {v.linkSent && <p class="hint">{t('email.sentLink')}</p>}
      {v.notice && (
        <p class="notice" role="status">
          {v.notice}
        </p>
      )}
      <form method="post" action={v.action} novalidate>
        <Csrf token={v.csrf} />
        <CodeInput label={t('code.label')} digits={6} error={v.error} />
        {v.extra}
        <button type="submit" class="primary">
          {t('mfa.verify')}
        </button>
      </form>
      <div class="secondary-actions">
        <form method="post" action={v.resendAction}>
          <Csrf token={v.csrf} />
          <button type="submit" class="link">
            {t('email.resend')}
          </button>
        </form>
        {v.checkAction && (
          <form method="post" action={v.checkAction}>
            <Csrf token={v.csrf} />
            <button type="submit" class="link">
              {t('email.linkClicked')}
            </button>
          </form>
        )}
        {v.changeAction && (
          <form method="post" action={v.changeAction}>
            <Csrf token={v.csrf} />
            <button type="submit" class="link">
              {t('email.changeAddress')}
            </button>
          </form>
        )}
      </div>
    </Layout>
  );
}
