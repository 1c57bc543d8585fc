import type { ComponentChildren } from 'preact';
import { Csrf } from '../../../interactions/views/code-input.js';
import { Layout, type PageContext } from '../../../interactions/views/layout.js';
import type { MessageKey } from '../../i18n/index.js';

/** What every account page knows about the signed-in user. */
export interface AccountPageContext extends PageContext {
  csrf: string;
  username: string;
  orgCode: string;
  /** the section the page belongs to, marked in the navigation */
  section: 'profile' | 'password' | 'security' | 'sessions' | 'activity' | 'links';
}

const sections: { id: AccountPageContext['section']; href: string; key: MessageKey }[] = [
  { id: 'profile', href: '/account', key: 'account.nav.profile' },
  { id: 'password', href: '/account/password', key: 'account.nav.password' },
  { id: 'security', href: '/account/security', key: 'account.nav.security' },
  { id: 'sessions', href: '/account/sessions', key: 'account.nav.sessions' },
  { id: 'links', href: '/account/links', key: 'federation.account.nav' },
  { id: 'activity', href: '/account/activity', key: 'account.nav.activity' },
];

/**
 * The navigation of the signed-in pages (account and admin): their sections, the current
 * one marked, then "sign out" (which ends the account session and the IdP session).
 */
export function SectionNav<S extends string>(props: {
  page: PageContext & { csrf: string };
  label: string;
  class: string;
  sections: { id: S; href: string; key: MessageKey }[];
  current: S;
  children?: ComponentChildren;
}) {
  const { t } = props.page;
  return (
    <nav aria-label={props.label} class={props.class}>
      <ul>
        {props.sections.map((s) => (
          <li>
            <a href={s.href} aria-current={s.id === props.current ? 'page' : undefined}>
              {t(s.key)}
            </a>
          </li>
        ))}
        {props.children}
      </ul>
      <form method="post" action="/account/logout">
        <Csrf token={props.page.csrf} />
        <button type="submit" class="link" id="sign-out">
          {t('account.signOut')}
        </button>
      </form>
    </nav>
  );
}

/** The "done" notice of a signed-in page. */
export function Notice(props: { message?: string | undefined }) {
  if (!props.message) return null;
  return (
    <p class="notice" role="status" id="notice">
      {props.message}
    </p>
  );
}

export function AccountLayout(props: { page: AccountPageContext; title: string; children: ComponentChildren; scripts?: string[]; notice?: string | undefined }) {
  const { t } = props.page;
  return (
    <Layout page={props.page} title={props.title} scripts={props.scripts}>
      <p class="muted">{t('account.signedInAs', { username: props.page.username, org: props.page.orgCode })}</p>
      <SectionNav page={props.page} label={t('account.nav')} class="account-nav" sections={sections} current={props.page.section} />
      <Notice message={props.notice} />
      {props.children}
    </Layout>
  );
}
