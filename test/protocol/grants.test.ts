import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { relyingParty, signIn } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

for (const engine of engines()) {
  describe(`grants, algorithms and re-authentication (${engine})`, () => {
    let server: TestServer;
    let user: FixtureUser;
    let orgId: string;

    before(async () => {
      server = await startTestServer({ engine });
      const org = await createOrg(server.services, 'ACME');
      orgId = org.id;
      user = await createUser(server.services, org, { username: 'alice' });
    });
    after(() => server.stop({ dropDatabase: true }));

    it('issues client-credentials tokens that introspect as active for their client only', async () => {
      const machine = await createClient(server.services, { grantTypes: ['client_credentials'] });
      const config = await relyingParty(server.url, machine);
      const tokens = await oidc.clientCredentialsGrant(config);
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      const info = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(info.active, true);
      assert.equal(info.client_id, machine.clientId);

      const other = await createClient(server.services, { grantTypes: ['client_credentials'] });
      const otherConfig = await relyingParty(server.url, other);
      const foreign = await oidc.tokenIntrospection(otherConfig, tokens.access_token);
      assert.equal(foreign.active, false, 'another client learns nothing about the token');
    });

    it('refuses a wrong client secret', async () => {
      const machine = await createClient(server.services, { grantTypes: ['client_credentials'] });
      const config = await relyingParty(server.url, { ...machine, clientSecret: 'wrong-secret' });
      await assert.rejects(oidc.clientCredentialsGrant(config), (err: { status?: number; cause?: { parameters?: { error?: string } }[] }) => {
        assert.equal(err.status, 401);
        assert.equal(err.cause?.[0]?.parameters?.error, 'invalid_client');
        return true;
      });
    });

    for (const alg of ['ES256', 'EdDSA'] as const) {
      it(`signs ID tokens with ${alg} for a client that registers it`, async () => {
        const client = await createClient(server.services, { orgId, idTokenAlg: alg });
        const config = await relyingParty(server.url, client);
        const { tokens } = await signIn(server.url, config, client, user);
        const jwks = jose.createRemoteJWKSet(new URL(`${server.url}/jwks`));
        const { protectedHeader } = await jose.jwtVerify(tokens.id_token!, jwks, { issuer: server.url });
        assert.equal(protectedHeader.alg, alg);
      });
    }

    it('announces RS256, ES256 and EdDSA with RS256 first in discovery and JWKS', async () => {
      const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
      assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256', 'ES256', 'EdDSA']);
      const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: { alg: string; d?: string }[] };
      assert.deepEqual(jwks.keys.map((k) => k.alg), ['RS256', 'ES256', 'EdDSA']);
      assert.ok(jwks.keys.every((k) => k.d === undefined), 'no private parts published');
      assert.ok(discovery.code_challenge_methods_supported!.includes('S256'));
    });

    it('asks for the password again with prompt=login and max_age=0, with a new auth_time', async () => {
      const client = await createClient(server.services, { orgId });
      const config = await relyingParty(server.url, client);
      const first = await signIn(server.url, config, client, user);
      const t1 = first.tokens.claims()!.auth_time!;
      await new Promise((r) => setTimeout(r, 1100));
      const variants: Record<string, string>[] = [{ prompt: 'login' }, { max_age: '0' }];
      for (const params of variants) {
        const again = await signIn(server.url, config, client, user, params, first.session);
        assert.ok(again.tokens.claims()!.auth_time! > t1, `auth_time moves on with ${JSON.stringify(params)}`);
      }
    });
  });
}
