import { Csrf } from '../../../interactions/views/code-input.js';
import type { LinkView } from '../../federation/links.js';
import { AccountLayout, type AccountPageContext } from './account-layout.js';

export interface LinksView {
  page: AccountPageContext;
  links: LinkView[];
  notice?: string | undefined;
  formatDate: (ms: number) => string;
}

/** The external sign-in services linked to the account (issue 7), each removable. */
export function LinksPage(v: LinksView) {
  const { t } = v.page;
  return (
    <AccountLayout page={v.page} title={t('federation.account.title')} notice={v.notice}>
      <p>{t('federation.account.lead')}</p>
      {v.links.length ? (
        <ul class="items" id="links">
          {v.links.map((l) => (
            <li data-link={l.id}>
              <strong>{l.upstreamName}</strong>
              <div class="muted">
                {t('federation.account.linkedAt', { date: v.formatDate(l.createdAt) })}
                {l.lastUsedAt ? ` · ${t('federation.account.lastUsed', { date: v.formatDate(l.lastUsedAt) })}` : ''}
              </div>
              <form method="post" action="/account/links/remove" class="item-actions">
                <Csrf token={v.page.csrf} />
                <input type="hidden" name="link" value={l.id} />
                <button type="submit" class="small danger">
                  {t('federation.account.remove')}
                </button>
              </form>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted" id="no-links">
          {t('federation.account.none')}
        </p>
      )}
    </AccountLayout>
  );
}
