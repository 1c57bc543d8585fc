import * as oidc from 'openid-client';
import type { Upstream } from '../db/upstreams.js';
import type { FederationFailure } from './errors.js';

/** Seconds to wait for an upstream's discovery, JWKS and token endpoints. */
const TIMEOUT_SECONDS = 10;
/** Discovery documents are reused for a while; a changed upstream row is discovered afresh. */
const CACHE_MS = 10 * 60_000;

const cache = new Map<string, { config: oidc.Configuration; at: number }>();

/**
 * openid-client's configuration for an upstream, by discovery (the discovered issuer must
 * equal the configured one). Plain-http issuers are accepted only outside production.
 */
export async function upstreamConfiguration(upstream: Upstream, production: boolean): Promise<oidc.Configuration> {
  const key = `${upstream.id}:${upstream.updatedAt}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.config;
  const insecure = new URL(upstream.issuer).protocol === 'http:';
  if (insecure && production) throw Object.assign(new Error('plain-http upstream issuer in production'), { failure: 'unreachable' });
  const config = await oidc.discovery(
    new URL(upstream.issuer),
    upstream.clientId,
    upstream.clientSecret ? { client_secret: upstream.clientSecret } : undefined,
    upstream.clientSecret ? oidc.ClientSecretBasic(upstream.clientSecret) : oidc.None(),
    { ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}), timeout: TIMEOUT_SECONDS },
  );
  config.timeout = TIMEOUT_SECONDS;
  cache.set(key, { config, at: Date.now() });
  return config;
}

/** Forgets the discovery of an upstream, e.g. after its keys or endpoints failed us. */
export function forgetUpstreamConfiguration(upstream: Upstream): void {
  cache.delete(`${upstream.id}:${upstream.updatedAt}`);
}

function messages(err: unknown): { text: string; codes: string[]; names: string[] } {
  const text: string[] = [];
  const codes: string[] = [];
  const names: string[] = [];
  let e = err as { message?: unknown; code?: unknown; name?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (typeof e.message === 'string') text.push(e.message);
    if (typeof e.code === 'string') codes.push(e.code);
    if (typeof e.name === 'string') names.push(e.name);
    e = e.cause as typeof e;
  }
  return { text: text.join(' | '), codes, names };
}

const ISSUER_CHECKS = new Set(['OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED', 'OAUTH_INVALID_RESPONSE']);

/** Which of our error pages an openid-client failure deserves. */
export function classifyUpstreamError(err: unknown): FederationFailure {
  if (err instanceof oidc.AuthorizationResponseError) return err.error === 'access_denied' ? 'denied' : 'rejected';
  if (err instanceof oidc.ResponseBodyError) return 'rejected';
  const { text, codes, names } = messages(err);
  // the response's iss parameter, the ID token's iss, or the discovered issuer differs
  if (/issuer/i.test(text) && codes.some((c) => ISSUER_CHECKS.has(c))) return 'wrong_issuer';
  if (/"nonce"/.test(text)) return 'nonce_mismatch';
  if (/"state"/.test(text)) return 'invalid_state';
  if (/signature verification failed/i.test(text) || codes.includes('OAUTH_KEY_SELECTION_FAILED')) return 'bad_signature';
  if (codes.includes('OAUTH_JWT_TIMESTAMP_CHECK_FAILED')) return 'token_expired';
  if (
    names.includes('AbortError') ||
    names.includes('TimeoutError') ||
    /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|timed? ?out/i.test(text) ||
    codes.some((c) => ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'OAUTH_TIMEOUT'].includes(c)) ||
    (err as { failure?: string }).failure === 'unreachable'
  ) {
    return 'unreachable';
  }
  return 'invalid_response';
}
