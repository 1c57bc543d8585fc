import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { acrFor } from '../src/auth/policy.js';
import type { Flow } from '../src/db/flows.js';
import { FlowExpiredError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import type { Csrf } from './csrf.js';
import { LANG_COOKIE, pageContext } from './page-context.js';
import { isLocale } from '../src/i18n/index.js';

export interface FlowData extends Record<string, unknown> {
  amr?: string[];
  authTime?: number;
  passwordChanged?: boolean;
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
  clientName: string;
  clientOrgId: string | null;
}

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

  const { flows } = deps.services.repos;
  let flow = (await flows.find(uid)) as Flow<FlowData> | undefined;
  if (!flow) {
    const now = Date.now();
    flow = { uid, state: 'password', orgId: null, userId: null, data: {}, createdAt: now, updatedAt: now, expiresAt: interaction.exp * 1000 };
    await flows.create(flow);
    flow = ((await flows.find(uid)) as Flow<FlowData> | undefined) ?? flow;
  }

  const clientId = String(interaction.params.client_id ?? '');
  const client = await deps.services.repos.clients.find(clientId);
  return {
    uid,
    interaction,
    flow,
    clientName: client?.name ?? clientId,
    clientOrgId: client?.orgId ?? null,
  };
}

export function pageFor(ctx: Context, loaded: LoadedFlow, savedLocale?: string | null) {
  const ui = loaded.interaction.params.ui_locales;
  return pageContext(ctx, {
    uiLocales: typeof ui === 'string' ? ui : undefined,
    saved: savedLocale,
    returnPath: stepUrl(loaded.uid),
  });
}

/** Hands the finished login to oidc-provider and redirects the browser back into it. */
export async function finishLogin(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, userId: string): Promise<void> {
  const { users } = deps.services.repos;
  const amr = loaded.flow.data.amr ?? ['pwd'];
  const ts = loaded.flow.data.authTime ?? Math.floor(Date.now() / 1000);
  const user = await users.findById(userId);
  await users.recordLogin(userId);
  // A language picked on the switcher during sign-in becomes the user's saved language.
  const chosen = ctx.cookies.get(LANG_COOKIE);
  if (user && isLocale(chosen) && chosen !== user.locale) await users.setLocale(userId, chosen);
  await deps.services.audit.record({
    type: 'login.succeeded',
    orgId: user?.orgId ?? null,
    userId,
    clientId: String(loaded.interaction.params.client_id ?? ''),
    ip: ctx.ip,
    userAgent: ctx.get('user-agent'),
    details: { amr },
  });
  const result: InteractionResults = { login: { accountId: userId, amr, acr: acrFor(amr), ts, remember: true } };
  await redirectWithResult(ctx, deps, result);
}

export async function redirectWithResult(ctx: Context, deps: InteractionDeps, result: InteractionResults): Promise<void> {
  const to = await deps.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
  ctx.status = 303;
}
