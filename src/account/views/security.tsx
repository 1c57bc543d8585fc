import { BACKUP_CODES_SCRIPTS, BackupCodeList, backupCodesText } from '../../../interactions/views/backup-codes.js';
import { CodeInput, Csrf } from '../../../interactions/views/code-input.js';
import { FieldError, FormError } from '../../../interactions/views/layout.js';
import type { MfaMethod } from '../../model.js';
import type { AccountFactor } from '../factor-providers.js';
import { AccountLayout, type AccountPageContext } from './account-layout.js';

export interface SecurityView {
  page: AccountPageContext;
  factors: AccountFactor[];
  /** methods the organisation lets the user add */
  canAdd: MfaMethod[];
  hasEmail: boolean;
  backupUnused: number;
  mfaRequired: boolean;
  notice?: string | undefined;
  error?: string | undefined;
  /** a rename that failed: the factor and the message */
  renameError?: { id: string; message: string } | undefined;
  formatDate: (ms: number) => string;
}

export function SecurityPage(v: SecurityView) {
  const { t } = v.page;
  return (
    <AccountLayout page={v.page} title={t('account.security.title')} notice={v.notice}>
      <FormError message={v.error} />
      <p class="lead">{v.mfaRequired ? t('account.security.required') : t('account.security.lead')}</p>
      <h2 id="factors-heading">{t('account.security.factors')}</h2>
      {v.factors.length === 0 ? (
        <p id="no-factors">{t('account.security.none')}</p>
      ) : (
        <ul class="items" id="factors" aria-labelledby="factors-heading">
          {v.factors.map((f) => (
            <li data-factor={f.id} data-type={f.type}>
              <strong class="factor-label">{f.label}</strong> <span class="muted">— {t(`mfa.methods.${f.type}`)}</span>
              {f.detail && <div class="factor-detail">{f.detail}</div>}
              <div class="muted">
                {t('account.security.added', { date: v.formatDate(f.createdAt) })}
                {f.lastUsedAt ? ` · ${t('account.security.lastUsed', { date: v.formatDate(f.lastUsedAt) })}` : ''}
              </div>
              <div class="item-actions">
                <form method="post" action={`/account/factors/${f.type}/${encodeURIComponent(f.id)}/rename`}>
                  <Csrf token={v.page.csrf} />
                  <div>
                    <label for={`label-${f.id}`}>{t('account.security.label')}</label>
                    <input id={`label-${f.id}`} name="label" type="text" maxLength={100} required value={f.label} />
                    <FieldError id={`label-${f.id}-error`} message={v.renameError?.id === f.id ? v.renameError.message : undefined} />
                  </div>
                  <button type="submit" class="small">
                    {t('account.security.rename')}
                  </button>
                </form>
                {f.type === 'totp' && <a href={`/account/factors/totp/${encodeURIComponent(f.id)}/qr`}>{t('account.security.showQr')}</a>}
                <form method="post" action={`/account/factors/${f.type}/${encodeURIComponent(f.id)}/remove`}>
                  <Csrf token={v.page.csrf} />
                  <button type="submit" class="small danger">
                    {t('account.security.remove')}
                  </button>
                </form>
              </div>
            </li>
          ))}
        </ul>
      )}
      <div class="secondary-actions">
        {v.canAdd.includes('totp') && (
          <a class="button secondary" href="/account/factors/totp/new" id="add-totp">
            {t('account.security.addTotp')}
          </a>
        )}
        {v.canAdd.includes('webauthn') && (
          <a class="button secondary" href="/account/factors/webauthn/new" id="add-webauthn">
            {t('account.security.addWebauthn')}
          </a>
        )}
        {v.canAdd.includes('email') && (
          <a class="button secondary" href="/account/factors/email/new" id="add-email">
            {v.hasEmail ? t('account.security.changeEmail') : t('account.security.addEmail')}
          </a>
        )}
      </div>
      {v.hasEmail && (
        <form method="post" action="/account/test-mail" class="secondary-action">
          <Csrf token={v.page.csrf} />
          <button type="submit" class="link" id="test-mail">
            {t('account.security.testMail')}
          </button>
        </form>
      )}
      <h2>{t('account.security.backupCodes')}</h2>
      <p id="backup-count">{t('account.security.backupUnused', { n: v.backupUnused })}</p>
      <form method="post" action="/account/backup-codes">
        <Csrf token={v.page.csrf} />
        <button type="submit" class="secondary" id="new-backup-codes">
          {t('account.security.newBackupCodes')}
        </button>
      </form>
    </AccountLayout>
  );
}

