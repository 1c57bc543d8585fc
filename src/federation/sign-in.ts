import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Upstream } from '../db/upstreams.js';
import type { Services } from '../services.js';
import { FederationError } from './errors.js';
import { classifyUpstreamError, forgetUpstreamConfiguration, upstreamConfiguration } from './upstream-client.js';
import { upstreamAmr } from './upstream-mfa.js';

/** How long the user may take at the upstream provider. */
export const FEDERATION_REQUEST_MS = 10 * 60_000;

export const CALLBACK_PATH = '/federation/callback';

export function callbackUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}${CALLBACK_PATH}`;
}

const hashState = (state: string) => createHash('sha256').update(state).digest('hex');
const sealContext = (stateHash: string) => `federation:${stateHash}`;

/**
 * Sends a sign-in to an upstream provider: PKCE (S256), state and nonce are kept
 * server-side, keyed by the state's hash, so the callback (any instance) ties back to the
 * interaction. Returns the upstream authorization URL.
 */
export async function beginFederatedSignIn(
  services: Services,
  upstream: Upstream,
  flow: { uid: string; expiresAt: number },
  request: { reauthenticate?: boolean; maxAge?: number | undefined; uiLocales?: string | undefined },
  continueUrl: string,
): Promise<URL> {
  const production = services.config.nodeEnv === 'production';
  let config: oidc.Configuration;
  try {
    config = await upstreamConfiguration(upstream, production);
  } catch (err) {
    const failure = classifyUpstreamError(err);
    services.logger.warn({ err, upstream: upstream.slug }, 'upstream discovery failed');
    throw new FederationError(failure === 'wrong_issuer' ? 'wrong_issuer' : 'unreachable', upstream.displayName, continueUrl, String(err));
  }
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const stateHash = hashState(state);
  await services.repos.federationRequests.create({
    stateHash,
    flowUid: flow.uid,
    upstreamId: upstream.id,
    secretsSealed: services.box.seal(JSON.stringify({ codeVerifier, nonce }), sealContext(stateHash)),
    expiresAt: Math.min(Date.now() + FEDERATION_REQUEST_MS, flow.expiresAt),
  });
  return oidc.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl(services.config.issuer),
    scope: upstream.scopes,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    // a relying party's re-authentication must not be satisfied by the upstream's session
    ...(request.reauthenticate ? { prompt: 'login' } : {}),
    ...(request.maxAge !== undefined ? { max_age: String(request.maxAge) } : {}),
    ...(request.uiLocales ? { ui_locales: request.uiLocales } : {}),
  });
}

export interface FederatedIdentity {
  flowUid: string;
  upstream: Upstream;
  subject: string;
  amr: string[];
  acr: string | undefined;
  /** the upstream's auth_time (seconds), or now */
  authTime: number;
}

/** The state of a callback: its flow, or a FederationError when it is unknown, used or expired. */
async function takeRequest(services: Services, state: string | null) {
  if (!state || state.length > 512) throw new FederationError('invalid_state', '');
  const taken = await services.repos.federationRequests.take(hashState(state));
  if (!taken) throw new FederationError('invalid_state', '');
  if (taken === 'expired') throw new FederationError('expired', '');
  return taken;
}

/**
 * Completes the upstream's answer at our callback: the state must be one we issued
 * (single use, unexpired); openid-client checks the response's iss, exchanges the code
 * with the PKCE verifier and validates the ID token (signature through the upstream
 * JWKS, iss, aud, exp, nonce).
 */
export async function completeFederatedSignIn(services: Services, currentUrl: URL, continueUrlFor: (uid: string) => string): Promise<FederatedIdentity> {
  const state = currentUrl.searchParams.get('state');
  const request = await takeRequest(services, state);
  const continueUrl = continueUrlFor(request.flowUid);
  const upstream = await services.repos.upstreams.find(request.upstreamId);
  if (!upstream || !upstream.enabled) throw new FederationError('not_allowed', '', continueUrl);
  const fail = (err: unknown): never => {
    const failure = classifyUpstreamError(err);
    if (failure === 'bad_signature') forgetUpstreamConfiguration(upstream);
    services.logger.warn({ err, upstream: upstream.slug, failure }, 'upstream sign-in failed');
    throw new FederationError(failure, upstream.displayName, continueUrl, err instanceof Error ? err.message : String(err));
  };
  let secrets: { codeVerifier: string; nonce: string };
  try {
    secrets = JSON.parse(services.box.open(request.secretsSealed, sealContext(request.stateHash))) as typeof secrets;
  } catch {
    throw new FederationError('invalid_state', upstream.displayName, continueUrl);
  }
  let config: oidc.Configuration;
  try {
    config = await upstreamConfiguration(upstream, services.config.nodeEnv === 'production');
  } catch (err) {
    return fail(err);
  }
  // the redirect_uri sent to the token endpoint is our callback, whatever host the request used
  const answer = new URL(callbackUrl(services.config.issuer));
  answer.search = currentUrl.search;
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(config, answer, {
      pkceCodeVerifier: secrets.codeVerifier,
      expectedState: state!,
      expectedNonce: secrets.nonce,
      idTokenExpected: true,
    });
  } catch (err) {
    return fail(err);
  }
  const claims = tokens.claims();
  if (!claims || typeof claims.sub !== 'string' || !claims.sub || claims.sub.length > 255) return fail(new Error('ID token without a usable sub'));
  const now = Math.floor(Date.now() / 1000);
  const authTime = typeof claims.auth_time === 'number' && claims.auth_time <= now ? claims.auth_time : now;
  return {
    flowUid: request.flowUid,
    upstream,
    subject: claims.sub,
    amr: upstreamAmr(claims as { amr?: unknown }),
    acr: typeof claims.acr === 'string' ? claims.acr : undefined,
    authTime,
  };
}
