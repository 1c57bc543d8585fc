import type { StoredAuditEvent } from '../../db/audit.js';
import type { MessageKey } from '../../i18n/index.js';
import { AccountLayout, type AccountPageContext } from './account-layout.js';

/** Audit event types a user is shown, with their wording; others are not listed. */
export const ACTIVITY_TYPES: Record<string, MessageKey> = {
  'login.succeeded': 'account.activity.login.succeeded',
  'login.failed': 'account.activity.login.failed',
  'login.locked': 'account.activity.login.locked',
  'login.refused_locked': 'account.activity.login.locked',
  'mfa.failed': 'account.activity.mfa.failed',
  'mfa.locked': 'account.activity.mfa.locked',
  'mfa.factor_added': 'account.activity.mfa.factor_added',
  'mfa.factor_removed': 'account.activity.mfa.factor_removed',
  'mfa.factor_renamed': 'account.activity.mfa.factor_renamed',
  'mfa.backup_codes_issued': 'account.activity.mfa.backup_codes_issued',
  'mfa.backup_code_used': 'account.activity.mfa.backup_code_used',
  'mfa.reset': 'account.activity.mfa.reset',
  'mfa.test_mail_sent': 'account.activity.mfa.test_mail_sent',
  'password.changed': 'account.activity.password.changed',
  'password.reset': 'account.activity.password.reset',
  'password.reset_requested': 'account.activity.password.reset_requested',
  'session.revoked': 'account.activity.session.revoked',
  'browser.revoked': 'account.activity.browser.revoked',
};

export function ActivityPage(v: { page: AccountPageContext; events: StoredAuditEvent[]; formatDate: (ms: number) => string }) {
  const { t } = v.page;
  return (
    <AccountLayout page={v.page} title={t('account.activity.title')}>
      <p class="lead">{t('account.activity.lead')}</p>
      {v.events.length === 0 ? (
        <p>{t('account.activity.none')}</p>
      ) : (
        <table class="activity" id="activity">
          <thead>
            <tr>
              <th scope="col">{t('account.activity.when')}</th>
              <th scope="col">{t('account.activity.what')}</th>
              <th scope="col">{t('account.activity.where')}</th>
            </tr>
          </thead>
          <tbody>
            {v.events.map((e) => (
              <tr data-type={e.type}>
                <td>{v.formatDate(e.at)}</td>
                <td>{t(ACTIVITY_TYPES[e.type]!)}</td>
                <td>{e.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AccountLayout>
  );
}
