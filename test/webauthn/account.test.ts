/**
 * WebAuthn on the account pages over HTTP (software authenticator): a key registered at
 * sign-in is listed, renamed, used for the step-up, joined by a second key (excluded
 * from registering twice), and removed — never the last one where MFA is required.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AccountPage, newSession, openAccount, postAccount } from '../helpers/account.js';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { formField, type HttpSession } from '../helpers/http-session.js';
import { postStep } from '../helpers/mfa.js';
import { submitPassword } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';

for (const engine of engines()) {
  describe(`WebAuthn on the account pages (${engine})`, () => {
    let server: TestServer;
    let org: Awaited<ReturnType<typeof createOrg>>;
    let authenticator: SoftAuthenticator;

    before(async () => {
      server = await startTestServer({ engine });
      org = await createOrg(server.services, 'ACCT', { mfa: 'required', methods: ['totp', 'webauthn'] });
      authenticator = new SoftAuthenticator(server.url);
    });
    after(() => server.stop({ dropDatabase: true }));

    async function jsonFrom(session: HttpSession, page: { html: string }, path: string) {
      const csrf = formField(page.html, 'csrf')!;
      const res = await session.post(new URL(path, server.url).toString(), { csrf });
      assert.equal(res.status, 200, `${path}: ${res.status}`);
      return res.json();
    }

    /** Signs in to /account, registering a key at the forced set-up. */
    async function signedInWithKey(user: FixtureUser, session: HttpSession): Promise<AccountPage> {
      const start = await openAccount(session, '/account/security');
      const after = await submitPassword(session, start, user, 'http://never.invalid/');
      const choose = { html: await after.res.text(), url: after.url };
      const chosen = await postStep(session, choose, 'enrol-choose', { method: 'webauthn' });
      const optionsRes = await postStep(session, chosen, 'enrol-webauthn-options');
      const { response } = authenticator.register(JSON.parse(optionsRes.html));
      const codes = await postStep(session, chosen, 'enrol-webauthn', { response: JSON.stringify(response), label: 'First key' });
      const res = await session.post(new URL(codes.url).pathname + '/backup-codes', { csrf: formField(codes.html, 'csrf')!, saved: 'yes' });
      const landed = await session.follow(res, new URL(codes.url).toString());
      return { res: landed.res, url: landed.url, html: await landed.res.text() };
    }

    it('lists, renames, steps up with, adds and removes keys', async () => {
      const user = await createUser(server.services, org);
      const session = newSession(server.url);
      const security = await signedInWithKey(user, session);
      assert.match(security.url, /\/account\/security$/);
      const [first] = await server.services.repos.webauthnCredentials.listByUser(user.id);
      assert.match(security.html, new RegExp(`data-factor="${first!.id}" data-type="webauthn"`));
      assert.match(security.html, /id="add-webauthn"/);

      const renamed = await postAccount(session, security, `/account/factors/webauthn/${first!.id}/rename`, { label: 'YubiKey' });
      assert.match(renamed.html, /YubiKey/);

      // the key as the step-up itself
      const options = await jsonFrom(session, renamed, '/account/verify/webauthn-options');
      const stepped = await postAccount(session, renamed, '/account/verify/webauthn', {
        response: JSON.stringify(authenticator.assert(authenticator.credentials.at(-1)!, options.challenge)),
        return: '/account/factors/webauthn/new',
      });
      assert.match(stepped.url, /\/account\/factors\/webauthn\/new$/);
      assert.match(stepped.html, /data-webauthn="register"/);
      const audit = await server.services.knex('audit_events').where({ user_id: user.id, type: 'account.step_up' });
      assert.ok(audit.some((e: { details: string }) => String(e.details).includes('webauthn')));

      // a second key; the first is excluded from registering again
      const regOptions = await jsonFrom(session, stepped, '/account/factors/webauthn/options');
      assert.deepEqual(
        regOptions.excludeCredentials.map((c: { id: string }) => c.id),
        [first!.credentialId],
      );
      const { response } = authenticator.register(regOptions);
      const added = await postAccount(session, stepped, '/account/factors/webauthn', { response: JSON.stringify(response), label: 'Laptop' });
      assert.match(added.url, /done=added/);
      const keys = await server.services.repos.webauthnCredentials.listByUser(user.id);
      assert.deepEqual(keys.map((k) => k.label), ['YubiKey', 'Laptop']);

      // remove one; the last one stays (the organisation requires MFA)
      const removed = await postAccount(session, added, `/account/factors/webauthn/${keys[0]!.id}/remove`);
      assert.match(removed.url, /done=removed/);
      const last = await session.post(new URL(`/account/factors/webauthn/${keys[1]!.id}/remove`, server.url).toString(), { csrf: formField(removed.html, 'csrf')! });
      assert.ok(last.status >= 400 && last.status < 500, `removing the last factor: ${last.status}`);
      assert.equal(await server.services.repos.webauthnCredentials.countByUser(user.id), 1);
    });

    it("refuses another user's key by id, a wrong answer, and a registration without a fresh challenge", async () => {
      const alice = await createUser(server.services, org);
      const bob = await createUser(server.services, org);
      const aliceSession = newSession(server.url);
      const page = await signedInWithKey(alice, aliceSession);
      await signedInWithKey(bob, newSession(server.url));
      const [bobsKey] = await server.services.repos.webauthnCredentials.listByUser(bob.id);

      const rename = await aliceSession.post(new URL(`/account/factors/webauthn/${bobsKey!.id}/rename`, server.url).toString(), { csrf: formField(page.html, 'csrf')!, label: 'mine now' });
      assert.equal(rename.status, 404);
      const remove = await aliceSession.post(new URL(`/account/factors/webauthn/${bobsKey!.id}/remove`, server.url).toString(), { csrf: formField(page.html, 'csrf')! });
      assert.equal(remove.status, 404);
      const [after] = await server.services.repos.webauthnCredentials.listByUser(bob.id);
      assert.equal(after?.label, bobsKey!.label);

      const bad = await postAccount(aliceSession, page, '/account/verify/webauthn', { response: 'garbage', return: '/account/security' });
      assert.equal(bad.res.status, 400);
      const { response } = authenticator.register({ challenge: 'A'.repeat(43), user: { id: 'x' } });
      const unsolicited = await postAccount(aliceSession, page, '/account/factors/webauthn', { response: JSON.stringify(response) });
      assert.equal(unsolicited.res.status, 400);
      assert.equal(await server.services.repos.webauthnCredentials.countByUser(alice.id), 1);
    });
  });
}
