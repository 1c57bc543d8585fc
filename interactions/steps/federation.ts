import type { Context } from 'koa';
import { z } from 'zod';
import type { Flow } from '../../src/db/flows.js';
import type { Upstream } from '../../src/db/upstreams.js';
import { BadRequestError, FlowExpiredError } from '../../src/errors.js';
import { FederationError } from '../../src/federation/errors.js';
import { linkAccount } from '../../src/federation/links.js';
import { beginFederatedSignIn, completeFederatedSignIn } from '../../src/federation/sign-in.js';
import { upstreamsForSignIn } from '../../src/federation/upstreams.js';
import { federatedAmr, upstreamMfaShown } from '../../src/federation/upstream-mfa.js';
import type { Organisation, User } from '../../src/model.js';
import { type FlowData, type InteractionDeps, type LoadedFlow, moveFlow, redirectToStep, stepUrl, storeFlow } from '../flow.js';
import { seeOther } from '../respond.js';
import type { FederationView } from '../views/federation.js';
import { organisationFor } from './login.js';

const startForm = z.object({ upstream: z.string().min(1).max(64) });

/** The upstreams this sign-in offers: the organisation's (or, unknown organisation, those naming the client). */
async function offered(deps: InteractionDeps, loaded: LoadedFlow): Promise<Upstream[]> {
  const { org } = await organisationFor(deps, loaded);
  return upstreamsForSignIn(deps.services, org?.id, String(loaded.interaction.params.client_id ?? ''));
}

/** The upstream whose sign-in waits for the local account to be proven, if any. */
export async function pendingLink(deps: InteractionDeps, loaded: LoadedFlow): Promise<Upstream | undefined> {
  const fed = loaded.flow.data.federated;
  if (!fed || fed.linked) return undefined;
  const upstream = await deps.services.repos.upstreams.find(fed.upstreamId);
  return upstream?.enabled ? upstream : undefined;
}

/** What the sign-in page shows for upstream providers. */
export async function federationView(deps: InteractionDeps, loaded: LoadedFlow, locale: 'ja' | 'en'): Promise<FederationView | undefined> {
  const pending = await pendingLink(deps, loaded);
  if (pending) {
    return { action: stepUrl(loaded.uid, 'federation'), buttons: [], linking: { upstream: pending.displayName, cancelAction: stepUrl(loaded.uid, 'federation-cancel') } };
  }
  const upstreams = await offered(deps, loaded);
  if (!upstreams.length) return undefined;
  return {
    action: stepUrl(loaded.uid, 'federation'),
    buttons: upstreams.map((u) => ({ id: u.id, label: locale === 'ja' ? u.labelJa : u.labelEn })),
  };
}

/** POST federation: sends the browser to the chosen upstream provider. */
export async function startFederation(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const form = startForm.safeParse(body);
  if (!form.success) throw new BadRequestError('upstream');
  const upstream = (await offered(deps, loaded)).find((u) => u.id === form.data.upstream);
  if (!upstream) throw new FederationError('not_allowed', '', stepUrl(loaded.uid));
  // the callback continues this flow by its row (it has no interaction cookie to read)
  await storeFlow(deps, loaded);
  const params = loaded.interaction.params;
  const maxAge = Number(params.max_age);
  const url = await beginFederatedSignIn(
    deps.services,
    upstream,
    loaded.flow,
    {
      reauthenticate: typeof params.prompt === 'string' && params.prompt.split(' ').includes('login'),
      maxAge: Number.isSafeInteger(maxAge) && maxAge >= 0 ? maxAge : undefined,
      uiLocales: typeof params.ui_locales === 'string' ? params.ui_locales.slice(0, 100) : undefined,
    },
    stepUrl(loaded.uid),
  );
  seeOther(ctx, url.toString());
}

/** POST federation-cancel: forget the pending link and sign in with the password alone. */
export async function cancelLink(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { federated: _dropped, ...rest } = loaded.flow.data;
  await moveFlow(deps, loaded, 'password', { state: 'password', orgId: null, userId: null, data: rest });
  redirectToStep(ctx, loaded.uid);
}

/**
 * After the password step of a sign-in that waits for a link: links the account (or
 * refuses with a page, signing nobody in) and says what the flow records.
 */
export async function linkAfterPassword(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, upstream: Upstream, user: User): Promise<Pick<FlowData, 'amr' | 'federated'>> {
  const fed = loaded.flow.data.federated!;
  await linkAccount(deps.services, user, upstream, fed.subject, { by: 'user', ip: ctx.ip, userAgent: ctx.get('user-agent') }, stepUrl(loaded.uid));
  return { amr: ['pwd', 'fed'], federated: { ...fed, linked: true, viaUpstream: false, upstreamMfa: false } };
}

/** GET /federation/callback: the upstream's answer. Signs nobody in by itself; the flow moves on. */
export async function federationCallback(ctx: Context, deps: InteractionDeps): Promise<void> {
  const { services } = deps;
  let upstreamSlug: string | undefined;
  try {
    const identity = await completeFederatedSignIn(services, new URL(ctx.originalUrl, services.config.issuer), (uid) => stepUrl(uid));
    const { upstream, flowUid } = identity;
    upstreamSlug = upstream.slug;
    const flow = (await services.repos.flows.find(flowUid)) as Flow<FlowData> | undefined;
    if (!flow || flow.state !== 'password') throw new FlowExpiredError();
    const continueUrl = stepUrl(flowUid);
    const link = await services.repos.links.findBySubject(upstream.issuer, identity.subject);
    if (!link) {
      const federated = { upstreamId: upstream.id, subject: identity.subject, linked: false, viaUpstream: false, upstreamMfa: false };
      await services.repos.flows.advance(flowUid, 'password', { state: 'password', orgId: null, userId: null, data: { ...flow.data, federated } });
      return seeOther(ctx, continueUrl);
    }
    // the subject belongs to a user reached through another organisation's upstream
    if (link.upstreamId !== upstream.id) throw new FederationError('already_linked', upstream.displayName, continueUrl);
    const user = await services.repos.users.findById(link.userId);
    const org: Organisation | undefined = user ? await services.repos.orgs.findById(user.orgId) : undefined;
    if (!user || !org || user.disabled) throw new FederationError('account_unavailable', upstream.displayName, continueUrl);
    const mfaShown = upstreamMfaShown(identity.amr, identity.acr, upstream.mfaAcrValues);
    const trusted = org.settings.federatedMfa !== 'always';
    const data: FlowData = {
      amr: federatedAmr(identity.amr, mfaShown, trusted),
      authTime: identity.authTime,
      federated: { upstreamId: upstream.id, subject: identity.subject, linked: true, viaUpstream: true, upstreamMfa: trusted && mfaShown },
    };
    await services.repos.flows.advance(flowUid, 'password', { state: 'federated', orgId: org.id, userId: user.id, data });
    await services.repos.links.touch(link.id);
    seeOther(ctx, continueUrl);
  } catch (err) {
    if (err instanceof FederationError) {
      await services.audit.record({
        type: 'federation.failed',
        ip: ctx.ip,
        userAgent: ctx.get('user-agent'),
        details: { failure: err.failure, ...(upstreamSlug ? { upstream: upstreamSlug } : {}), ...(err.detail ? { detail: err.detail.slice(0, 300) } : {}) },
      });
    }
    throw err;
  }
}
