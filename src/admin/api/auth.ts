import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Organisation } from '../../model.js';
import type { Services } from '../../services.js';
import { AdminError } from '../errors.js';

/** The scope an admin API token must carry. */
export const ADMIN_SCOPE = 'idp:admin';

/** Who is calling the admin API: an automation client, bound to one organisation or operator-wide. */
export interface ApiCaller {
  clientId: string;
  /** the organisation the client is bound to; null = an operator-wide client (every organisation) */
  orgId: string | null;
}

export class UnauthenticatedError extends AdminError {
  constructor(detail: string) {
    super(401, 'invalid_token', 'admin.error.unauthenticated', detail);
  }
}

export class InsufficientScopeError extends AdminError {
  constructor(detail: string) {
    super(403, 'insufficient_scope', 'admin.error.forbidden', detail);
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_.~+/-]{20,512}=*)$/;

/**
 * Checks the request's bearer token with oidc-provider itself: it must be a live
 * client-credentials token carrying the admin scope, issued to a client the operator
 * registered with --admin-api. The client is read again on every request, so removing it
 * (idp clients remove) stops its tokens at once.
 */
export async function authenticate(ctx: Context, provider: Provider, services: Services): Promise<ApiCaller> {
  const header = ctx.get('authorization');
  const match = BEARER.exec(header);
  if (!match) throw new UnauthenticatedError(header ? 'the Authorization header must be "Bearer <access token>"' : 'an access token is required');
  const token = await provider.ClientCredentials.find(match[1]!);
  if (!token?.clientId) throw new UnauthenticatedError('the access token is unknown or expired');
  const scopes = new Set(String(token.scope ?? '').split(' '));
  if (!scopes.has(ADMIN_SCOPE)) throw new InsufficientScopeError(`the access token lacks the ${ADMIN_SCOPE} scope`);
  const client = await services.repos.clients.find(token.clientId);
  if (!client) throw new UnauthenticatedError('the client of this access token no longer exists');
  if (client.metadata.admin_api !== true) throw new InsufficientScopeError('this client is not allowed to use the admin API (idp clients add … --admin-api)');
  return { clientId: client.clientId, orgId: client.orgId };
}

/**
 * The organisation named in the path, if the caller may act on it. Another organisation
 * than the client's is answered exactly like an unknown one.
 */
export function mayActOn(caller: ApiCaller, org: Organisation | undefined): org is Organisation {
  return Boolean(org && (caller.orgId === null || caller.orgId === org.id));
}
