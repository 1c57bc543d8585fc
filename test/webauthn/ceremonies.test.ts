import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession } from '../helpers/http-session.js';
import { addTotpFactor, backupCodesOnPage, postStep, totpCode } from '../helpers/mfa.js';
import { openSignIn, relyingParty, startAuthorization, submitPassword, type AuthorizationStart } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';
import { SoftAuthenticator, type SoftCredential } from '../helpers/soft-authenticator.js';

type Page = { html: string; url: string };

for (const engine of engines()) {
  describe(`WebAuthn ceremonies over HTTP with a software authenticator (${engine})`, () => {
    let server: TestServer;
    let client: FixtureClient;
    let config: oidc.Configuration;
    let org: Awaited<ReturnType<typeof createOrg>>;
    let authenticator: SoftAuthenticator;

    before(async () => {
      server = await startTestServer({ engine });
      org = await createOrg(server.services, 'ACME', { mfa: 'required', methods: ['totp', 'email', 'webauthn'], passkeys: true });
      client = await createClient(server.services, { orgId: org.id });
      config = await relyingParty(server.url, client);
      authenticator = new SoftAuthenticator(server.url);
    });
    after(() => server.stop({ dropDatabase: true }));

    const session = () => new HttpSession(server.url, { 'accept-language': 'en' });

    async function passwordStep(s: HttpSession, user: FixtureUser, params: Record<string, string> = {}) {
      const start = await startAuthorization(config, client, params);
      const page = await openSignIn(s, start);
      const end = await submitPassword(s, page, user, client.redirectUri);
      return { start, url: end.url, html: end.url.startsWith(client.redirectUri) ? '' : await end.res.text(), status: end.res.status };
    }

    /** POSTs to an options endpoint of the page's interaction, as the page's script does. */
    async function optionsFor(s: HttpSession, page: Page, step: string) {
      const res = await postStep(s, page, step);
      assert.equal(res.res.status, 200, `options from ${step}: ${res.html.slice(0, 200)}`);
      assert.match(res.res.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(res.res.headers.get('cache-control'), 'no-store');
      return JSON.parse(res.html);
    }

    async function tokensFrom(url: string, start: AuthorizationStart) {
      assert.ok(url.startsWith(client.redirectUri), `expected the redirect URI, ended at ${url}`);
      return oidc.authorizationCodeGrant(config, new URL(url), { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce });
    }

    /** A user who enrolled a key at the forced set-up; returns the credential the authenticator holds. */
    async function userWithKey(): Promise<{ user: FixtureUser; credential: SoftCredential }> {
      const user = await createUser(server.services, org);
      const s = session();
      const step = await passwordStep(s, user);
      const chosen = await postStep(s, step, 'enrol-choose', { method: 'webauthn' });
      const options = await optionsFor(s, chosen, 'enrol-webauthn-options');
      const { credential, response } = authenticator.register(options);
      const saved = await postStep(s, chosen, 'enrol-webauthn', { response: JSON.stringify(response), label: 'Desk key' });
      const done = await postStep(s, saved, 'backup-codes', { saved: 'yes' });
      assert.ok(done.url.startsWith(client.redirectUri), `enrolment did not finish: ${done.url}`);
      return { user, credential };
    }

    async function auditTypes(userId: string): Promise<string[]> {
      return (await server.services.knex('audit_events').where({ user_id: userId }).orderBy('id')).map((r: { type: string }) => r.type);
    }

    it('enrols a key at the forced set-up: options bound to the issuer, opaque user handle, stored with its name', async () => {
      const user = await createUser(server.services, org, { username: 'alice' });
      const s = session();
      const step = await passwordStep(s, user);
      assert.match(step.html, /id="enrol-webauthn"/);
      const chosen = await postStep(s, step, 'enrol-choose', { method: 'webauthn' });
      assert.match(chosen.html, /data-webauthn="register"/);
      assert.match(chosen.html, /src="\/assets\/simplewebauthn-browser.js"/);

      const options = await optionsFor(s, chosen, 'enrol-webauthn-options');
      assert.equal(options.rp.id, 'localhost');
      assert.equal(options.attestation, 'none');
      assert.deepEqual(options.excludeCredentials, []);
      assert.equal(options.authenticatorSelection.residentKey, 'preferred');
      const handle = Buffer.from(options.user.id, 'base64url');
      assert.equal(handle.length, 32, 'a random 32-byte user handle');
      assert.ok(!handle.toString('utf8').includes('alice') && !options.user.id.includes(user.id), 'the handle reveals neither username nor row id');

      const { response } = authenticator.register(options);
      const saved = await postStep(s, chosen, 'enrol-webauthn', { response: JSON.stringify(response), label: 'Desk key' });
      assert.equal(backupCodesOnPage(saved.html).length, 10, 'backup codes follow the first factor');
      const done = await postStep(s, saved, 'backup-codes', { saved: 'yes' });
      const tokens = await tokensFrom(done.url, step.start);
      const claims = tokens.claims()!;
      assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
      assert.equal(claims.acr, 'urn:idp:acr:mfa', 'registering a key is not a phishing-resistant sign-in');

      const [stored] = await server.services.repos.webauthnCredentials.listByUser(user.id);
      assert.equal(stored?.label, 'Desk key');
      assert.equal(stored?.credentialId, response.id);
      assert.equal(stored?.discoverable, true);
      assert.ok((await auditTypes(user.id)).includes('mfa.factor_added'));
    });

    it('asks for the key after the password: allowCredentials names it, amr hwk+user, acr phishing-resistant, counter stored', async () => {
      const { user, credential } = await userWithKey();
      const s = session();
      const step = await passwordStep(s, user);
      assert.match(step.html, /data-webauthn="authenticate"/);
      const options = await optionsFor(s, step, 'mfa-webauthn-options');
      assert.deepEqual(
        options.allowCredentials.map((c: { id: string }) => c.id),
        [credential.id.toString('base64url')],
      );
      const answer = authenticator.assert(credential, options.challenge);
      const done = await postStep(s, step, 'mfa-webauthn', { response: JSON.stringify(answer) });
      const claims = (await tokensFrom(done.url, step.start)).claims()!;
      assert.deepEqual(claims.amr, ['pwd', 'hwk', 'user', 'mfa']);
      assert.equal(claims.acr, 'urn:idp:acr:phr');
      const [stored] = await server.services.repos.webauthnCredentials.listByUser(user.id);
      assert.equal(stored?.counter, credential.counter);
      assert.ok(stored?.lastUsedAt);
    });

    it('refuses a replayed answer and an expired challenge, and keeps the sign-in where it was', async () => {
      const { user, credential } = await userWithKey();
      const s = session();
      const step = await passwordStep(s, user);
      const options = await optionsFor(s, step, 'mfa-webauthn-options');
      const answer = JSON.stringify(authenticator.assert(credential, options.challenge));
      const ok = await postStep(s, step, 'mfa-webauthn', { response: answer });
      assert.ok(ok.url.startsWith(client.redirectUri));

      // the same answer in a new sign-in: its challenge is used (and belongs to another flow)
      const s2 = session();
      const step2 = await passwordStep(s2, user);
      const replay = await postStep(s2, step2, 'mfa-webauthn', { response: answer });
      assert.equal(replay.res.status, 400);
      assert.match(replay.html, /expired or was already used/);

      // a challenge that outlived its five minutes
      const fresh = await optionsFor(s2, step2, 'mfa-webauthn-options');
      await server.services.knex('webauthn_challenges').where({ challenge: fresh.challenge }).update({ expires_at: Date.now() - 1 });
      const late = await postStep(s2, step2, 'mfa-webauthn', { response: JSON.stringify(authenticator.assert(credential, fresh.challenge)) });
      assert.equal(late.res.status, 400);
      assert.match(late.html, /expired or was already used/);
      assert.match(late.html, /data-webauthn="authenticate"/, 'the key can be tried again');
      const flow = await server.services.knex('login_flows').where({ uid: new URL(step2.url).pathname.split('/')[2] }).first();
      assert.equal(flow.state, 'mfa');
    });

    it('refuses an answer signed for another origin, and audits it', async () => {
      const { user, credential } = await userWithKey();
      const s = session();
      const step = await passwordStep(s, user);
      const options = await optionsFor(s, step, 'mfa-webauthn-options');
      const phished = authenticator.assert(credential, options.challenge, { origin: 'https://idp.example.evil' });
      const res = await postStep(s, step, 'mfa-webauthn', { response: JSON.stringify(phished) });
      assert.equal(res.res.status, 400);
      assert.match(res.html, /could not be verified/);
      assert.ok((await auditTypes(user.id)).includes('webauthn.failed'));
    });

    it("refuses another user's key for this user's challenge", async () => {
      const alice = await userWithKey();
      const bob = await userWithKey();
      const s = session();
      const step = await passwordStep(s, alice.user);
      const options = await optionsFor(s, step, 'mfa-webauthn-options');
      const [before] = await server.services.repos.webauthnCredentials.listByUser(bob.user.id);
      const res = await postStep(s, step, 'mfa-webauthn', { response: JSON.stringify(authenticator.assert(bob.credential, options.challenge)) });
      assert.equal(res.res.status, 400);
      assert.match(res.html, /not registered for your account/);
      const [afterwards] = await server.services.repos.webauthnCredentials.listByUser(bob.user.id);
      assert.deepEqual(afterwards, before, "bob's key is untouched");
    });

    it('refuses a signature counter that goes backwards (a cloned key) and audits the regression', async () => {
      const { user, credential } = await userWithKey();
      await server.services.knex('webauthn_credentials').where({ user_id: user.id }).update({ counter: 100 });
      const s = session();
      const step = await passwordStep(s, user);
      const options = await optionsFor(s, step, 'mfa-webauthn-options');
      const res = await postStep(s, step, 'mfa-webauthn', { response: JSON.stringify(authenticator.assert(credential, options.challenge, { counter: 5 })) });
      assert.equal(res.res.status, 400);
      assert.match(res.html, /unexpected use count/);
      assert.ok((await auditTypes(user.id)).includes('webauthn.counter_regression'));
      const [stored] = await server.services.repos.webauthnCredentials.listByUser(user.id);
      assert.equal(stored?.counter, 100);
    });

    it('answers malformed, oversized and out-of-order posts with 4xx and stores nothing', async () => {
      const user = await createUser(server.services, org);
      const s = session();
      const step = await passwordStep(s, user);
      const chosen = await postStep(s, step, 'enrol-choose', { method: 'webauthn' });
      for (const bad of ['not json', '{}', JSON.stringify({ id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: '!!', attestationObject: 'a' } })]) {
        const res = await postStep(s, chosen, 'enrol-webauthn', { response: bad });
        assert.equal(res.res.status, 400, bad);
        assert.match(res.html, /could not read/);
      }
      const huge = await postStep(s, chosen, 'enrol-webauthn', { response: 'a'.repeat(70_000) });
      assert.equal(huge.res.status, 413);
      const early = await postStep(s, chosen, 'mfa-webauthn', { response: '{}' });
      assert.equal(early.res.status, 409, 'a second-factor answer before any key exists is out of order');
      const noCsrf = await s.post(new URL(chosen.url).pathname.replace(/\/?$/, '/enrol-webauthn-options'), {});
      assert.equal(noCsrf.status, 403);
      assert.equal(await server.services.repos.webauthnCredentials.countByUser(user.id), 0);
    });

    it('refuses a registration answer twice, and an authenticator model outside the allow-list', async () => {
      const strict = await createOrg(server.services, 'STRICT', { mfa: 'required', methods: ['webauthn'], webauthnAaguids: ['01020304-0506-0708-0102-030405060708'] });
      const strictClient = await createClient(server.services, { orgId: strict.id });
      const strictConfig = await relyingParty(server.url, strictClient);
      const user = await createUser(server.services, strict);
      const s = session();
      const start = await startAuthorization(strictConfig, strictClient);
      const end = await submitPassword(s, await openSignIn(s, start), user, strictClient.redirectUri);
      const page = { html: await end.res.text(), url: end.url };
      assert.match(page.html, /data-webauthn="register"/, 'the only method goes straight to registration');
      const options = await optionsFor(s, page, 'enrol-webauthn-options');
      assert.equal(options.attestation, 'direct', 'an allow-list asks for attestation');
      const { response } = authenticator.register(options);
      const refused = await postStep(s, page, 'enrol-webauthn', { response: JSON.stringify(response) });
      assert.equal(refused.res.status, 400);
      assert.match(refused.html, /does not allow this model/);
      const again = await postStep(s, page, 'enrol-webauthn', { response: JSON.stringify(response) });
      assert.equal(again.res.status, 400);
      assert.match(again.html, /expired or was already used/);
      assert.equal(await server.services.repos.webauthnCredentials.countByUser(user.id), 0);
    });

    it('signs in with a passkey alone: discoverable, user verified, one step that satisfies MFA', async () => {
      const { user, credential } = await userWithKey();
      const s = session();
      const start = await startAuthorization(config, client);
      const page = await openSignIn(s, start);
      assert.match(page.html, /id="passkey-sign-in"/);
      const options = await optionsFor(s, page, 'passkey-options');
      assert.equal(options.userVerification, 'required');
      assert.equal(options.allowCredentials, undefined, 'no user is named before the passkey answers');

      const noUv = await postStep(s, page, 'passkey', { response: JSON.stringify(authenticator.assert(credential, options.challenge, { uv: false })) });
      assert.equal(noUv.res.status, 400, 'a passkey without user verification is not enough');

      const again = await optionsFor(s, page, 'passkey-options');
      const noHandle = await postStep(s, page, 'passkey', { response: JSON.stringify(authenticator.assert(credential, again.challenge, { withUserHandle: false })) });
      assert.equal(noHandle.res.status, 400, 'a passkey answer names its user handle');

      const third = await optionsFor(s, page, 'passkey-options');
      const done = await postStep(s, page, 'passkey', { response: JSON.stringify(authenticator.assert(credential, third.challenge)) });
      const claims = (await tokensFrom(done.url, start)).claims()!;
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa']);
      assert.equal(claims.acr, 'urn:idp:acr:phr');
    });

    it('offers no passkey where the organisation does not allow it, and refuses one posted anyway', async () => {
      const plain = await createOrg(server.services, 'PLAIN', { mfa: 'required', methods: ['webauthn'] });
      const plainClient = await createClient(server.services, { orgId: plain.id });
      const plainConfig = await relyingParty(server.url, plainClient);
      const s = session();
      const page = await openSignIn(s, await startAuthorization(plainConfig, plainClient));
      assert.doesNotMatch(page.html, /passkey-sign-in/);
      const res = await postStep(s, page, 'passkey-options');
      assert.equal(res.res.status, 404);

      // a passkey of an ACME user on a client bound to PLAIN
      const { credential } = await userWithKey();
      const acmeSession = session();
      const acmePage = await openSignIn(acmeSession, await startAuthorization(config, client));
      const options = await optionsFor(acmeSession, acmePage, 'passkey-options');
      const answer = authenticator.assert(credential, options.challenge);
      const crossed = await postStep(s, page, 'passkey', { response: JSON.stringify(answer) });
      assert.equal(crossed.res.status, 404);
    });

    it('step-up: acr_values=phr demands the key even with a live session, a remembered browser and a TOTP app', async () => {
      const { user, credential } = await userWithKey();
      const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
      await addTotpFactor(server.services, user.id, secret);
      const s = session();
      const first = await passwordStep(s, user);
      const totpPage = await postStep(s, first, 'mfa-method', { method: 'totp' });
      const remembered = await postStep(s, totpPage, 'mfa', { method: 'totp', code: totpCode(secret), remember: 'yes' });
      const firstClaims = (await tokensFrom(remembered.url, first.start)).claims()!;
      assert.equal(firstClaims.acr, 'urn:idp:acr:mfa');

      const other = session();
      other.setCookie('idp_rb', s.cookie('idp_rb')!);
      const second = await passwordStep(other, user);
      assert.ok(second.url.startsWith(client.redirectUri), 'the remembered browser skips the second factor');

      // the session of `s` is MFA-level; asking for phishing-resistant signs in again
      const stepUp = await startAuthorization(config, client, { acr_values: 'urn:idp:acr:phr' });
      const loginPage = await openSignIn(s, stepUp);
      assert.match(loginPage.html, /name="password"/, 'a weaker session is not reused');
      const end = await submitPassword(s, loginPage, user, client.redirectUri);
      const mfaPage = { html: await end.res.text(), url: end.url };
      assert.match(mfaPage.html, /data-webauthn="authenticate"/);
      assert.doesNotMatch(mfaPage.html, /id="use-totp"/, 'no code can stand in for the key');
      assert.doesNotMatch(mfaPage.html, /id="use-backup"/);
      const codeInstead = await postStep(s, mfaPage, 'mfa', { method: 'totp', code: totpCode(secret, 1) });
      assert.ok(!codeInstead.url.startsWith(client.redirectUri), 'a TOTP code does not finish a phishing-resistant sign-in');
      const options = await optionsFor(s, mfaPage, 'mfa-webauthn-options');
      const done = await postStep(s, mfaPage, 'mfa-webauthn', { response: JSON.stringify(authenticator.assert(credential, options.challenge)) });
      assert.equal((await tokensFrom(done.url, stepUp)).claims()!.acr, 'urn:idp:acr:phr');

      // now the session is phishing-resistant: an MFA-level request reuses it silently
      const again = await startAuthorization(config, client, { acr_values: 'urn:idp:acr:mfa' });
      const silent = await s.follow(await s.get(again.url.toString()), again.url.toString(), client.redirectUri);
      assert.ok(silent.url.startsWith(client.redirectUri), `a stronger session satisfies a weaker request; ended at ${silent.url}`);
    });

    it('step-up without a registered key: a page that explains, and access_denied back at the application', async () => {
      const user = await createUser(server.services, org);
      await server.services.repos.factors.create({ userId: user.id, type: 'email', label: 'mail', email: 'x@example.com', confirmedAt: Date.now() });
      const s = session();
      const step = await passwordStep(s, user, { acr_values: 'urn:idp:acr:phr' });
      assert.equal(step.status, 403);
      assert.match(step.html, /Security key or biometrics required/);
      const back = await postStep(s, step, 'abort');
      const url = new URL(back.url);
      assert.equal(url.searchParams.get('error'), 'access_denied');
    });

    it('seed 002: the box on the code page leads to a registration offer at the next sign-in, which can be declined', async () => {
      const user = await createUser(server.services, org);
      const secret = 'KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TF';
      await addTotpFactor(server.services, user.id, secret);
      const s = session();
      const first = await passwordStep(s, user);
      assert.match(first.html, /name="offerWebauthn"/);
      const done = await postStep(s, first, 'mfa', { method: 'totp', code: totpCode(secret), offerWebauthn: 'yes' });
      assert.ok(done.url.startsWith(client.redirectUri), 'this sign-in finishes as usual');

      const s2 = session();
      const next = await passwordStep(s2, user);
      const withCode = await postStep(s2, next, 'mfa', { method: 'totp', code: totpCode(secret, 1) });
      assert.match(withCode.html, /Register biometrics or a security key\?/);
      const options = await optionsFor(s2, withCode, 'offer-webauthn-options');
      const { response } = authenticator.register(options);
      const registered = await postStep(s2, withCode, 'offer-webauthn', { response: JSON.stringify(response), label: 'Phone key' });
      assert.ok(registered.url.startsWith(client.redirectUri));
      assert.equal(await server.services.repos.webauthnCredentials.countByUser(user.id), 1);
      assert.equal((await server.services.repos.users.findById(user.id))?.webauthnOffer, false);

      // and declining: ask again, then "not now"
      await server.services.webauthn.setOffer(user.id, true);
      const s3 = session();
      const third = await passwordStep(s3, user);
      const options3 = await optionsFor(s3, third, 'mfa-webauthn-options');
      const [cred] = authenticator.credentials.slice(-1);
      const afterKey = await postStep(s3, third, 'mfa-webauthn', { response: JSON.stringify(authenticator.assert(cred!, options3.challenge)) });
      assert.match(afterKey.html, /Register biometrics or a security key\?/);
      const excl = await optionsFor(s3, afterKey, 'offer-webauthn-options');
      assert.deepEqual(excl.excludeCredentials.map((c: { id: string }) => c.id), [response.id], 'keys already registered are excluded');
      const skipped = await postStep(s3, afterKey, 'offer-skip');
      assert.ok(skipped.url.startsWith(client.redirectUri));
      assert.equal((await server.services.repos.users.findById(user.id))?.webauthnOffer, false);
      assert.ok((await auditTypes(user.id)).includes('webauthn.offer_declined'));
    });

    it('resetting MFA removes the keys too', async () => {
      const { user } = await userWithKey();
      await server.services.secondFactors.reset({ id: user.id, orgId: user.orgId }, 'test');
      assert.equal(await server.services.repos.webauthnCredentials.countByUser(user.id), 0);
    });
  });
}
