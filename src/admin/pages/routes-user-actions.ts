import type Router from '@koa/router';
import type { Context } from 'koa';
import { h } from 'preact';
import { z } from 'zod';
import { seeOther, sendPage } from '../../../interactions/respond.js';
import type { SignedInUser } from '../../account/self-session.js';
import { BadRequestError } from '../../errors.js';
import { byAdmin, removeLink } from '../../federation/links.js';
import type { User } from '../../model.js';
import { AdminError, AdminNotFoundError, SelfActionError } from '../errors.js';
import { emailField, idField } from '../schemas.js';
import { forcePasswordChange, resetUserMfa, setTwoFactorEmail, setUserDisabled, unlockUser } from '../users.js';
import { type AdminPagesDeps, adminActor, adminPage, adminPost, requireAdmin, requireAdminStepUp, userInPath } from './context.js';
import { showUser } from './routes-users.js';
import { ConfirmPage } from './views/confirm.js';

/** Actions without parameters: the CSRF token and nothing else. */
const plainForm = z.strictObject({ csrf: z.string() });
/** Destructive actions come from their confirmation page. */
const confirmedForm = z.strictObject({ csrf: z.string(), confirm: z.literal('yes') });
const emailForm = z.strictObject({ csrf: z.string(), email: z.string().max(1000) });

function parseForm<S extends z.ZodType>(schema: S, body: Record<string, string>, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new BadRequestError(what);
  return parsed.data;
}

/**
 * The user-detail actions. Every handler resolves the user within the administrator's
 * organisation first (another organisation's id is 404 before anything else happens),
 * then checks the form, then — for reset MFA and disable — the fresh second factor.
 */
export function registerUserActionRoutes(router: Router, deps: AdminPagesDeps): void {
  const { services } = deps;

  /** A confirmation page (GET) and its POST, both behind step-up. */
  type Run = (ctx: Context, target: User, who: SignedInUser) => Promise<unknown>;

  function destructive(action: 'disable' | 'reset-mfa', run: (ctx: Context, target: User, who: SignedInUser) => Promise<string>) {
    const key = action === 'disable' ? 'disable' : 'resetMfa';
    router.get(`/admin/users/:id/${action}`, async (ctx) => {
      const who = await requireAdmin(ctx);
      const target = await userInPath(ctx, services, who);
      if (action === 'disable' && target.id === who.user.id) throw new SelfActionError('disable');
      const path = `/admin/users/${target.id}/${action}`;
      await requireAdminStepUp(ctx, services, who, path);
      const page = adminPage(ctx, who, 'users', path);
      sendPage(
        ctx,
        200,
        h(ConfirmPage, {
          page,
          title: page.t(`admin.confirm.${key}.title`, { username: target.username }),
          lead: page.t(`admin.confirm.${key}.lead`, { username: target.username }),
          action: path,
          submit: page.t(`admin.confirm.${key}.submit`),
          back: `/admin/users/${target.id}`,
        }),
      );
    });
    router.post(`/admin/users/:id/${action}`, async (ctx) => {
      const { who, body } = await adminPost(ctx);
      const target = await userInPath(ctx, services, who);
      parseForm(confirmedForm, body, 'confirm the action on its confirmation page');
      await requireAdminStepUp(ctx, services, who, `/admin/users/${target.id}/${action}`);
      seeOther(ctx, `/admin/users/${target.id}?done=${await run(ctx, target, who)}`);
    });
  }

  destructive('disable', async (ctx, target, who) => {
    await setUserDisabled(services, target, true, adminActor(ctx, who));
    return 'disabled';
  });

  destructive('reset-mfa', async (ctx, target, who) => {
    await resetUserMfa(services, target, adminActor(ctx, who));
    return 'mfa-reset';
  });

  const simple: { path: string; done: string; run: Run }[] = [
    { path: 'enable', done: 'enabled', run: (ctx, target, who) => setUserDisabled(services, target, false, adminActor(ctx, who)) },
    { path: 'force-password-change', done: 'forced', run: (ctx, target, who) => forcePasswordChange(services, target, adminActor(ctx, who)) },
    { path: 'unlock', done: 'unlocked', run: (ctx, target, who) => unlockUser(services, who.org, target, adminActor(ctx, who)) },
  ];
  for (const a of simple) {
    router.post(`/admin/users/:id/${a.path}`, async (ctx) => {
      const { who, body } = await adminPost(ctx);
      const target = await userInPath(ctx, services, who);
      parseForm(plainForm, body, 'this form has no fields');
      await a.run(ctx, target, who);
      seeOther(ctx, `/admin/users/${target.id}?done=${a.done}`);
    });
  }

  // an external sign-in linked to the user (issue 7): the user can no longer sign in with it
  router.post('/admin/users/:id/links/:link/unlink', async (ctx) => {
    const { who, body } = await adminPost(ctx);
    const target = await userInPath(ctx, services, who);
    parseForm(plainForm, body, 'this form has no fields');
    const link = idField.safeParse(ctx.params.link);
    // removeLink matches the link to this user: another user's link is the same 404
    if (!link.success || !(await removeLink(services, target, link.data, byAdmin(adminActor(ctx, who))))) throw new AdminNotFoundError('link');
    seeOther(ctx, `/admin/users/${target.id}?done=unlinked`);
  });

  // seed 000: the administrator sets a user's 2FA address; the confirmation link goes to it
  router.post('/admin/users/:id/2fa-email', async (ctx) => {
    const { who, body } = await adminPost(ctx);
    const target = await userInPath(ctx, services, who);
    const form = parseForm(emailForm, body, 'the form has one field, email');
    const page = adminPage(ctx, who, 'users', `/admin/users/${target.id}`);
    const email = emailField.safeParse(form.email);
    if (!email.success) {
      return showUser(ctx, deps, who, target, 400, { emailValue: form.email.slice(0, 254), emailError: page.t('admin.user.emailInvalid') });
    }
    try {
      await setTwoFactorEmail(services, who.org, target, email.data, adminActor(ctx, who));
    } catch (err) {
      // too soon after the previous mail, or the mail server refused: nothing was changed
      if (err instanceof AdminError && (err.status === 429 || err.status === 503)) {
        return showUser(ctx, deps, who, target, err.status, { emailValue: email.data, emailError: page.t(err.messageKey, err.vars) });
      }
      throw err;
    }
    seeOther(ctx, `/admin/users/${target.id}?done=email-sent`);
  });
}
