import type { Context } from 'koa';
import { h } from 'preact';
import type { WebAuthnFailure } from '../../src/auth/factors/webauthn/webauthn.js';
import { secondFactorKey } from '../../src/auth/throttle.js';
import type { Translate } from '../../src/i18n/index.js';
import { OutOfOrderError } from '../../src/errors.js';
import type { Organisation, User } from '../../src/model.js';
import { type FlowData, type InteractionDeps, type LoadedFlow, advance, flowUser, pageFor, redirectToStep, rememberThisBrowser, stepUrl } from '../flow.js';
import { sendJson, sendPage } from '../respond.js';
import { PhrUnavailablePage, WebAuthnRegisterPage } from '../views/webauthn.js';
import { enrolMethod } from './enrol.js';

export function webauthnError(t: Translate, reason: WebAuthnFailure): string {
  return t(`webauthn.error.${reason}`);
}

// ---- registration: during enrolment and from the seed-002 offer ------------------

export async function showWebAuthnRegistration(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, status = 200, error?: string) {
  const { user } = await flowUser(deps, loaded);
  const page = pageFor(ctx, loaded, user.locale);
  const { t } = page;
  const offer = loaded.flow.state === 'webauthn_offer';
  sendPage(
    ctx,
    status,
    h(WebAuthnRegisterPage, {
      page,
      csrf: deps.csrf.tokenFor(loaded.uid),
      title: offer ? t('webauthn.offer.title') : t('webauthn.register.title'),
      lead: offer ? t('webauthn.offer.lead') : t('webauthn.enrol.hint'),
      optionsUrl: stepUrl(loaded.uid, offer ? 'offer-webauthn-options' : 'enrol-webauthn-options'),
      action: stepUrl(loaded.uid, offer ? 'offer-webauthn' : 'enrol-webauthn'),
      error,
      backAction: offer ? undefined : stepUrl(loaded.uid, 'enrol-back'),
      skipAction: offer ? stepUrl(loaded.uid, 'offer-skip') : undefined,
    }),
  );
}

export async function registrationOptions(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user, org } = await flowUser(deps, loaded);
  const registering = loaded.flow.state === 'webauthn_offer' || enrolMethod(org, loaded.flow.data) === 'webauthn';
  if (!registering) throw new OutOfOrderError(stepUrl(loaded.uid));
  sendJson(ctx, await deps.services.webauthn.registrationOptions(user, org, loaded.uid));
}

async function register(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>, user: User, org: Organisation) {
  const { t } = pageFor(ctx, loaded, user.locale);
  const label = (body.label ?? '').trim().slice(0, 100) || t('webauthn.register.labelDefault');
  const result = await deps.services.webauthn.verifyRegistration(user, org, loaded.uid, body.response, label);
  if (!result.ok) {
    await showWebAuthnRegistration(ctx, deps, loaded, result.reason === 'duplicate' ? 409 : 400, webauthnError(t, result.reason));
    return undefined;
  }
  // a new credential changes what remembered browsers vouched for
  await deps.services.remembered.revokeAll(user.id);
  return result.credential;
}

/** Enrolment: a registered key is the user's (first) second factor. */
export async function submitEnrolWebAuthn(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  if (enrolMethod(org, loaded.flow.data) !== 'webauthn') return redirectToStep(ctx, loaded.uid);
  const credential = await register(ctx, deps, loaded, body, user, org);
  if (!credential) return;
  await deps.services.throttle.succeed(secondFactorKey(user.id));
  const { enrol: _done, ...rest } = loaded.flow.data;
  const amr = credential.deviceType === 'multiDevice' ? 'swk' : 'hwk';
  // registering proves possession of the new key, not a phishing-resistant sign-in
  const data: FlowData = { ...rest, enrolledNow: true, secondFactorDone: true, mfaMethod: 'webauthn', amr: [...(rest.amr ?? ['pwd']), amr] };
  await advance(ctx, deps, loaded, 'enrol', { user, org, data });
}

/** Seed 002: the registration the user asked for at the previous sign-in. */
export async function submitOfferWebAuthn(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  const credential = await register(ctx, deps, loaded, body, user, org);
  if (!credential) return;
  await deps.services.webauthn.setOffer(user.id, false);
  await advance(ctx, deps, loaded, 'webauthn_offer', { user, org, data: { ...loaded.flow.data, webauthnOfferHandled: true } });
}

