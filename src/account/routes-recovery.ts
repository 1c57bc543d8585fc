import type Router from '@koa/router';
import type { Context } from 'koa';
import { h } from 'preact';
import { z } from 'zod';
import { readForm } from '../../interactions/form-body.js';
import { pageContext } from '../../interactions/page-context.js';
import { sendPage } from '../../interactions/respond.js';
import { checkNewPassword } from '../auth/passwords.js';
import { createPasswordReset } from '../auth/password-reset.js';
import { BadRequestError, CsrfError } from '../errors.js';
import type { MessageKey } from '../i18n/index.js';
import { createAnonymousCsrf } from './anonymous-csrf.js';
import type { AccountDeps } from './context.js';
import { TooManyRequestsError } from './errors.js';
import { MessagePage } from './views/message.js';
import { ForgotPasswordPage, ResetPasswordPage } from './views/recovery.js';

const forgotForm = z.object({ org: z.string().max(1000), username: z.string().max(1000) });
const resetForm = z.object({ newPassword: z.string().max(1024), confirm: z.string().max(1024) });

/** "Forgot password": request a link (no enumeration, throttled), then set a new password. */
export function registerRecoveryRoutes(router: Router, deps: AccountDeps): void {
  const { services } = deps;
  const csrf = createAnonymousCsrf(services.config.secretKey, services.config.issuer.startsWith('https://'));
  const reset = createPasswordReset(services, services.logger);

  router.get('/forgot-password', (ctx) => {
    sendPage(ctx, 200, h(ForgotPasswordPage, { page: pageContext(ctx), csrf: csrf.issue(ctx), values: {} }));
  });

  router.post('/forgot-password', async (ctx) => {
    const body = await readForm(ctx);
    if (!csrf.verify(ctx, body.csrf)) throw new CsrfError();
    const form = forgotForm.safeParse(body);
    if (!form.success) throw new BadRequestError('org and username are required text fields');
    const page = pageContext(ctx, { returnPath: '/forgot-password' });
    const org = form.data.org.trim().slice(0, 64);
    const username = form.data.username.trim().slice(0, 128);
    if (!org || !username || form.data.org.length > 64 || form.data.username.length > 128) {
      return sendPage(ctx, 400, h(ForgotPasswordPage, { page, csrf: csrf.issue(ctx), values: { org, username }, error: page.t('recovery.forgot.invalid') }));
    }
    const until = await reset.lockedUntil(ctx.ip, org, username);
    if (until) {
      const seconds = Math.max(1, Math.ceil((until - Date.now()) / 1000));
      ctx.set('retry-after', String(seconds));
      throw new TooManyRequestsError(seconds);
    }
    await reset.request({ orgCode: org, username, ip: ctx.ip, userAgent: ctx.get('user-agent') || null, linkBase: `${services.config.issuer}/reset-password`, locale: page.locale });
    sendPage(ctx, 200, h(MessagePage, { page, title: page.t('recovery.forgot.sentTitle'), message: page.t('recovery.forgot.sent', { minutes: services.config.account.resetLinkMinutes }) }));
  });

  async function target(ctx: Context) {
    const found = await reset.check(String(ctx.params.token ?? ''));
    if (found) return found;
    const page = pageContext(ctx, { returnPath: '/forgot-password' });
    sendPage(ctx, 410, h(MessagePage, { page, title: page.t('recovery.reset.title'), message: page.t('recovery.reset.invalid'), link: { href: '/forgot-password', label: page.t('recovery.reset.again') } }));
    return undefined;
  }

  function showReset(ctx: Context, found: NonNullable<Awaited<ReturnType<typeof reset.check>>>, status: number, errors: { newPassword?: string; confirm?: string } = {}) {
    const page = pageContext(ctx, { saved: found.user.locale, returnPath: ctx.path });
    sendPage(
      ctx,
      status,
      h(ResetPasswordPage, { page, csrf: csrf.issue(ctx), action: ctx.path, username: found.user.username, orgCode: found.org.code, minLength: found.org.settings.passwordMinLength, errors }),
    );
  }

  router.get('/reset-password/:token', async (ctx) => {
    const found = await target(ctx);
    if (found) showReset(ctx, found, 200);
  });

  router.post('/reset-password/:token', async (ctx) => {
    const body = await readForm(ctx);
    if (!csrf.verify(ctx, body.csrf)) throw new CsrfError();
    const form = resetForm.safeParse(body);
    if (!form.success) throw new BadRequestError('newPassword and confirm are required text fields');
    const found = await target(ctx);
    if (!found) return;
    const { t, locale } = pageContext(ctx, { saved: found.user.locale });
    const { newPassword, confirm } = form.data;
    const inputs = [found.user.username, found.org.code, found.user.name ?? ''].filter(Boolean);
    const problem = checkNewPassword(newPassword, found.org.settings, inputs);
    if (problem) return showReset(ctx, found, 400, { newPassword: t(`password.${problem}` as MessageKey, { min: found.org.settings.passwordMinLength }) });
    if (newPassword !== confirm) return showReset(ctx, found, 400, { confirm: t('changePassword.mismatch') });
    const done = await reset.complete(found, await services.hasher.hash(newPassword), { ip: ctx.ip, userAgent: ctx.get('user-agent') || null });
    const page = pageContext(ctx, { saved: locale, returnPath: '/account' });
    if (!done.ok) {
      return sendPage(ctx, 410, h(MessagePage, { page, title: page.t('recovery.reset.title'), message: page.t('recovery.reset.invalid'), link: { href: '/forgot-password', label: page.t('recovery.reset.again') } }));
    }
    deps.selfSession.signOut(ctx);
    sendPage(
      ctx,
      200,
      h(MessagePage, { page, title: page.t('recovery.reset.doneTitle'), message: page.t(done.mfaReset ? 'recovery.reset.doneMfa' : 'recovery.reset.done'), link: { href: '/account', label: page.t('account.signInAgain') } }),
    );
  });
}
