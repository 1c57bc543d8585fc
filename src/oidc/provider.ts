import Provider, { type Configuration, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { acrLevel, acrValuesSupported, requiredAcrLevel } from '../auth/policy.js';
import type { Services } from '../services.js';
import { createAdapterClass } from './adapter.js';
import { createFindAccount, sessionLimitsByRequest } from './account.js';
import type { KeyMaterial } from './keys.js';
import { renderLoggedOut, renderLogout, renderOidcError } from '../../interactions/provider-pages.js';

const DEFAULT_SESSION = { idleSeconds: 30 * 60, maxSeconds: 12 * 3600 };

const ID_TOKEN_SECONDS = 3600;
const ACCESS_TOKEN_SECONDS = 3600;
const CLIENT_CREDENTIALS_SECONDS = 600;

/**
 * The longest lifetime of a token this server signs (ID tokens; access tokens are opaque
 * today, counted in case they become JWTs): a retired signing key stays in the JWKS this
 * long after it stops signing, so every token it signed still verifies.
 */
export const SIGNED_TOKEN_MAX_SECONDS = Math.max(ID_TOKEN_SECONDS, ACCESS_TOKEN_SECONDS, CLIENT_CREDENTIALS_SECONDS);

/**
 * oidc-provider treats acr_values as voluntary and would reuse a weaker session. Step-up:
 * a request for a level above the session's (e.g. phishing-resistant after a code) signs in again.
 */
function interactionPolicyWithStepUp() {
  const { Check, base } = interactionPolicy;
  const policy = base();
  policy.get('login')!.checks.add(
    new Check('acr_values_unmet', 'the requested authentication level is above the current session', (ctx) => {
      const requested = ctx.oidc.params?.acr_values;
      const needed = requiredAcrLevel(typeof requested === 'string' ? requested.split(' ') : []);
      return needed > acrLevel(ctx.oidc.acr) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}

/**
 * The session lasts while it is used (idle timeout) and never past its absolute
 * lifetime, both from the user's organisation (loaded by findAccount in this request).
 */
function sessionTtl(ctx: KoaContextWithOIDC, session: { loginTs?: number | undefined }): number {
  const limits = sessionLimitsByRequest.get(ctx) ?? DEFAULT_SESSION;
  const age = session.loginTs ? Math.floor(Date.now() / 1000) - session.loginTs : 0;
  return Math.max(1, Math.min(limits.idleSeconds, limits.maxSeconds - age));
}

export function createProvider(services: Services, keys: Pick<KeyMaterial, 'jwks' | 'cookieKeys'>): Provider {
  const { config } = services;
  const configuration: Configuration = {
    adapter: createAdapterClass(services.repos.payloads, services.clients.find),
    findAccount: createFindAccount(services),
    jwks: keys.jwks as Configuration['jwks'],
    cookies: {
      keys: keys.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'preferred_username', 'locale', 'org'],
      email: ['email', 'email_verified'],
      acr: null,
      amr: null,
      auth_time: null,
    },
    // idp:admin: admin API tokens (client credentials of --admin-api clients, src/admin/api)
    scopes: ['openid', 'offline_access', 'profile', 'email', 'idp:admin'],
    acrValues: acrValuesSupported,
    extraClientMetadata: { properties: ['org_id', 'first_party', 'require_mfa', 'admin_api'] },
    features: {
      devInteractions: { enabled: false },
      // a client may introspect or revoke only the tokens issued to it
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: renderLogout,
        postLogoutSuccessSource: renderLoggedOut,
      },
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256', 'EdDSA'],
    },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    responseTypes: ['code'],
    // Refresh tokens for clients allowed the grant; rotated on every use.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // First-party clients (the operator's own portals) need no consent screen.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (ctx.oidc.client!.metadata().first_party !== true) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid offline_access profile email');
      grant.addOIDCClaims(['sub', 'name', 'preferred_username', 'locale', 'org', 'email', 'email_verified']);
      await grant.save();
      return grant;
    },
    interactions: { policy: interactionPolicyWithStepUp(), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: renderOidcError,
    ttl: {
      AccessToken: ACCESS_TOKEN_SECONDS,
      AuthorizationCode: 60,
      ClientCredentials: CLIENT_CREDENTIALS_SECONDS,
      IdToken: ID_TOKEN_SECONDS,
      Interaction: 3600,
      Grant: 14 * 24 * 3600,
      RefreshToken: 14 * 24 * 3600,
      Session: sessionTtl as never,
    },
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
  };
  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  return provider;
}
