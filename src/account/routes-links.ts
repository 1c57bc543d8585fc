import type Router from '@koa/router';
import { h } from 'preact';
import { z } from 'zod';
import { seeOther, sendPage } from '../../interactions/respond.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { listLinks, removeLink } from '../federation/links.js';
import { type AccountDeps, accountPage, signedInPost } from './context.js';
import { requireSignedInUser } from './self-session.js';
import { LinksPage } from './views/links.js';

const idField = z.string().min(1).max(64).regex(/^[\w-]+$/);

const dateFormat = (locale: string) => (ms: number) =>
  new Intl.DateTimeFormat(locale === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo' }).format(ms);

/** The account's links to upstream providers: listed, and removed one by one (audited). */
export function registerLinksRoutes(router: Router, deps: AccountDeps): void {
  const { services } = deps;

  router.get('/account/links', async (ctx) => {
    const who = await requireSignedInUser(ctx);
    const page = accountPage(ctx, who, 'links');
    const notice = ctx.query.done === 'removed' ? page.t('federation.account.removed') : undefined;
    sendPage(ctx, 200, h(LinksPage, { page, links: await listLinks(services, who.user.id), notice, formatDate: dateFormat(page.locale) }));
  });

  router.post('/account/links/remove', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const id = idField.safeParse(body.link);
    if (!id.success) throw new BadRequestError('link must be a link id');
    // only the user's own links: another user's id is "not found"
    if (!(await removeLink(services, who.user, id.data, { by: 'user', ip: ctx.ip, userAgent: ctx.get('user-agent') || null }))) throw new NotFoundError();
    seeOther(ctx, '/account/links?done=removed');
  });
}
