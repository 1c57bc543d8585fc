import type { Context } from 'koa';
import { h } from 'preact';
import { ConsentPage } from '../views/consent.js';
import { sendPage } from '../respond.js';
import { type InteractionDeps, type LoadedFlow, pageFor, redirectWithResult, stepUrl } from '../flow.js';

function requestedScopes(loaded: LoadedFlow): string[] {
  const details = loaded.interaction.prompt.details as { missingOIDCScope?: string[] };
  return details.missingOIDCScope ?? String(loaded.interaction.params.scope ?? 'openid').split(' ');
}

export async function showConsent(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  // the user is known by now: their saved language comes before Accept-Language
  const accountId = loaded.interaction.session?.accountId;
  const user = accountId ? await deps.services.repos.users.findById(accountId) : undefined;
  sendPage(
    ctx,
    200,
    h(ConsentPage, {
      page: pageFor(ctx, loaded, user?.locale),
      action: stepUrl(loaded.uid, 'consent'),
      abortAction: stepUrl(loaded.uid, 'abort'),
      csrf: deps.csrf.tokenFor(loaded.uid),
      clientName: loaded.clientName,
      scopes: requestedScopes(loaded),
    }),
  );
}

/** Records the user's consent as a Grant, the way oidc-provider's example does. */
export async function submitConsent(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { provider } = deps;
  const { interaction } = loaded;
  const accountId = interaction.session!.accountId;
  const details = interaction.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
  if (!grant) return redirectWithResult(ctx, deps, { error: 'access_denied', error_description: 'grant expired' });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await deps.services.audit.record({
    type: 'consent.granted',
    userId: accountId,
    clientId: String(interaction.params.client_id),
    ip: ctx.ip,
    userAgent: ctx.get('user-agent'),
    details: { scopes: details.missingOIDCScope ?? [] },
  });
  return redirectWithResult(ctx, deps, { consent: { grantId } });
}

export async function abortInteraction(ctx: Context, deps: InteractionDeps) {
  return redirectWithResult(ctx, deps, { error: 'access_denied', error_description: 'End-User aborted interaction' });
}
