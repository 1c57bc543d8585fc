import { Layout, type PageContext } from './layout.js';

export function LogoutPage(v: { page: PageContext; clientName?: string | undefined; formHtml: string; formId: string }) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('logout.title')}>
      <p class="lead">{v.clientName ? t('logout.lead', { client: v.clientName }) : t('logout.leadNoClient')}</p>
      {/* oidc-provider's own form carries its xsrf token; our buttons submit it */}
      <div dangerouslySetInnerHTML={{ __html: v.formHtml }} />
      <div class="actions">
        <button type="submit" class="primary" form={v.formId} name="logout" value="yes">
          {t('logout.yes')}
        </button>
        <button type="submit" class="secondary" form={v.formId}>
          {t('logout.no')}
        </button>
      </div>
    </Layout>
  );
}

export function LoggedOutPage(v: { page: PageContext }) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('loggedOut.title')}>
      <p class="lead">{t('loggedOut.lead')}</p>
    </Layout>
  );
}
