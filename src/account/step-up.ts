import type Router from '@koa/router';
import type { Context } from 'koa';
import { h } from 'preact';
import { z } from 'zod';
import { sendPage } from '../../interactions/respond.js';
import type { ChallengeMethod } from '../../interactions/views/mfa.js';
import { secondFactorKey } from '../auth/throttle.js';
import { BadRequestError } from '../errors.js';
import { formatTime } from '../i18n/index.js';
import { type AccountDeps, accountPage, auditFrom, signedInPost } from './context.js';
import { listFactors, factorProviders } from './factor-providers.js';
import { type SignedInUser, requireSignedInUser, requireStepUp, safeReturnPath } from './self-session.js';
import { TooManyRequestsError } from './errors.js';
import { StepUpPage } from './views/step-up.js';

/**
 * Step-up for sensitive changes (removing a factor, the password, the 2FA address,
 * new backup codes, adding a factor): a second factor proven on /account, or at the
 * sign-in itself, within IDP_ACCOUNT_STEP_UP_SECONDS. A user without any second factor
 * has nothing to step up with; the password change still asks for the current password.
 */
export async function ensureStepUp(ctx: Context, deps: AccountDeps, who: SignedInUser, returnTo: string): Promise<void> {
  if ((await listFactors(factorProviders(deps.services), who.user)).length === 0) return;
  requireStepUp(ctx, who, returnTo);
}

/** The methods the user can step up with: their factors the organisation allows, then backup codes. */
async function methodsOf(deps: AccountDeps, who: SignedInUser): Promise<ChallengeMethod[]> {
  const enrolled = (await deps.services.secondFactors.enrolledMethods(who.user.id)).filter((m) => who.org.settings.methods.includes(m));
  const methods: ChallengeMethod[] = [...enrolled];
  if (await deps.services.secondFactors.hasBackupCodes(who.user.id)) methods.push('backup');
  return methods;
}

const verifyForm = z.object({ method: z.enum(['totp', 'email', 'backup']), code: z.string().max(64), return: z.string().max(512).optional() });

/** The "confirm it is you" page with the user's methods, the asked-for one first. */
export async function showStepUp(
  ctx: Context,
  deps: AccountDeps,
  who: SignedInUser,
  status: number,
  opts: { method?: unknown; error?: string; sentUntil?: number; returnTo?: string } = {},
) {
  const { services } = deps;
    const page = accountPage(ctx, who, 'security');
    const returnTo = opts.returnTo ?? safeReturnPath(ctx.query.return, '/account/security');
    const methods = await methodsOf(deps, who);
    if (!methods.length) return ctx.redirect(returnTo);
    const method = methods.find((m) => m === opts.method) ?? methods[0]!;
    const email = await services.secondFactors.emailFactor(who.user, { confirmed: true });
    sendPage(
      ctx,
      status,
      h(StepUpPage, {
        page,
        returnTo,
        method,
        others: methods.filter((m) => m !== method),
        totpDigits: who.org.settings.totpDigits,
        email: email?.email ?? undefined,
        emailSent: opts.sentUntil ? formatTime(opts.sentUntil, page.locale) : undefined,
        error: opts.error,
      }),
    );
}

/**
 * Where a confirmed step-up returns. A form (remove, new backup codes) cannot be replayed
 * by a redirect, so the security page says the user may now repeat the change.
 */
export function afterStepUp(returnTo: string): string {
  return returnTo === '/account/security' ? '/account/security?done=verified' : returnTo;
}

export function registerStepUpRoutes(router: Router, deps: AccountDeps): void {
  const { services } = deps;
  const show = (ctx: Context, who: SignedInUser, status: number, opts: Parameters<typeof showStepUp>[4] = {}) => showStepUp(ctx, deps, who, status, opts);

  router.get('/account/verify', async (ctx) => {
    const who = await requireSignedInUser(ctx);
    await show(ctx, who, 200, { method: ctx.query.method });
  });

  router.post('/account/verify/send', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const returnTo = safeReturnPath(body.return, '/account/security');
    const page = accountPage(ctx, who, 'security');
    const factor = await services.secondFactors.emailFactor(who.user, { confirmed: true });
    if (!factor?.email) throw new BadRequestError('no confirmed 2FA address');
    const sent = await services.secondFactors.sendEmailCode(who.user, who.org, { email: factor.email, purpose: 'step_up', flowUid: null, factorId: factor.id, locale: page.locale });
    if (!sent.ok) {
      const error = sent.reason === 'cooldown' ? page.t('email.cooldown', { seconds: sent.retryInSeconds }) : page.t('email.deliveryFailed');
      return show(ctx, who, sent.reason === 'cooldown' ? 429 : 503, { method: 'email', error, returnTo });
    }
    await show(ctx, who, 200, { method: 'email', sentUntil: sent.expiresAt, returnTo });
  });

  router.post('/account/verify', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const parsed = verifyForm.safeParse(body);
    if (!parsed.success) throw new BadRequestError('method must be totp, email or backup; code is text');
    const { method, code } = parsed.data;
    const returnTo = safeReturnPath(parsed.data.return, '/account/security');
    const key = secondFactorKey(who.user.id);
    const until = await services.throttle.lockedUntil([key]);
    if (until) throw new TooManyRequestsError(Math.ceil((until - Date.now()) / 1000));
    if (!(await methodsOf(deps, who)).includes(method)) throw new BadRequestError('not one of your methods');

    const f = services.secondFactors;
    const result =
      method === 'totp' ? await f.verifyTotp(who.user, code) : method === 'email' ? await f.checkEmailCode(who.user, 'step_up', code) : await f.useBackupCode(who.user, code);
    const page = accountPage(ctx, who, 'security');
    if (!result.ok) {
      const reason = 'reason' in result ? result.reason : 'invalid';
      if (reason !== 'malformed') {
        await services.throttle.fail([key], who.org.settings.wrongCodeLimit);
        await services.audit.record({ type: 'mfa.failed', ...auditFrom(ctx, who), details: { step: 'account_step_up', method } });
      }
      const digits = method === 'totp' ? who.org.settings.totpDigits : method === 'backup' ? 8 : 6;
      const error = reason === 'malformed' ? page.t('code.malformed', { digits }) : page.t(`code.${reason === 'replayed' || reason === 'expired' ? reason : 'invalid'}`);
      return show(ctx, who, 400, { method, error, returnTo });
    }
    await services.throttle.succeed(key);
    deps.selfSession.markSteppedUp(ctx, who);
    await services.audit.record({ type: 'account.step_up', ...auditFrom(ctx, who), details: { method } });
    ctx.redirect(afterStepUp(returnTo));
    ctx.status = 303;
  });
}
