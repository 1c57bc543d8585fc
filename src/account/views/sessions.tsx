import { Csrf } from '../../../interactions/views/code-input.js';
import type { RememberedBrowser } from '../../db/remembered-browsers.js';
import type { UserSession } from '../sessions.js';
import { AccountLayout, type AccountPageContext } from './account-layout.js';

export interface SessionsView {
  page: AccountPageContext;
  sessions: UserSession[];
  currentUid: string;
  browsers: RememberedBrowser[];
  notice?: string | undefined;
  formatDate: (ms: number) => string;
}

export function SessionsPage(v: SessionsView) {
  const { t } = v.page;
  return (
    <AccountLayout page={v.page} title={t('account.sessions.title')} notice={v.notice}>
      <h2 id="sessions-heading">{t('account.sessions.sessions')}</h2>
      <ul class="items" id="sessions" aria-labelledby="sessions-heading">
        {v.sessions.map((s) => (
          <li data-session={s.uid}>
            <strong>{s.uid === v.currentUid ? t('account.sessions.current') : t('account.sessions.other')}</strong>
            <div class="muted">
              {s.loginAt ? t('account.sessions.signedIn', { date: v.formatDate(s.loginAt) }) : ''}
              {s.expiresAt ? ` · ${t('account.sessions.expires', { date: v.formatDate(s.expiresAt) })}` : ''}
            </div>
            <form method="post" action="/account/sessions/revoke" class="item-actions">
              <Csrf token={v.page.csrf} />
              <input type="hidden" name="session" value={s.uid} />
              <button type="submit" class="small danger">
                {t('account.sessions.end')}
              </button>
            </form>
          </li>
        ))}
      </ul>
      {v.sessions.length > 1 && (
        <form method="post" action="/account/sessions/revoke-all" class="secondary-action">
          <Csrf token={v.page.csrf} />
          <button type="submit" class="secondary" id="end-other-sessions">
            {t('account.sessions.endOthers')}
          </button>
        </form>
      )}
      <h2 id="browsers-heading">{t('account.browsers.title')}</h2>
      {v.browsers.length === 0 ? (
        <p id="no-browsers">{t('account.browsers.none')}</p>
      ) : (
        <>
          <ul class="items" id="browsers" aria-labelledby="browsers-heading">
            {v.browsers.map((b) => (
              <li data-browser={b.id}>
                <div>{b.userAgent ?? t('account.browsers.unknown')}</div>
                <div class="muted">
                  {t('account.browsers.until', { date: v.formatDate(b.expiresAt) })}
                  {b.lastUsedAt ? ` · ${t('account.security.lastUsed', { date: v.formatDate(b.lastUsedAt) })}` : ''}
                </div>
                <form method="post" action="/account/browsers/revoke" class="item-actions">
                  <Csrf token={v.page.csrf} />
                  <input type="hidden" name="browser" value={b.id} />
                  <button type="submit" class="small danger">
                    {t('account.browsers.forget')}
                  </button>
                </form>
              </li>
            ))}
          </ul>
          <form method="post" action="/account/browsers/revoke-all" class="secondary-action">
            <Csrf token={v.page.csrf} />
            <button type="submit" class="secondary" id="forget-all-browsers">
              {t('account.browsers.forgetAll')}
            </button>
          </form>
        </>
      )}
    </AccountLayout>
  );
}
