import { formatBackupCode } from '../../src/auth/factors/backup-codes/backup-codes.js';
import { Csrf } from './code-input.js';
import { FieldError, Layout, type PageContext } from './layout.js';

export interface BackupCodesView {
  page: PageContext;
  csrf: string;
  action: string;
  downloadUrl: string;
  codes: string[];
  error?: string | undefined;
}

/** CONTRACT.md: fresh codes are <code> elements inside #backup-codes, with download and print. */
export function BackupCodesPage(v: BackupCodesView) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('backup.title')} scripts={['/assets/factors.js']}>
      <p class="lead">{t('backup.lead')}</p>
      <ol id="backup-codes" class="backup-codes">
        {v.codes.map((code) => (
          <li>
            <code>{formatBackupCode(code)}</code>
          </li>
        ))}
      </ol>
      <div class="inline-actions">
        <a class="button secondary" href={v.downloadUrl} download="backup-codes.txt">
          {t('backup.download')}
        </a>
        <button type="button" class="secondary" data-print hidden>
          {t('backup.print')}
        </button>
      </div>
      <form method="post" action={v.action} novalidate>
        <Csrf token={v.csrf} />
        <div class="field checkbox">
          <input type="checkbox" id="saved" name="saved" value="yes" required aria-describedby={v.error ? 'saved-error' : undefined} />
          <label for="saved">{t('backup.saved')}</label>
          <FieldError id="saved-error" message={v.error} />
        </div>
        <button type="submit" class="primary">
          {t('backup.ack')}
        </button>
      </form>
    </Layout>
  );
}
