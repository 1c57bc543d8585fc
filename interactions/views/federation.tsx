import { Csrf } from './code-input.js';
import type { PageContext } from './layout.js';

/** Sign-in page additions for upstream providers (issue 7). */
export interface FederationView {
  /** POST target that sends the browser to an upstream */
  action: string;
  buttons: { id: string; label: string }[];
  /** signed in upstream, not linked yet: the password form links the account */
  linking?: { upstream: string; cancelAction: string } | undefined;
}

/** Shown above the password form while a link waits for the local account. */
export function LinkingNotice(props: { page: PageContext; view?: FederationView | undefined }) {
  const linking = props.view?.linking;
  if (!linking) return null;
  return (
    <p class="notice" id="federation-linking" role="status">
      {props.page.t('federation.linkLead', { upstream: linking.upstream })}
    </p>
  );
}

/** One button per upstream offered to this client, below the password form. */
export function FederationButtons(props: { page: PageContext; csrf: string; view?: FederationView | undefined }) {
  const { t } = props.page;
  const v = props.view;
  if (!v) return null;
  if (v.linking) {
    return (
      <form method="post" action={v.linking.cancelAction} class="secondary-action">
        <Csrf token={props.csrf} />
        <button type="submit" class="link">
          {t('federation.linkCancel')}
        </button>
      </form>
    );
  }
  if (!v.buttons.length) return null;
  return (
    <section class="secondary-actions" aria-label={t('federation.buttonsLabel')} id="federation">
      <p class="muted">{t('federation.or')}</p>
      {v.buttons.map((b) => (
        <form method="post" action={v.action}>
          <Csrf token={props.csrf} />
          <input type="hidden" name="upstream" value={b.id} />
          <button type="submit" class="secondary">
            {b.label}
          </button>
        </form>
      ))}
    </section>
  );
}
