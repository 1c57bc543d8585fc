import type { OrgSettings } from '../../src/model.js';
import type { Services } from '../../src/services.js';
import { randomId } from '../../src/util/ids.js';

export interface FixtureUser {
  orgCode: string;
  username: string;
  password: string;
  id: string;
  orgId: string;
}

export async function createOrg(services: Services, code: string, settings: Partial<OrgSettings> = {}) {
  return services.repos.orgs.create({ code, name: `${code} Inc.`, settings });
}

export async function createUser(
  services: Services,
  org: { id: string; code: string },
  opts: { username?: string; password?: string; mustChangePassword?: boolean; email?: string; locale?: 'ja' | 'en'; name?: string } = {},
): Promise<FixtureUser> {
  const username = opts.username ?? `user-${randomId(4)}`;
  const password = opts.password ?? `pw-${randomId(9)}`;
  const user = await services.repos.users.create({
    orgId: org.id,
    username,
    passwordHash: await services.hasher.hash(password),
    mustChangePassword: opts.mustChangePassword ?? false,
    email: opts.email ?? `${username}@example.com`,
    locale: opts.locale ?? null,
    name: opts.name ?? null,
  });
  return { orgCode: org.code, username, password, id: user.id, orgId: org.id };
}

export interface FixtureClient {
  clientId: string;
  clientSecret?: string | undefined;
  redirectUri: string;
  postLogoutRedirectUri: string;
}

export async function createClient(
  services: Services,
  opts: {
    orgId?: string | null;
    public?: boolean;
    firstParty?: boolean;
    grantTypes?: string[];
    idTokenAlg?: string;
    name?: string;
  } = {},
): Promise<FixtureClient> {
  const clientId = `client-${randomId(6)}`;
  const clientSecret = opts.public ? undefined : randomId(24);
  const redirectUri = 'http://127.0.0.1:9/callback';
  const postLogoutRedirectUri = 'http://127.0.0.1:9/logged-out';
  await services.repos.clients.create({
    name: opts.name ?? clientId,
    orgId: opts.orgId ?? null,
    firstParty: opts.firstParty ?? true,
    requireMfa: false,
    metadata: {
      client_id: clientId,
      ...(clientSecret ? { client_secret: clientSecret } : {}),
      client_name: opts.name ?? clientId,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [postLogoutRedirectUri],
      grant_types: opts.grantTypes ?? ['authorization_code', 'refresh_token'],
      response_types: (opts.grantTypes ?? ['authorization_code']).includes('authorization_code') ? ['code'] : [],
      token_endpoint_auth_method: opts.public ? 'none' : 'client_secret_basic',
      ...(opts.idTokenAlg ? { id_token_signed_response_alg: opts.idTokenAlg } : {}),
    },
  });
  return { clientId, clientSecret, redirectUri, postLogoutRedirectUri };
}
