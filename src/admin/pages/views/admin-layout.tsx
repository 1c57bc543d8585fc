import type { ComponentChildren } from 'preact';
import { Notice, SectionNav } from '../../../account/views/account-layout.js';
import { Layout, type PageContext } from '../../../../interactions/views/layout.js';
import type { MessageKey } from '../../../i18n/index.js';

export type AdminSection = 'users' | 'audit' | 'policy';

/** What every admin page knows about the signed-in administrator. */
export interface AdminPageContext extends PageContext {
  csrf: string;
  username: string;
  orgCode: string;
  orgName: string;
  section: AdminSection;
}

const sections: { id: AdminSection; href: string; key: MessageKey }[] = [
  { id: 'users', href: '/admin/users', key: 'admin.nav.users' },
  { id: 'audit', href: '/admin/audit', key: 'admin.nav.audit' },
  { id: 'policy', href: '/admin/policy', key: 'admin.nav.policy' },
];

/** The account pages' chrome with the administration sections; wider, for tables. */
export function AdminLayout(props: { page: AdminPageContext; title: string; children: ComponentChildren; notice?: string | undefined; error?: string | undefined }) {
  const { t } = props.page;
  return (
    <Layout page={props.page} title={props.title}>
      <p class="muted admin-org">{t('admin.orgLine', { name: props.page.orgName, code: props.page.orgCode, username: props.page.username })}</p>
      <SectionNav page={props.page} label={t('admin.nav')} class="account-nav admin-nav" sections={sections} current={props.page.section}>
        <li>
          <a href="/account">{t('admin.nav.account')}</a>
        </li>
      </SectionNav>
      <Notice message={props.notice} />
      {props.error && (
        <div class="form-error" role="alert" id="form-error">
          {props.error}
        </div>
      )}
      {props.children}
    </Layout>
  );
}
