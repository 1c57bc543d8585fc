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

/** The script the print button needs (pages showing BackupCodeList load it). */
export const BACKUP_CODES_SCRIPTS = ['/assets/factors.js'];

/**
 * CONTRACT.md: fresh codes are <code> elements inside #backup-codes, with download and
 * print — at sign-in and on the account page alike.
 */
export function BackupCodeList(props: { page: PageContext; codes: string[]; downloadUrl: string }) {
  const { t } = props.page;
  return (
    <>
      <ol id="backup-codes" class="backup-codes">
        {props.codes.map((code) => (
          <li>
            <code>{formatBackupCode(code)}</code>
          </li>
        ))}
      </ol>
      <div class="inline-actions">
        <a class="button secondary" href={props.downloadUrl} download="backup-codes.txt">
          {t('backup.download')}
        </a>
        <button type="button" class="secondary" data-print hidden>
          {t('backup.print')}
        </button>
      </div>
    </>
  );
}

/** The downloadable text of a set of codes: a header naming the account, one code per line. */
export function backupCodesText(header: string, codes: string[]): string {
  return `${header}\r\n\r\n${codes.map(formatBackupCode).join('\r\n')}\r\n`;
}

export function BackupCodesPage(v: BackupCodesView) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('backup.title')} scripts={BACKUP_CODES_SCRIPTS}>
      <p class="lead">{t('backup.lead')}</p>
      <BackupCodeList page={v.page} codes={v.codes} downloadUrl={v.downloadUrl} />
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
