import { Layout, type PageContext } from './layout.js';

export interface ErrorView {
  page: PageContext;
  message: string;
  code: string;
  continueUrl?: string | undefined;
  startAgain: boolean;
}

export function ErrorPage(v: ErrorView) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('error.title')}>
      <p class="lead" role="alert">
        {v.message}
      </p>
      {v.continueUrl ? (
        <p>
          <a class="button primary" href={v.continueUrl}>
            {t('error.backToStep')}
          </a>
        </p>
      ) : (
        v.startAgain && <p>{t('error.startAgain')}</p>
      )}
      <p class="muted">
        {t('error.code')}: <code>{v.code}</code>
      </p>
    </Layout>
  );
}
