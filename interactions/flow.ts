import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { acrFor, nextStep, type Step } from '../src/auth/policy.js';
import { REMEMBER_COOKIE } from '../src/auth/remembered-browsers.js';
import type { Flow } from '../src/db/flows.js';
import { FlowExpiredError } from '../src/errors.js';
import { isLocale } from '../src/i18n/index.js';
import type { Organisation, User } from '../src/model.js';
import type { Services } from '../src/services.js';
import type { Csrf } from './csrf.js';
import { LANG_COOKIE, pageContext } from './page-context.js';
import { seeOther } from './respond.js';
import type { ChallengeMethod } from './views/mfa.js';

/** What a sign-in has proven and chosen so far; stored with the flow row. */
export interface FlowData extends Record<string, unknown> {
  amr?: string[];
  authTime?: number;
  passwordChanged?: boolean;
  enrol?: { method: 'totp' | 'email' | 'webauthn'; factorId?: string; email?: string; sentUntil?: number; linkSent?: boolean };
  enrolledNow?: boolean;
  backupCodesShown?: boolean;
  /** freshly issued backup codes, sealed, until the user confirms having saved them */
  backupCodesSealed?: string;
  secondFactorDone?: boolean;
  forceEnrol?: boolean;
  mfaMethod?: ChallengeMethod;
  emailSentUntil?: number;
  wrongCodes?: number;
  lockedUntil?: number;
  backupRemaining?: number;
  rememberedAmr?: string[];
  /** the remembered browser (its remembered_browsers id) that stood in for the second factor */
  rememberedBrowserId?: string;
  /** signed in with a passkey instead of the password */
  passkey?: boolean;
  /** a WebAuthn assertion (not a mere registration) was verified in this sign-in */
  webauthnAsserted?: boolean;
  /** the seed-002 registration offer was answered */
  webauthnOfferHandled?: boolean;
  /** a sign-in through an upstream provider (issue 7): pending a link, or done through a link */
  federated?: FederatedFlowData;
}

export interface FederatedFlowData {
  upstreamId: string;
  subject: string;
  /** true once the link exists (made in this sign-in or found) */
  linked: boolean;
  /** signed in through the upstream alone, without the local password */
  viaUpstream: boolean;
  /** the upstream reported MFA and the organisation trusts it */
  upstreamMfa: boolean;
}

export interface InteractionDeps {
  provider: Provider;
  services: Services;
  csrf: Csrf;
}

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface LoadedFlow {
  uid: string;
  interaction: Interaction;
  flow: Flow<FlowData>;
  /** whether the flow has a row yet (a sign-in that has not passed a step has none) */
  stored: boolean;
  clientName: string;
  clientOrgId: string | null;
  clientRequiresMfa: boolean;
}

/** The state of a flow without a row: the sign-in page. */
export const INITIAL_STATE = 'password';

export const stepUrl = (uid: string, step = '') => `/interaction/${encodeURIComponent(uid)}${step ? `/${step}` : ''}`;

/**
 * The interaction named in the URL, with its server-side flow. The interaction must be
 * the one bound to this browser's cookie; an unknown, expired or foreign one is "expired".
 */
export async function loadFlow(ctx: Context, deps: InteractionDeps): Promise<LoadedFlow> {
  const uid = String(ctx.params.uid ?? '');
  let interaction: Interaction;
  try {
    interaction = await deps.provider.interactionDetails(ctx.req, ctx.res);
  } catch {
    throw new FlowExpiredError();
  }
  if (interaction.uid !== uid) throw new FlowExpiredError();

  // No row until a step succeeds: showing the sign-in page writes nothing (moveFlow
  // stores the flow at its first move).
  const found = (await deps.services.repos.flows.find(uid)) as Flow<FlowData> | undefined;
  const now = Date.now();
  let flow: Flow<FlowData> = found ?? { uid, state: INITIAL_STATE, orgId: null, userId: null, data: {}, createdAt: now, updatedAt: now, expiresAt: interaction.exp * 1000 };
  // The login was handed to oidc-provider (finishLogin): the flow is over even where its
  // last step did not write it as 'done' (advance, singleUse), so no step runs again.
  if (interaction.result?.login) flow = { ...flow, state: 'done' };

  const clientId = String(interaction.params.client_id ?? '');
  const client = await deps.services.clients.find(clientId);
  return {
    uid,
    interaction,
    flow,
    stored: found !== undefined,
    clientName: client?.name ?? clientId,
    clientOrgId: client?.orgId ?? null,
    clientRequiresMfa: client?.requireMfa ?? false,
  };
}

