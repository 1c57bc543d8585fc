import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { relyingParty, signIn, signInSilently } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

for (const engine of engines()) {
  describe(`authorization code flow with PKCE (${engine})`, () => {
    let server: TestServer;
    let client: FixtureClient;
    let user: FixtureUser;
    let config: oidc.Configuration;

    before(async () => {
      server = await startTestServer({ engine });
      const org = await createOrg(server.services, 'ACME');
      user = await createUser(server.services, org, { username: 'alice', name: 'Alice Example', locale: 'en' });
      client = await createClient(server.services, { orgId: org.id, grantTypes: ['authorization_code', 'refresh_token'] });
      config = await relyingParty(server.url, client);
    });
    after(() => server.stop({ dropDatabase: true }));

    it('signs in with a password and issues tokens whose ID token verifies against the JWKS', async () => {
      const { tokens } = await signIn(server.url, config, client, user);
      const claims = tokens.claims()!;
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pwd']);
      assert.equal(claims.acr, 'urn:idp:acr:pwd');
      assert.equal(typeof claims.auth_time, 'number');
      const jwks = jose.createRemoteJWKSet(new URL(`${server.url}/jwks`));
      const { protectedHeader } = await jose.jwtVerify(tokens.id_token!, jwks, { issuer: server.url, audience: client.clientId });
      assert.equal(protectedHeader.alg, 'RS256');
    });

    it('serves userinfo with the profile, email and organisation claims', async () => {
      const { tokens } = await signIn(server.url, config, client, user);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
      assert.equal(info.preferred_username, 'alice');
      assert.equal(info.name, 'Alice Example');
      assert.equal(info.email, 'alice@example.com');
      assert.equal(info.email_verified, false);
      assert.equal(info.locale, 'en');
      assert.equal(info.org, 'ACME');
    });

    it('rotates refresh tokens: the old one stops working after use', async () => {
      const { tokens } = await signIn(server.url, config, client, user);
      const first = tokens.refresh_token!;
      assert.ok(first, 'a refresh token is issued');
      const refreshed = await oidc.refreshTokenGrant(config, first);
      assert.ok(refreshed.refresh_token && refreshed.refresh_token !== first);
      await assert.rejects(oidc.refreshTokenGrant(config, first), (err: { error?: string }) => err.error === 'invalid_grant');
    });

    it('introspects and revokes access tokens', async () => {
      const { tokens } = await signIn(server.url, config, client, user);
      const active = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(active.active, true);
      assert.equal(active.sub, user.id);
      await oidc.tokenRevocation(config, tokens.access_token);
      const revoked = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(revoked.active, false);
    });

    it('keeps the IdP session: a second authorization needs no password', async () => {
      const { session } = await signIn(server.url, config, client, user);
      const again = await signInSilently(session, config, client);
      assert.equal(again.claims()!.sub, user.id);
    });

    it('ends the session through RP-initiated logout after confirmation', async () => {
      const { tokens, session } = await signIn(server.url, config, client, user);
      const logoutUrl = oidc.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: client.postLogoutRedirectUri,
      });
      const page = await session.get(logoutUrl.toString(), { 'accept-language': 'ja' });
      const html = await page.text();
      assert.equal(page.status, 200);
      assert.match(html, /ログアウトしますか/);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
      const action = /action="([^"]+)"/.exec(html)![1]!;
      const done = await session.post(action, { xsrf, logout: 'yes' });
      assert.equal(done.status, 303);
      assert.ok(done.headers.get('location')!.startsWith(client.postLogoutRedirectUri));
      // the session is gone: authorization shows the sign-in page again
      await assert.rejects(signInSilently(session, config, client), /did not complete silently/);
    });
  });
}
