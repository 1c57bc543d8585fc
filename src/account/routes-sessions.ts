import type Router from '@koa/router';
import { h } from 'preact';
import { z } from 'zod';
import { seeOther, sendPage } from '../../interactions/respond.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { type AccountDeps, accountPage, auditFrom, signedInPost } from './context.js';
import { requireSignedInUser } from './self-session.js';
import { createUserSessions } from './sessions.js';
import { ActivityPage, ACTIVITY_TYPES } from './views/activity.js';
import { SessionsPage } from './views/sessions.js';

const notices = { ended: 'account.notice.sessionEnded', endedAll: 'account.notice.sessionsEnded', forgot: 'account.notice.browserForgotten', forgotAll: 'account.notice.browsersForgotten' } as const;
const idField = z.string().min(1).max(64).regex(/^[\w-]+$/);

const dateFormat = (locale: string) => (ms: number) =>
  new Intl.DateTimeFormat(locale === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo' }).format(ms);

/** Sign-in sessions, remembered browsers and the account's recent security activity. */
export function registerSessionsRoutes(router: Router, deps: AccountDeps): void {
  const { services } = deps;
  const sessions = createUserSessions(services);

  router.get('/account/sessions', async (ctx) => {
    const who = await requireSignedInUser(ctx);
    const page = accountPage(ctx, who, 'sessions');
    const notice = notices[String(ctx.query.done) as keyof typeof notices];
    sendPage(
      ctx,
      200,
      h(SessionsPage, {
        page,
        sessions: await sessions.list(who.user.id),
        currentUid: who.sessionUid,
        browsers: await services.repos.rememberedBrowsers.listLive(who.user.id),
        notice: notice && page.t(notice),
        formatDate: dateFormat(page.locale),
      }),
    );
  });

  router.post('/account/sessions/revoke', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const uid = idField.safeParse(body.session);
    if (!uid.success) throw new BadRequestError('session must be a session id');
    if (!(await sessions.revoke(who.user.id, uid.data))) throw new NotFoundError();
    await services.audit.record({ type: 'session.revoked', ...auditFrom(ctx, who), details: { current: uid.data === who.sessionUid } });
    // ending the session in use signs the account out too
    seeOther(ctx, uid.data === who.sessionUid ? '/account/signed-out' : '/account/sessions?done=ended');
  });

  router.post('/account/sessions/revoke-all', async (ctx) => {
    const { who } = await signedInPost(ctx);
    const count = await sessions.revokeAll(who.user.id, who.sessionUid);
    await services.audit.record({ type: 'session.revoked', ...auditFrom(ctx, who), details: { all: true, count } });
    seeOther(ctx, '/account/sessions?done=endedAll');
  });

  router.post('/account/browsers/revoke', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const id = idField.safeParse(body.browser);
    if (!id.success) throw new BadRequestError('browser must be a remembered-browser id');
    if (!(await services.repos.rememberedBrowsers.revoke(who.user.id, id.data))) throw new NotFoundError();
    await services.audit.record({ type: 'browser.revoked', ...auditFrom(ctx, who), details: { browserId: id.data } });
    seeOther(ctx, '/account/sessions?done=forgot');
  });

  router.post('/account/browsers/revoke-all', async (ctx) => {
    const { who } = await signedInPost(ctx);
    const count = await services.remembered.revokeAll(who.user.id);
    await services.audit.record({ type: 'browser.revoked', ...auditFrom(ctx, who), details: { all: true, count } });
    seeOther(ctx, '/account/sessions?done=forgotAll');
  });

  router.get('/account/activity', async (ctx) => {
    const who = await requireSignedInUser(ctx);
    const page = accountPage(ctx, who, 'activity');
    const events = (await services.repos.audit.list({ userId: who.user.id, limit: 200 })).filter((e) => e.type in ACTIVITY_TYPES).slice(0, 50);
    sendPage(ctx, 200, h(ActivityPage, { page, events, formatDate: dateFormat(page.locale) }));
  });
}
