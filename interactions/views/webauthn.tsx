import type { ComponentChildren } from 'preact';
import { Csrf } from './code-input.js';
import { ChooseOther } from './enrol.js';
import { FormError, Layout, type PageContext } from './layout.js';

/** The scripts a WebAuthn ceremony needs: the SimpleWebAuthn bundle, then ours. */
export const WEBAUTHN_SCRIPTS = ['/assets/simplewebauthn-browser.js', '/assets/webauthn.js'];

export interface CeremonyProps {
  page: PageContext;
  csrf: string;
  kind: 'register' | 'authenticate';
  /** POST here (with the CSRF token) returns the options JSON and stores its challenge */
  optionsUrl: string;
  /** the form posts the browser's answer here as `response` */
  action: string;
  button: string;
  id?: string;
  children?: ComponentChildren;
}

/**
 * A WebAuthn ceremony as a form: the button (shown by script only where the browser
 * has WebAuthn) fetches fresh options, runs the browser ceremony and posts its answer.
 * Cancel, timeout and missing support end in a message, never a dead end.
 */
export function WebAuthnCeremony(p: CeremonyProps) {
  const { t } = p.page;
  return (
    <form
      method="post"
      action={p.action}
      class="webauthn"
      id={p.id}
      data-webauthn={p.kind}
      data-options-url={p.optionsUrl}
      data-msg-working={t('webauthn.working')}
      data-msg-cancelled={t('webauthn.cancelled')}
      data-msg-unsupported={t('webauthn.unsupported')}
      data-msg-failed={t('webauthn.failed')}
      data-msg-duplicate={t('webauthn.error.duplicate')}
    >
      <Csrf token={p.csrf} />
      <input type="hidden" name="response" value="" />
      {p.children}
      <p class="form-error" role="alert" data-webauthn-error hidden />
      <p class="notice" role="status" data-webauthn-status hidden />
      <button type="button" class="primary" data-webauthn-start hidden>
        {p.button}
      </button>
      <noscript>
        <p class="form-error">{t('webauthn.noscript')}</p>
      </noscript>
    </form>
  );
}

export interface WebAuthnRegisterView {
  page: PageContext;
  csrf: string;
  title: string;
  lead: string;
  optionsUrl: string;
  action: string;
  error?: string | undefined;
  /** back to the list of methods (enrolment) */
  backAction?: string | undefined;
  /** decline the offer (seed 002) */
  skipAction?: string | undefined;
}

export function WebAuthnRegisterPage(v: WebAuthnRegisterView) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={v.title} scripts={WEBAUTHN_SCRIPTS}>
      <p class="lead">{v.lead}</p>
      <p>{t('webauthn.register.lead')}</p>
      <FormError message={v.error} />
      <WebAuthnCeremony page={v.page} csrf={v.csrf} kind="register" optionsUrl={v.optionsUrl} action={v.action} button={t('webauthn.register.start')} id="webauthn-register">
        <div class="field">
          <label for="label">{t('webauthn.register.label')}</label>
          <p class="hint" id="label-hint">
            {t('webauthn.register.labelHint')}
          </p>
          <input id="label" name="label" type="text" maxLength={100} placeholder={t('webauthn.register.labelDefault')} autocomplete="off" aria-describedby="label-hint" />
        </div>
      </WebAuthnCeremony>
      {v.backAction && <ChooseOther page={v.page} csrf={v.csrf} action={v.backAction} />}
      {v.skipAction && (
        <form method="post" action={v.skipAction} class="secondary-action">
          <Csrf token={v.csrf} />
          <button type="submit" class="link" id="webauthn-skip">
            {t('webauthn.offer.skip')}
          </button>
        </form>
      )}
    </Layout>
  );
}

/** A relying party asked for a phishing-resistant sign-in and the user has no key. */
export function PhrUnavailablePage(v: { page: PageContext; csrf: string; clientName: string; abortAction: string }) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('phr.title')}>
      <p class="lead" role="alert">
        {t('phr.lead', { client: v.clientName })}
      </p>
      <p>{t('phr.next')}</p>
      <form method="post" action={v.abortAction}>
        <Csrf token={v.csrf} />
        <button type="submit" class="primary" id="phr-back">
          {t('phr.back')}
        </button>
      </form>
    </Layout>
  );
}
