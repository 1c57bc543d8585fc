import { CodeInput, Csrf } from '../../../interactions/views/code-input.js';
import { FormError } from '../../../interactions/views/layout.js';
import type { ChallengeMethod } from '../../../interactions/views/mfa.js';
import { WEBAUTHN_SCRIPTS, WebAuthnCeremony } from '../../../interactions/views/webauthn.js';
import { AccountLayout, type AccountPageContext } from './account-layout.js';

export interface StepUpView {
  page: AccountPageContext;
  returnTo: string;
  method: ChallengeMethod;
  others: ChallengeMethod[];
  totpDigits: number;
  email?: string | undefined;
  emailSent?: string | undefined;
  error?: string | undefined;
}

/** "Confirm it is you": a current second factor before a sensitive change. */
export function StepUpPage(v: StepUpView) {
  const { t } = v.page;
  const back = encodeURIComponent(v.returnTo);
  const codeForm = (label: string, digits: number) => (
    <form method="post" action="/account/verify" novalidate>
      <Csrf token={v.page.csrf} />
      <input type="hidden" name="method" value={v.method} />
      <input type="hidden" name="return" value={v.returnTo} />
      <CodeInput label={label} digits={digits} error={v.error} />
      <button type="submit" class="primary">
        {t('mfa.verify')}
      </button>
    </form>
  );
  return (
    <AccountLayout page={v.page} title={t('account.stepUp.title')} scripts={v.method === 'webauthn' ? WEBAUTHN_SCRIPTS : []}>
      <p class="lead">{t('account.stepUp.lead')}</p>
      <h2>{t(`mfa.methods.${v.method}`)}</h2>
      {v.method === 'totp' && codeForm(t('mfa.totp.prompt', { digits: v.totpDigits }), v.totpDigits)}
      {v.method === 'backup' && codeForm(t('mfa.backup.prompt'), 8)}
      {v.method === 'webauthn' && (
        <>
          <p>{t('webauthn.authenticate.lead')}</p>
          <FormError message={v.error} />
          <WebAuthnCeremony
            page={v.page}
            csrf={v.page.csrf}
            kind="authenticate"
            optionsUrl="/account/verify/webauthn-options"
            action="/account/verify/webauthn"
            button={t('webauthn.authenticate.start')}
            id="webauthn-authenticate"
          >
            <input type="hidden" name="return" value={v.returnTo} />
          </WebAuthnCeremony>
        </>
      )}
      {v.method === 'email' &&
        (v.emailSent ? (
          <>
            <p role="status">{t('email.sentTo', { email: v.email ?? '', time: v.emailSent })}</p>
            {codeForm(t('code.label'), 6)}
          </>
        ) : (
          <>
            <FormError message={v.error} />
            <p>{t('mfa.email.prompt', { email: v.email ?? '' })}</p>
            <form method="post" action="/account/verify/send">
              <Csrf token={v.page.csrf} />
              <input type="hidden" name="return" value={v.returnTo} />
              <button type="submit" class="primary">
                {t('mfa.email.send')}
              </button>
            </form>
          </>
        ))}
      {v.others.length > 0 && (
        <section aria-labelledby="other-methods">
          <h2 id="other-methods">{t('mfa.choose')}</h2>
          <ul>
            {v.others.map((m) => (
              <li>
                <a href={`/account/verify?method=${m}&return=${back}`} id={`use-${m}`}>
                  {t(`mfa.methods.${m}`)}
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </AccountLayout>
  );
}
