import { Csrf } from '../../../../interactions/views/code-input.js';
import { AdminLayout, type AdminPageContext } from './admin-layout.js';

/** "Really?": a destructive action is posted from this page only (confirm=yes). */
export function ConfirmPage(v: { page: AdminPageContext; title: string; lead: string; action: string; submit: string; back: string }) {
  const { t } = v.page;
  return (
    <AdminLayout page={v.page} title={v.title}>
      <p class="lead" id="confirm-lead">
        {v.lead}
      </p>
      <form method="post" action={v.action} class="actions">
        <Csrf token={v.page.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit" class="primary danger" id="confirm">
          {v.submit}
        </button>
        <a class="button secondary" href={v.back}>
          {t('admin.confirm.back')}
        </a>
      </form>
    </AdminLayout>
  );
}
