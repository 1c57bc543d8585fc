import { FormError } from '../../../interactions/views/layout.js';
import { WEBAUTHN_SCRIPTS, WebAuthnCeremony } from '../../../interactions/views/webauthn.js';
import { AccountLayout, type AccountPageContext } from './account-layout.js';

/** Register another security key or biometrics from the account pages. */
export function AccountWebAuthnPage(v: { page: AccountPageContext; error?: string | undefined }) {
  const { t } = v.page;
  return (
    <AccountLayout page={v.page} title={t('webauthn.register.title')} scripts={WEBAUTHN_SCRIPTS}>
      <p class="lead">{t('webauthn.enrol.hint')}</p>
      <p>{t('webauthn.register.lead')}</p>
      <FormError message={v.error} />
      <WebAuthnCeremony
        page={v.page}
        csrf={v.page.csrf}
        kind="register"
        optionsUrl="/account/factors/webauthn/options"
        action="/account/factors/webauthn"
        button={t('webauthn.register.start')}
        id="webauthn-register"
      >
        <div class="field">
          <label for="label">{t('webauthn.register.label')}</label>
          <p class="hint" id="label-hint">
            {t('webauthn.register.labelHint')}
          </p>
          <input id="label" name="label" type="text" maxLength={100} placeholder={t('webauthn.register.labelDefault')} autocomplete="off" aria-describedby="label-hint" />
        </div>
      </WebAuthnCeremony>
      <p>
        <a href="/account/security">{t('common.cancel')}</a>
      </p>
    </AccountLayout>
  );
}
