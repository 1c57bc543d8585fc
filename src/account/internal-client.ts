import type { Services } from '../services.js';

/**
 * The account pages are a relying party of this very provider: a first-party public
 * client (authorization code + PKCE) that the server ensures at every start, so its
 * redirect URI follows IDP_ISSUER. Operators never manage it: `idp clients list` hides
 * it and `idp clients remove` refuses it.
 */
export const ACCOUNT_CLIENT_ID = 'idp-internal-account';
export const ACCOUNT_CALLBACK_PATH = '/account/callback';
export const ACCOUNT_SIGNED_OUT_PATH = '/account/signed-out';

/** Clients that belong to the provider itself rather than to an operator. */
export function isInternalClient(clientId: string): boolean {
  return clientId === ACCOUNT_CLIENT_ID;
}

export function accountClientMetadata(issuer: string) {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Account',
    redirect_uris: [`${issuer}${ACCOUNT_CALLBACK_PATH}`],
    post_logout_redirect_uris: [`${issuer}${ACCOUNT_SIGNED_OUT_PATH}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}

/** Creates the account client, or brings its redirect URIs up to date with the issuer. */
export async function ensureAccountClient(services: Services): Promise<void> {
  const { clients } = services.repos;
  const metadata = accountClientMetadata(services.config.issuer);
  const existing = await clients.find(ACCOUNT_CLIENT_ID);
  if (!existing) {
    await clients.create({ metadata, name: 'Account', orgId: null, firstParty: true, requireMfa: false });
    return;
  }
  const current = JSON.stringify(existing.metadata.redirect_uris) + JSON.stringify(existing.metadata.post_logout_redirect_uris);
  const wanted = JSON.stringify(metadata.redirect_uris) + JSON.stringify(metadata.post_logout_redirect_uris);
  if (current !== wanted) await clients.replaceMetadata(ACCOUNT_CLIENT_ID, metadata);
}
