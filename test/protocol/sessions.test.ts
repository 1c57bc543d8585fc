import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession, formAction, formField } from '../helpers/http-session.js';
import { authorizeSilently, openSignIn, relyingParty, signIn, startAuthorization } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

async function sessionExpiry(server: TestServer): Promise<number> {
  const rows = await server.services.knex('oidc_payloads').where({ type: 'Session' }).orderBy('expires_at', 'desc');
  return Number(rows[0]!.expires_at);
}

for (const engine of engines()) {
  describe(`IdP sessions and flows (${engine})`, () => {
    let server: TestServer;
    let client: FixtureClient;
    let user: FixtureUser;
    let config: oidc.Configuration;

    before(async () => {
      server = await startTestServer({ engine });
      const org = await createOrg(server.services, 'ACME', { sessionIdleMinutes: 30, sessionMaxHours: 12 });
      user = await createUser(server.services, org, { username: 'alice' });
      client = await createClient(server.services, { orgId: org.id });
      config = await relyingParty(server.url, client);
    });
    after(() => server.stop({ dropDatabase: true }));

    it('ends the session after 30 idle minutes by default, and each use extends it', async () => {
      await server.services.knex('oidc_payloads').where({ type: 'Session' }).delete();
      const { session } = await signIn(server.url, config, client, user);
      const expiry = await sessionExpiry(server);
      const idle = expiry - Date.now();
      assert.ok(idle > 29 * 60_000 && idle <= 30 * 60_000, `session expires in ${idle} ms`);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await authorizeSilently(session, config, client)).completed, true);
      assert.ok((await sessionExpiry(server)) > expiry, 'activity extends the session');

      // idle time passes (the stored expiry is what any instance checks)
      await server.services.knex('oidc_payloads').where({ type: 'Session' }).update({ expires_at: Date.now() - 1 });
      assert.equal((await authorizeSilently(session, config, client)).completed, false, 'an idle session asks for the password again');
    });

    it('takes idle and absolute lifetimes from the organisation', async () => {
      const org = await server.services.repos.orgs.findByCode('ACME');
      await server.services.repos.orgs.update(org!.id, { settings: { ...org!.settings, sessionIdleMinutes: 5 } });
      await server.services.knex('oidc_payloads').where({ type: 'Session' }).delete();
      await signIn(server.url, config, client, user);
      const idle = (await sessionExpiry(server)) - Date.now();
      assert.ok(idle > 4 * 60_000 && idle <= 5 * 60_000, `session expires in ${idle} ms`);

      // an absolute lifetime shorter than the idle timeout wins
      await server.services.repos.orgs.update(org!.id, { settings: { ...org!.settings, sessionIdleMinutes: 600, sessionMaxHours: 1 } });
      await server.services.knex('oidc_payloads').where({ type: 'Session' }).delete();
      await signIn(server.url, config, client, user);
      const capped = (await sessionExpiry(server)) - Date.now();
      assert.ok(capped > 59 * 60_000 && capped <= 60 * 60_000, `session expires in ${capped} ms`);
      await server.services.repos.orgs.update(org!.id, { settings: { ...org!.settings, sessionIdleMinutes: 30, sessionMaxHours: 12 } });
    });

    it('lets a second instance continue a sign-in started on the first', async () => {
      const second = await startTestServer({
        database: server.database,
        env: { IDP_ISSUER: server.config.issuer },
        secretKey: server.config.secretKey,
      });
      try {
        const session = new HttpSession(server.url);
        const start = await startAuthorization(config, client);
        const page = await openSignIn(session, start);
        // the password is posted to the other instance, with the same browser cookies
        const onSecond = new HttpSession(second.url);
        for (const name of ['_interaction', '_interaction.sig']) onSecond.setCookie(name, session.cookie(name)!);
        const res = await onSecond.post(new URL(formAction(page.html)!, second.url).toString(), {
          csrf: formField(page.html, 'csrf')!,
          username: user.username,
          password: user.password,
        });
        assert.equal(res.status, 303);
        const resume = new URL(res.headers.get('location')!);
        assert.equal(resume.origin, server.url, 'the result points back at the issuer');
        const { url } = await session.follow(await session.get(resume.toString()), resume.toString(), client.redirectUri);
        assert.ok(url.startsWith(client.redirectUri), `ended at ${url}`);
        const tokens = await oidc.authorizationCodeGrant(config, new URL(url), { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce });
        assert.equal(tokens.claims()!.sub, user.id);
      } finally {
        await second.stop();
      }
    });
  });
}
