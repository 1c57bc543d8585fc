import { Layout, type PageContext } from './layout.js';

export function HomePage(v: { page: PageContext }) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('home.title')}>
      <p class="lead">{t('home.lead')}</p>
      <p class="muted">
        <a href="/.well-known/openid-configuration">{t('home.developers')}</a>
      </p>
    </Layout>
  );
}
