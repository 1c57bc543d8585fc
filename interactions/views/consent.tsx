import { Layout, type PageContext } from './layout.js';
import type { MessageKey } from '../../src/i18n/index.js';

export interface ConsentView {
  page: PageContext;
  action: string;
  abortAction: string;
  csrf: string;
  clientName: string;
  scopes: string[];
}

const known = new Set(['openid', 'profile', 'email', 'offline_access']);

export function ConsentPage(v: ConsentView) {
  const { t } = v.page;
  return (
    <Layout page={v.page} title={t('consent.title')}>
      <p class="lead">{t('consent.lead', { client: v.clientName })}</p>
      <p>{t('consent.scopes')}</p>
      <ul class="scopes">
        {v.scopes.map((s) => (
          <li>{known.has(s) ? t(`consent.scope.${s}` as MessageKey) : s}</li>
        ))}
      </ul>
      <div class="actions">
        <form method="post" action={v.action}>
          <input type="hidden" name="csrf" value={v.csrf} />
          <button type="submit" class="primary">
            {t('consent.allow')}
          </button>
        </form>
        <form method="post" action={v.abortAction}>
          <input type="hidden" name="csrf" value={v.csrf} />
          <button type="submit" class="secondary">
            {t('consent.deny')}
          </button>
        </form>
      </div>
    </Layout>
  );
}