/** The user and organisation proven by the password step of this flow. */
export async function flowUser(deps: InteractionDeps, loaded: LoadedFlow): Promise<{ user: User; org: Organisation }> {
  const user = loaded.flow.userId ? await deps.services.repos.users.findById(loaded.flow.userId) : undefined;
  const org = user ? await deps.services.repos.orgs.findById(user.orgId) : undefined;
  if (!user || !org || user.disabled) throw new FlowExpiredError();
  return { user, org };
}

export function pageFor(ctx: Context, loaded: LoadedFlow, savedLocale?: string | null) {
  const ui = loaded.interaction.params.ui_locales;
  return pageContext(ctx, {
    uiLocales: typeof ui === 'string' ? ui : undefined,
    saved: savedLocale,
    returnPath: stepUrl(loaded.uid),
  });
}

/** acr_values of the authorization request, in order of preference. */
export function requestedAcr(loaded: LoadedFlow): string[] {
  const acrValues = loaded.interaction.params.acr_values;
  return typeof acrValues === 'string' ? acrValues.split(' ').filter(Boolean) : [];
}

/** Gathers the facts of this sign-in and asks the policy for the next step. */
export async function decideNext(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, user: User, org: Organisation, data: FlowData): Promise<{ step: Step; data: FlowData }> {
  const { secondFactors, remembered } = deps.services;
  const facts = {
    user,
    org: org.settings,
    client: { requireMfa: loaded.clientRequiresMfa },
    requestedAcr: requestedAcr(loaded),
    passwordDone: Boolean(data.amr?.includes('pwd')),
    passwordChanged: Boolean(data.passwordChanged),
    enrolledMethods: await secondFactors.enrolledMethods(user.id),
    enrolledNow: data.enrolledNow,
    backupCodesShown: data.backupCodesShown,
    secondFactorDone: data.secondFactorDone,
    forceEnrol: data.forceEnrol,
    rememberedAmr: undefined as string[] | undefined,
    webauthnDone: Boolean(data.webauthnAsserted),
    passkeyDone: Boolean(data.passkey),
    webauthnOfferPending: user.webauthnOffer,
    webauthnOfferHandled: Boolean(data.webauthnOfferHandled),
    federated: data.federated?.viaUpstream ? { upstreamMfa: data.federated.upstreamMfa } : undefined,
  };
  // the cookie is read at every decision: a password change in this very sign-in revokes it
  let browser: { id: string; amr: string[] } | undefined;
  if (!facts.secondFactorDone && !facts.passkeyDone && org.settings.rememberHours > 0) {
    browser = await remembered.check(ctx.cookies.get(REMEMBER_COOKIE), user.id);
    facts.rememberedAmr = browser?.amr;
  }
  const step = nextStep(facts);
  const { rememberedAmr: _stale, rememberedBrowserId: _staleId, ...rest } = data;
  // only a sign-in that ends on the remembered browser's strength records it (for the acr and the audit)
  return { step, data: step === 'done' && browser ? { ...rest, rememberedAmr: browser.amr, rememberedBrowserId: browser.id } : rest };
}

/**
 * "Don't ask again on this browser": a remembered-browser token for what this second
 * factor proved, in an HttpOnly cookie, audited. Only where the organisation allows it.
 */
export async function rememberThisBrowser(ctx: Context, deps: InteractionDeps, user: User, org: Organisation, amr: string[]): Promise<void> {
  if (org.settings.rememberHours <= 0) return;
  const { token, expiresAt } = await deps.services.remembered.remember(user.id, amr, org.settings.rememberHours, ctx.get('user-agent') || null);
  ctx.cookies.set(REMEMBER_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.services.config.issuer.startsWith('https://'),
    expires: new Date(expiresAt),
    overwrite: true,
  });
  await deps.services.audit.record({ type: 'mfa.browser_remembered', orgId: org.id, userId: user.id, ip: ctx.ip, details: { hours: org.settings.rememberHours } });
}

export function redirectToStep(ctx: Context, uid: string): void {
  seeOther(ctx, stepUrl(uid));
}

/**
 * Moves the flow from `from` to `next`, only if it is still in `from` (compare-and-set, so
 * a replayed or racing submission cannot move it twice). Returns false when it had moved.
 * A flow without a row is stored here, already moved on: the insert succeeds once per uid
 * and so stands for the compare-and-set from the initial state. When it finds a row (a
 * racing request stored one, or an older instance stored the initial state on showing
 * the page), the compare-and-set decides as it would have.
 */
export async function moveFlow(deps: InteractionDeps, loaded: LoadedFlow, from: string, next: Pick<Flow, 'state' | 'orgId' | 'userId' | 'data'>): Promise<boolean> {
  const { flows } = deps.services.repos;
  if (!loaded.stored && loaded.flow.state === from) {
    const now = Date.now();
    if (await flows.create({ ...next, uid: loaded.uid, createdAt: now, updatedAt: now, expiresAt: loaded.flow.expiresAt })) return true;
  }
  return flows.advance(loaded.uid, from, next);
}

