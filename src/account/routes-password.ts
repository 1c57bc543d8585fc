import type Router from '@koa/router';
import type { Context } from 'koa';
import { h } from 'preact';
import { z } from 'zod';
import { seeOther, sendJson, sendPage } from '../../interactions/respond.js';
import { checkNewPassword, passwordScore } from '../auth/passwords.js';
import { accountKey } from '../auth/throttle.js';
import { BadRequestError } from '../errors.js';
import { formatTime, type MessageKey } from '../i18n/index.js';
import { usernameKey } from '../model.js';
import { type AccountDeps, accountPage, auditFrom, signedInPost } from './context.js';
import { type SignedInUser, requireSignedInUser } from './self-session.js';
import { createUserSessions } from './sessions.js';
import { ensureStepUp } from './step-up.js';
import { type AccountPasswordView, AccountPasswordPage } from './views/password.js';

const passwordForm = z.object({ current: z.string().max(1024), newPassword: z.string().max(1024), confirm: z.string().max(1024) });

const userInputs = (who: SignedInUser) => [who.user.username, who.org.code, who.user.name ?? ''].filter(Boolean);

export function registerPasswordRoutes(router: Router, deps: AccountDeps): void {
  const { services } = deps;
  const sessions = createUserSessions(services);

  function show(ctx: Context, who: SignedInUser, status: number, errors: AccountPasswordView['errors'] = {}, notice?: string) {
    sendPage(ctx, status, h(AccountPasswordPage, { page: accountPage(ctx, who, 'password'), minLength: who.org.settings.passwordMinLength, errors, notice }));
  }

  router.get('/account/password', async (ctx) => {
    const who = await requireSignedInUser(ctx);
    await ensureStepUp(ctx, deps, who, '/account/password');
    const page = accountPage(ctx, who, 'password');
    show(ctx, who, 200, {}, ctx.query.done === '1' ? page.t('account.password.changed') : undefined);
  });

  router.post('/account/password/strength', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const password = typeof body.password === 'string' ? body.password.slice(0, 256) : '';
    sendJson(ctx, { score: password ? passwordScore(password, userInputs(who)) : 0 });
  });

  router.post('/account/password', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const parsed = passwordForm.safeParse(body);
    if (!parsed.success) throw new BadRequestError('current, newPassword and confirm are required text fields');
    await ensureStepUp(ctx, deps, who, '/account/password');
    const { current, newPassword, confirm } = parsed.data;
    const { t, locale } = accountPage(ctx, who, 'password');

    // the current password is guessed through a stolen session no faster than at sign-in
    const key = accountKey(who.org.code, usernameKey(who.user.username));
    const until = await services.throttle.lockedUntil([key]);
    if (until) return show(ctx, who, 429, { form: t('login.locked', { time: formatTime(until, locale) }) });
    if (!current || current.length > 256 || !(await services.hasher.verify(who.user.passwordHash, current))) {
      await services.throttle.fail([key]);
      await services.audit.record({ type: 'password.change_failed', ...auditFrom(ctx, who), details: { reason: 'wrong_current' } });
      return show(ctx, who, 400, { current: t('changePassword.wrongCurrent') });
    }
    const problem = checkNewPassword(newPassword, who.org.settings, userInputs(who));
    if (problem) return show(ctx, who, 400, { newPassword: t(`password.${problem}` as MessageKey, { min: who.org.settings.passwordMinLength }) });
    if (newPassword !== confirm) return show(ctx, who, 400, { confirm: t('changePassword.mismatch') });
    if (newPassword === current) return show(ctx, who, 400, { newPassword: t('changePassword.sameAsOld') });

    await services.repos.users.setPassword(who.user.id, await services.hasher.hash(newPassword), false);
    await services.throttle.succeed(key);
    // a new password forgets the browsers that skipped the second step and ends the
    // other sign-in sessions; this one stays
    const browsers = await services.remembered.revokeAll(who.user.id);
    const ended = await sessions.revokeAll(who.user.id, who.sessionUid);
    await services.audit.record({ type: 'password.changed', ...auditFrom(ctx, who), details: { by: 'account', browsersRevoked: browsers, sessionsEnded: ended } });
    seeOther(ctx, '/account/password?done=1');
  });
}