/** Codes shown once: the download is the page's own data (nothing is kept to fetch later). */
export function NewBackupCodesPage(v: { page: AccountPageContext; codes: string[] }) {
  const { t } = v.page;
  const text = backupCodesText(t('backup.fileHeader', { account: `${v.page.orgCode} / ${v.page.username}` }), v.codes);
  return (
    <AccountLayout page={v.page} title={t('backup.title')} scripts={BACKUP_CODES_SCRIPTS}>
      <p class="lead">{t('account.backup.lead')}</p>
      <BackupCodeList page={v.page} codes={v.codes} downloadUrl={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`} />
      <p>
        <a class="button primary" href="/account/security">
          {t('backup.saved')}
        </a>
      </p>
    </AccountLayout>
  );
}

export function TotpSetupPage(v: {
  page: AccountPageContext;
  factorId: string;
  uri: string;
  qrSvg: string;
  secret: string;
  digits: number;
  label: string;
  error?: string | undefined;
}) {
  const { t } = v.page;
  return (
    <AccountLayout page={v.page} title={t('account.totp.title')}>
      <p class="lead">{t('account.totp.lead')}</p>
      <TotpDisplay page={v.page} uri={v.uri} qrSvg={v.qrSvg} secret={v.secret} />
      <form method="post" action="/account/factors/totp/confirm" novalidate>
        <Csrf token={v.page.csrf} />
        <input type="hidden" name="factorId" value={v.factorId} />
        <div class="field">
          <label for="label">{t('account.security.label')}</label>
          <input id="label" name="label" type="text" maxLength={100} value={v.label} />
        </div>
        <CodeInput label={t('mfa.totp.prompt', { digits: v.digits })} digits={v.digits} error={v.error} autofocus={false} />
        <button type="submit" class="primary">
          {t('totp.confirm')}
        </button>
      </form>
    </AccountLayout>
  );
}

export function TotpDisplay(v: { page: AccountPageContext; uri: string; qrSvg: string; secret: string }) {
  const { t } = v.page;
  return (
    <>
      {/* the SVG comes from the qrcode library, rendered on the server: no script, no external image */}
      <div class="qr" role="img" aria-label={t('totp.qrAlt')} dangerouslySetInnerHTML={{ __html: v.qrSvg }} />
      <p>
        <a href={v.uri} id="otpauth-link">
          {t('totp.openApp')}
        </a>
      </p>
      <details>
        <summary>{t('totp.showSecret')}</summary>
        <code id="totp-secret">{v.secret}</code>
      </details>
    </>
  );
}

export function RevealQrPage(v: { page: AccountPageContext; factorId: string; label: string; digits: number; error?: string | undefined; shown?: { uri: string; qrSvg: string; secret: string } | undefined }) {
  const { t } = v.page;
  return (
    <AccountLayout page={v.page} title={t('account.qr.title', { label: v.label })}>
      {v.shown ? (
        <>
          <p class="lead">{t('account.qr.shownLead')}</p>
          <TotpDisplay page={v.page} {...v.shown} />
          <p>
            <a href="/account/security">{t('account.backToSecurity')}</a>
          </p>
        </>
      ) : (
        <>
          <p class="lead">{t('account.qr.lead')}</p>
          <form method="post" action={`/account/factors/totp/${encodeURIComponent(v.factorId)}/qr`} novalidate>
            <Csrf token={v.page.csrf} />
            <CodeInput label={t('mfa.totp.prompt', { digits: v.digits })} digits={v.digits} error={v.error} />
            <button type="submit" class="primary">
              {t('account.qr.show')}
            </button>
          </form>
        </>
      )}
    </AccountLayout>
  );
}

export function EmailChangePage(v: {
  page: AccountPageContext;
  current?: string | undefined;
  values: { email?: string; confirm?: string };
  errors: { email?: string | undefined; confirm?: string | undefined; form?: string | undefined };
  sent?: { factorId: string; to: string; until: string } | undefined;
  codeError?: string | undefined;
}) {
  const { t } = v.page;
  return (
    <AccountLayout page={v.page} title={t('account.email.title')}>
      {v.current && <p>{t('account.email.current', { email: v.current })}</p>}
      <FormError message={v.errors.form} />
      {v.sent ? (
        <>
          <p role="status" id="sent">
            {t('email.sentTo', { email: v.sent.to, time: v.sent.until })} {t('account.email.linkToo')}
          </p>
          <form method="post" action="/account/factors/email/confirm" novalidate>
            <Csrf token={v.page.csrf} />
            <input type="hidden" name="factorId" value={v.sent.factorId} />
            <CodeInput label={t('code.label')} digits={6} error={v.codeError} />
            <button type="submit" class="primary">
              {t('totp.confirm')}
            </button>
          </form>
        </>
      ) : (
        <form method="post" action="/account/factors/email" novalidate>
          <Csrf token={v.page.csrf} />
          <p class="lead">{t('account.email.lead')}</p>
          <div class="field">
            <label for="email">{t('email.address')}</label>
            <input id="email" name="email" type="email" autocomplete="email" maxLength={254} required value={v.values.email ?? ''} aria-invalid={v.errors.email ? 'true' : undefined} />
            <FieldError id="email-error" message={v.errors.email} />
          </div>
          <div class="field">
            <label for="confirm">{t('email.confirmAddress')}</label>
            <input id="confirm" name="confirm" type="email" autocomplete="email" maxLength={254} required value={v.values.confirm ?? ''} aria-invalid={v.errors.confirm ? 'true' : undefined} />
            <FieldError id="confirm-error" message={v.errors.confirm} />
          </div>
          <button type="submit" class="primary">
            {t('email.send')}
          </button>
        </form>
      )}
    </AccountLayout>
  );
}