/** Stores the flow as it is, where it has no row yet (a step that leaves the browser). */
export async function storeFlow(deps: InteractionDeps, loaded: LoadedFlow): Promise<void> {
  if (!loaded.stored) await deps.services.repos.flows.create(loaded.flow);
}

/**
 * Moves the flow on from `from` (compare-and-set, so a replayed or racing submission
 * cannot advance it twice) to whatever the policy says comes next.
 *
 * `singleUse`: the submission was itself made single-use by a compare-and-set write of its
 * own (a TOTP step recorded, a mailed code or a WebAuthn challenge consumed), so of two
 * racing or replayed submissions only one gets here. When it ends the sign-in, the flow
 * is not written: the login handed to oidc-provider marks it over (loadFlow), and a step
 * that does not end the sign-in is still written as always.
 */
export async function advance(
  ctx: Context,
  deps: InteractionDeps,
  loaded: LoadedFlow,
  from: string,
  proven: { user: User; org: Organisation; data: FlowData },
  opts: { singleUse?: boolean } = {},
): Promise<void> {
  const { step, data } = await decideNext(ctx, deps, loaded, proven.user, proven.org, proven.data);
  if (step === 'done' && opts.singleUse) return finishLogin(ctx, deps, loaded, proven.user, data);
  const moved = await moveFlow(deps, loaded, from, { state: step, orgId: proven.org.id, userId: proven.user.id, data });
  if (!moved) return redirectToStep(ctx, loaded.uid);
  if (step === 'done') return finishLogin(ctx, deps, loaded, proven.user, data);
  redirectToStep(ctx, loaded.uid);
}

/**
 * RFC 8176 methods for what this sign-in actually did. `mfa`: the password and another
 * factor, or a WebAuthn key that verified its user (possession plus PIN/biometrics).
 */
export function amrOf(data: Pick<FlowData, 'amr'>): string[] {
  const amr = [...new Set(data.amr ?? ['pwd'])];
  // `fed` (an upstream sign-in, issue 7) is not a second factor
  const withPassword = amr.includes('pwd') && amr.some((m) => m !== 'pwd' && m !== 'mfa' && m !== 'fed');
  const verifiedKey = amr.includes('user') && (amr.includes('hwk') || amr.includes('swk'));
  if ((withPassword || verifiedKey) && !amr.includes('mfa')) amr.push('mfa');
  return amr;
}

/** Hands the finished login to oidc-provider and redirects the browser back into it. */
export async function finishLogin(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, user: User, data: FlowData): Promise<void> {
  const { users } = deps.services.repos;
  const amr = amrOf(data);
  const ts = data.authTime ?? Math.floor(Date.now() / 1000);
  // the user's row only where a reader needs it changed (src/db/users.ts); every
  // sign-in's exact time and method are in the audit event below
  await users.recordLogin(user, data.mfaMethod ?? null);
  // A language picked on the switcher during sign-in becomes the user's saved language.
  const chosen = ctx.cookies.get(LANG_COOKIE);
  if (isLocale(chosen) && chosen !== user.locale) await users.setLocale(user.id, chosen);
  const remembered = Boolean(data.rememberedAmr && !data.secondFactorDone);
  // One event per sign-in. A remembered browser standing in for the second factor is
  // told here (`remembered`, and which browser) rather than by an event of its own.
  await deps.services.audit.record({
    type: 'login.succeeded',
    orgId: user.orgId,
    userId: user.id,
    clientId: String(loaded.interaction.params.client_id ?? ''),
    ip: ctx.ip,
    userAgent: ctx.get('user-agent'),
    details: {
      amr,
      remembered,
      ...(remembered && data.rememberedBrowserId ? { rememberedBrowser: data.rememberedBrowserId } : {}),
      // the second factor answered in this sign-in, if any (metrics: src/http/security-metrics.ts)
      ...(data.secondFactorDone && !data.passkey && data.mfaMethod ? { mfaMethod: data.mfaMethod } : {}),
      ...(data.passkey ? { passkey: true } : {}),
    },
  });
  const result: InteractionResults = {
    login: { accountId: user.id, amr, acr: acrFor(amr, data.rememberedAmr, Boolean(data.webauthnAsserted)), ts, remember: true },
  };
  await redirectWithResult(ctx, deps, result);
}

export async function redirectWithResult(ctx: Context, deps: InteractionDeps, result: InteractionResults): Promise<void> {
  const to = await deps.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  seeOther(ctx, to);
}
