import type { Services } from '../services.js';

export const DEMO = {
  org: 'DEMO',
  username: 'demo',
  password: 'demo-password',
  clientId: 'demo-rp',
  clientSecret: 'demo-rp-secret',
  redirectUris: ['http://localhost:3001/callback'],
  postLogoutRedirectUris: ['http://localhost:3001/'],
} as const;

/** In development, an empty database gets a demo organisation, user and client to try. */
export async function seedDemo(services: Services): Promise<boolean> {
  const { orgs, users, clients } = services.repos;
  if ((await orgs.count()) > 0 || (await clients.count()) > 0) return false;
  const org = await orgs.create({ code: DEMO.org, name: 'Demo Organisation', settings: {} });
  await users.create({
    orgId: org.id,
    username: DEMO.username,
    passwordHash: await services.hasher.hash(DEMO.password),
    name: 'Demo User',
    email: 'demo@example.com',
  });
  await clients.create({
    name: 'Demo relying party',
    orgId: org.id,
    firstParty: true,
    requireMfa: false,
    metadata: {
      client_id: DEMO.clientId,
      client_secret: DEMO.clientSecret,
      client_name: 'Demo relying party',
      redirect_uris: [...DEMO.redirectUris],
      post_logout_redirect_uris: [...DEMO.postLogoutRedirectUris],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  });
  return true;
}
