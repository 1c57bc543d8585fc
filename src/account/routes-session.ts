import type Router from '@koa/router';
import { h } from 'preact';
import { pageContext } from '../../interactions/page-context.js';
import { seeOther, sendPage } from '../../interactions/respond.js';
import { MessagePage } from './views/message.js';
import { readForm } from '../../interactions/form-body.js';
import { CsrfError } from '../errors.js';
import type { AccountDeps } from './context.js';
import { ACCOUNT_CLIENT_ID, ACCOUNT_SIGNED_OUT_PATH } from './internal-client.js';
import { checkAccountCsrf, safeReturnPath } from './self-session.js';

/** Signing in to and out of the account pages through the provider itself. */
export function registerSessionRoutes(router: Router, deps: AccountDeps): void {
  const { selfSession, services } = deps;

  router.get('/account/login', (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.redirect(selfSession.startSignIn(ctx, safeReturnPath(ctx.query.return)));
  });

  router.get('/account/callback', async (ctx) => {
    if (typeof ctx.query.error === 'string') {
      // cancelled on the sign-in page, or the sign-in ended (locked): say so, offer again
      const page = pageContext(ctx, { returnPath: '/account' });
      return sendPage(ctx, 400, h(MessagePage, { page, title: page.t('account.title'), message: page.t('account.signInCancelled'), link: { href: '/account/login', label: page.t('account.signInAgain') } }));
    }
    const returnTo = await selfSession.finishSignIn(ctx);
    seeOther(ctx, returnTo);
  });

  router.post('/account/logout', async (ctx) => {
    const body = await readForm(ctx);
    const who = await selfSession.current(ctx);
    if (who && !checkAccountCsrf(ctx, who, body.csrf)) throw new CsrfError();
    selfSession.signOut(ctx);
    // end the sign-in session too, through the provider's own logout confirmation
    const url = new URL(`${services.config.issuer}/session/end`);
    url.search = new URLSearchParams({ client_id: ACCOUNT_CLIENT_ID, post_logout_redirect_uri: `${services.config.issuer}${ACCOUNT_SIGNED_OUT_PATH}` }).toString();
    seeOther(ctx, url.toString());
  });

  router.get(ACCOUNT_SIGNED_OUT_PATH, (ctx) => {
    selfSession.signOut(ctx);
    const page = pageContext(ctx, { returnPath: ACCOUNT_SIGNED_OUT_PATH });
    sendPage(ctx, 200, h(MessagePage, { page, title: page.t('account.signedOutTitle'), message: page.t('account.signedOutLead'), link: { href: '/account/login', label: page.t('account.signInAgain') } }));
  });
}
