import type { PageContext } from '../../../interactions/views/layout.js';

/**
 * "Can't sign in?" on the second-step page (seed 001): a backup code (which, where the
 * organisation asks, resets the factors and leads to set-up again), else the
 * administrator's reset; and the way to a forgotten password.
 */
export function CantSignIn(props: { page: PageContext; backupAvailable: boolean; reenrolAfterBackup: boolean }) {
  const { t } = props.page;
  return (
    <details id="cant-sign-in" class="secondary-action">
      <summary>{t('recovery.mfa.title')}</summary>
      <p>{t('recovery.mfa.lead')}</p>
      <ul>
        {props.backupAvailable && <li>{t('recovery.mfa.backup')}</li>}
        {props.backupAvailable && props.reenrolAfterBackup && <li>{t('recovery.mfa.backupReenrol')}</li>}
        <li>{t('recovery.mfa.admin')}</li>
        <li>
          <a href="/forgot-password">{t('recovery.mfa.password')}</a>
        </li>
      </ul>
    </details>
  );
}