export async function skipOffer(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user, org } = await flowUser(deps, loaded);
  await deps.services.webauthn.setOffer(user.id, false);
  await deps.services.audit.record({ type: 'webauthn.offer_declined', orgId: org.id, userId: user.id, ip: ctx.ip });
  await advance(ctx, deps, loaded, 'webauthn_offer', { user, org, data: { ...loaded.flow.data, webauthnOfferHandled: true } });
}

// ---- authentication as the second factor ----------------------------------------

export async function authenticationOptions(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user, org } = await flowUser(deps, loaded);
  if (!org.settings.methods.includes('webauthn') || (await deps.services.webauthn.count(user.id)) === 0) throw new OutOfOrderError(stepUrl(loaded.uid));
  sendJson(ctx, await deps.services.webauthn.authenticationOptions(user, loaded.uid));
}

/**
 * The key answered: the second factor is proven. Returns the error to show when it
 * is not (the MFA page renders it next to the other methods).
 */
export async function verifyWebAuthnFactor(
  ctx: Context,
  deps: InteractionDeps,
  loaded: LoadedFlow,
  body: Record<string, string>,
  user: User,
  org: Organisation,
): Promise<string | undefined> {
  const { t } = pageFor(ctx, loaded, user.locale);
  const result = await deps.services.webauthn.verifyAuthentication(user, loaded.uid, body.response);
  if (!result.ok) return webauthnError(t, result.reason);
  await deps.services.throttle.succeed(secondFactorKey(user.id));
  const data: FlowData = {
    ...loaded.flow.data,
    mfaMethod: 'webauthn',
    secondFactorDone: true,
    webauthnAsserted: true,
    amr: [...(loaded.flow.data.amr ?? ['pwd']), ...result.amr],
  };
  if (body.remember === 'yes') await rememberThisBrowser(ctx, deps, user, org, result.amr);
  // the challenge was consumed (single use) by verifyAuthentication
  await advance(ctx, deps, loaded, 'mfa', { user, org, data }, { singleUse: true });
  return undefined;
}

// ---- passkey sign-in (no password) ---------------------------------------------

/** Whether the sign-in page offers a passkey: the organisation (or, unbound, any) allows it. */
export async function passkeysOffered(deps: InteractionDeps, loaded: LoadedFlow, org: Organisation | undefined): Promise<boolean> {
  const allows = (o: Organisation) => o.settings.passkeys && o.settings.methods.includes('webauthn');
  if (org) return allows(org);
  if (loaded.clientOrgId) return false;
  return (await deps.services.repos.orgs.list()).some(allows);
}

export async function passkeyOptions(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  sendJson(ctx, await deps.services.webauthn.passkeyOptions(loaded.uid));
}

/**
 * A discoverable credential with user verification proves who the user is and two
 * factors at once. The credential's organisation must allow passkeys and match the
 * client's. Returns the error for the sign-in page, or nothing when signed in.
 */
export async function verifyPasskey(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>, t: Translate): Promise<string | undefined> {
  const { repos, webauthn, audit } = deps.services;
  const result = await webauthn.verifyPasskey(loaded.uid, body.response);
  if (!result.ok) return webauthnError(t, result.reason);
  const user = await repos.users.findById(result.userId);
  const org = user ? await repos.orgs.findById(user.orgId) : undefined;
  const clientId = String(loaded.interaction.params.client_id ?? '');
  if (!user || !org || user.disabled || !org.settings.passkeys || !org.settings.methods.includes('webauthn') || (loaded.clientOrgId && loaded.clientOrgId !== org.id)) {
    await audit.record({ type: 'login.failed', orgId: org?.id ?? null, userId: user?.id ?? null, clientId, ip: ctx.ip, userAgent: ctx.get('user-agent'), details: { reason: 'passkey_not_allowed' } });
    return t('webauthn.error.passkeyNotAllowed');
  }
  const data: FlowData = {
    amr: [...result.amr],
    authTime: Math.floor(Date.now() / 1000),
    passkey: true,
    secondFactorDone: true,
    webauthnAsserted: true,
    mfaMethod: 'webauthn',
  };
  // the challenge was consumed (single use) by verifyPasskey
  await advance(ctx, deps, loaded, 'password', { user, org, data }, { singleUse: true });
  return undefined;
}

// ---- a relying party asked for a phishing-resistant sign-in ------------------------

export async function showPhrUnavailable(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user } = await flowUser(deps, loaded);
  const page = pageFor(ctx, loaded, user.locale);
  sendPage(ctx, 403, h(PhrUnavailablePage, { page, csrf: deps.csrf.tokenFor(loaded.uid), clientName: loaded.clientName, abortAction: stepUrl(loaded.uid, 'abort') }));
}
