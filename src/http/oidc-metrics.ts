import type Provider from 'oidc-provider';
import { Counter, type Registry } from 'prom-client';

/** Token endpoint outcomes by grant type, from oidc-provider's own events. */
export function observeGrants(provider: Provider, registry: Registry): void {
  const grants = new Counter({
    name: 'idp_token_grants_total',
    help: 'Token endpoint requests by grant type and result',
    labelNames: ['grant_type', 'result'] as const,
    registers: [registry],
  });
  // a bounded label set: only the grant types the server enables
  const known = new Set(['authorization_code', 'refresh_token', 'client_credentials']);
  const typeOf = (ctx: { oidc?: { params?: { grant_type?: unknown } } }) => {
    const t = String(ctx.oidc?.params?.grant_type ?? '');
    return known.has(t) ? t : 'other';
  };
  provider.on('grant.success', (ctx) => grants.inc({ grant_type: typeOf(ctx), result: 'success' }));
  provider.on('grant.error', (ctx) => grants.inc({ grant_type: typeOf(ctx), result: 'error' }));
}
