import type { Context } from 'koa';
import { h } from 'preact';
import { z } from 'zod';
import { checkNewPassword, passwordScore } from '../../src/auth/passwords.js';
import { BadRequestError } from '../../src/errors.js';
import type { MessageKey } from '../../src/i18n/index.js';
import type { Organisation, User } from '../../src/model.js';
import { ChangePasswordPage, type ChangePasswordView } from '../views/change-password.js';
import { sendJson, sendPage } from '../respond.js';
import { type InteractionDeps, type LoadedFlow, advance, flowUser, pageFor, redirectToStep, stepUrl } from '../flow.js';

const changeForm = z.object({ newPassword: z.string().max(1024), confirm: z.string().max(1024) });

const userInputs = (user: User, org: Organisation) => [user.username, org.code, user.name ?? ''].filter(Boolean);

export async function showChangePassword(
  ctx: Context,
  deps: InteractionDeps,
  loaded: LoadedFlow,
  status = 200,
  errors: ChangePasswordView['errors'] = {},
) {
  const { user, org } = await flowUser(deps, loaded);
  sendPage(
    ctx,
    status,
    h(ChangePasswordPage, {
      page: pageFor(ctx, loaded, user.locale),
      action: stepUrl(loaded.uid, 'password'),
      strengthUrl: stepUrl(loaded.uid, 'strength'),
      csrf: deps.csrf.tokenFor(loaded.uid),
      firstLogin: user.lastLoginAt === null,
      minLength: org.settings.passwordMinLength,
      username: user.username,
      errors,
    }),
  );
}

export async function submitChangePassword(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  const { t } = pageFor(ctx, loaded, user.locale);
  const parsed = changeForm.safeParse(body);
  if (!parsed.success) throw new BadRequestError('newPassword and confirm are required text fields');
  const { newPassword, confirm } = parsed.data;

  const problem = checkNewPassword(newPassword, org.settings, userInputs(user, org));
  if (problem) {
    return showChangePassword(ctx, deps, loaded, 400, {
      newPassword: t(`password.${problem}` as MessageKey, { min: org.settings.passwordMinLength }),
    });
  }
  if (newPassword !== confirm) return showChangePassword(ctx, deps, loaded, 400, { confirm: t('changePassword.mismatch') });
  if (await deps.services.hasher.verify(user.passwordHash, newPassword)) {
    return showChangePassword(ctx, deps, loaded, 400, { newPassword: t('changePassword.sameAsOld') });
  }

  const passwordHash = await deps.services.hasher.hash(newPassword);
  // the flow moves on first (compare-and-set): a replayed submission changes nothing
  const moved = await deps.services.repos.flows.advance(loaded.uid, 'change_password', {
    state: 'password_changed',
    orgId: org.id,
    userId: user.id,
    data: { ...loaded.flow.data, passwordChanged: true },
  });
  if (!moved) return redirectToStep(ctx, loaded.uid);
  await deps.services.repos.users.setPassword(user.id, passwordHash, false);
  // a new password forgets the browsers that skipped the second step
  await deps.services.remembered.revokeAll(user.id);
  await deps.services.audit.record({
    type: 'password.changed',
    orgId: org.id,
    userId: user.id,
    ip: ctx.ip,
    userAgent: ctx.get('user-agent'),
    details: { forced: true },
  });
  const changed = { ...user, mustChangePassword: false };
  await advance(ctx, deps, loaded, 'password_changed', { user: changed, org, data: { ...loaded.flow.data, passwordChanged: true } });
}

/** Scores a candidate password for the gauge; the policy check on submit is authoritative. */
export async function passwordStrength(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  const password = typeof body.password === 'string' ? body.password.slice(0, 256) : '';
  sendJson(ctx, { score: password ? passwordScore(password, userInputs(user, org)) : 0 });
}
