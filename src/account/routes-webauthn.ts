import type Router from '@koa/router';
import type { Context } from 'koa';
import { h } from 'preact';
import { seeOther, sendJson, sendPage } from '../../interactions/respond.js';
import { webauthnError } from '../../interactions/steps/webauthn.js';
import { secondFactorKey } from '../auth/throttle.js';
import { NotFoundError } from '../errors.js';
import { type AccountDeps, accountPage, auditFrom, signedInPost } from './context.js';
import { type SignedInUser, requireSignedInUser, safeReturnPath } from './self-session.js';
import { afterStepUp, ensureStepUp, showStepUp } from './step-up.js';
import { NewBackupCodesPage } from './views/security.js';
import { AccountWebAuthnPage } from './views/webauthn.js';

/** Challenges of the account pages belong to the account session, not to a sign-in flow. */
const bindingOf = (who: SignedInUser) => `account:${who.sessionUid}`;

/**
 * WebAuthn on the account pages: register another key or biometrics (after a fresh
 * second factor), and use a key for that step-up itself.
 */
export function registerWebAuthnAccountRoutes(router: Router, deps: AccountDeps): void {
  const { services } = deps;

  const allowed = (who: SignedInUser) => who.org.settings.methods.includes('webauthn');

  function showRegister(ctx: Context, who: SignedInUser, status = 200, error?: string) {
    sendPage(ctx, status, h(AccountWebAuthnPage, { page: accountPage(ctx, who, 'security'), error }));
  }

  router.get('/account/factors/webauthn/new', async (ctx) => {
    const who = await requireSignedInUser(ctx);
    if (!allowed(who)) throw new NotFoundError();
    await ensureStepUp(ctx, deps, who, '/account/factors/webauthn/new');
    showRegister(ctx, who);
  });

  router.post('/account/factors/webauthn/options', async (ctx) => {
    const { who } = await signedInPost(ctx);
    if (!allowed(who)) throw new NotFoundError();
    await ensureStepUp(ctx, deps, who, '/account/factors/webauthn/new');
    sendJson(ctx, await services.webauthn.registrationOptions(who.user, who.org, bindingOf(who)));
  });

  router.post('/account/factors/webauthn', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    if (!allowed(who)) throw new NotFoundError();
    await ensureStepUp(ctx, deps, who, '/account/factors/webauthn/new');
    const page = accountPage(ctx, who, 'security');
    const label = (body.label ?? '').normalize('NFC').trim().slice(0, 100) || page.t('webauthn.register.labelDefault');
    const result = await services.webauthn.verifyRegistration(who.user, who.org, bindingOf(who), body.response, label);
    if (!result.ok) return showRegister(ctx, who, result.reason === 'duplicate' ? 409 : 400, webauthnError(page.t, result.reason));
    await services.remembered.revokeAll(who.user.id);
    if (await services.secondFactors.hasBackupCodes(who.user.id)) return seeOther(ctx, '/account/security?done=added');
    // a first factor comes with backup codes, shown once (as for the other kinds)
    const codes = await services.secondFactors.issueBackupCodes(who.user);
    sendPage(ctx, 200, h(NewBackupCodesPage, { page, codes }));
  });

  // ---- a key as the step-up before sensitive changes ----------------------------------

  router.post('/account/verify/webauthn-options', async (ctx) => {
    const { who } = await signedInPost(ctx);
    if (!allowed(who) || (await services.webauthn.count(who.user.id)) === 0) throw new NotFoundError();
    sendJson(ctx, await services.webauthn.authenticationOptions(who.user, bindingOf(who)));
  });

  router.post('/account/verify/webauthn', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    if (!allowed(who)) throw new NotFoundError();
    const returnTo = safeReturnPath(body.return, '/account/security');
    const page = accountPage(ctx, who, 'security');
    const result = await services.webauthn.verifyAuthentication(who.user, bindingOf(who), body.response);
    if (!result.ok) return showStepUp(ctx, deps, who, 400, { method: 'webauthn', error: webauthnError(page.t, result.reason), returnTo });
    await services.throttle.succeed(secondFactorKey(who.user.id));
    deps.selfSession.markSteppedUp(ctx, who);
    await services.audit.record({ type: 'account.step_up', ...auditFrom(ctx, who), details: { method: 'webauthn' } });
    seeOther(ctx, afterStepUp(returnTo));
  });
}
