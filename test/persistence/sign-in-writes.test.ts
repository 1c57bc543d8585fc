import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession, formAction, formField } from '../helpers/http-session.js';
import { addTotpFactor, postStep, totpCode } from '../helpers/mfa.js';
import { openSignIn, relyingParty, startAuthorization, submitPassword } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Database writes per sign-in, as the server counts them (idp_db_rows_written_total: rows
 * inserted, updated or deleted; on PostgreSQL one statement may carry the rows of several
 * concurrent requests, src/db/pg-batch.ts). Every write of a sign-in
 * is a round trip and, on PostgreSQL, a WAL flush: the exact numbers are asserted so
 * that a new write shows up here and is a decision, not an accident.
 *
 * A TOTP sign-in: oidc-provider's 9 (interaction saved at /auth and at the result,
 * interaction removed at the resume, session, grant, authorization code saved and
 * consumed, access token, refresh token) and ours: the flow stored by the password step
 * (already moved on to the TOTP step; showing the sign-in page writes nothing), the TOTP
 * step taken (replay protection, which also makes the last step single-use, so the flow
 * is not written again), and the audit event `login.succeeded`.
 */
const TOTP_SIGN_IN_WRITES = 12;
/**
 * The same without the TOTP step: the flow stored by the password step (as done), the
 * audit event (one: `login.succeeded` says remembered and which browser).
 */
const REMEMBERED_SIGN_IN_WRITES = 11;
/**
 * Once an hour, not at every sign-in: the user's last sign-in (users.last_login_at, also
 * written at the first sign-in and when the second-factor method changes) and a
 * remembered browser's last use.
 */
const HOURLY_WRITES = 1;

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

for (const engine of engines()) {
  describe(`database writes per sign-in (${engine})`, () => {
    let server: TestServer;
    let client: FixtureClient;
    let config: oidc.Configuration;
    let user: FixtureUser;
    /** the write statements seen since the last reset, for a readable failure */
    let written: string[] = [];

    before(async () => {
      server = await startTestServer({ engine });
      const org = await createOrg(server.services, 'ACME', { mfa: 'required', methods: ['totp'] });
      user = await createUser(server.services, org, { username: 'alice' });
      await addTotpFactor(server.services, user.id, SECRET);
      client = await createClient(server.services, { orgId: org.id });
      config = await relyingParty(server.url, client);
      server.services.knex.on('query-response', (_res: unknown, q: { sql?: string }) => {
        if (q.sql && /^\s*(insert|update|delete|with)\b/i.test(q.sql)) written.push(q.sql.replace(/\s+/g, ' ').slice(0, 140));
      });
    });
    after(() => server.stop({ dropDatabase: true }));

    const writes = async () => metric(await (await fetch(`${server.url}/metrics`)).text(), 'idp_db_rows_written_total');

    /** /auth → sign-in page → password → (TOTP page → code) → resume → code exchange. */
    async function signIn(session: HttpSession, totpOffset?: number) {
      const start = await startAuthorization(config, client);
      const page = await openSignIn(session, start);
      const afterPassword = await submitPassword(session, page, user, client.redirectUri);
      let url = afterPassword.url;
      if (totpOffset !== undefined) {
        const mfaPage = { html: await afterPassword.res.text(), url };
        assert.match(mfaPage.html, /name="code"/, 'the TOTP page');
        const done = await postStep(session, mfaPage, 'mfa', { method: 'totp', code: totpCode(SECRET, totpOffset) });
        url = done.url;
      }
      assert.ok(url.startsWith(client.redirectUri), `signed in (ended at ${url})`);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(url), {
        pkceCodeVerifier: start.codeVerifier,
        expectedState: start.state,
        expectedNonce: start.nonce,
      });
      assert.ok(tokens.access_token && tokens.refresh_token, 'an access and a refresh token');
      return tokens;
    }

    async function counted(run: () => Promise<unknown>): Promise<number> {
      const before = await writes();
      written = [];
      await run();
      return (await writes()) - before;
    }

    it(`a TOTP sign-in writes ${TOTP_SIGN_IN_WRITES} times (${TOTP_SIGN_IN_WRITES + HOURLY_WRITES} for the first in an hour)`, async () => {
      const browser = () => new HttpSession(server.url, { 'accept-language': 'en' });
      const first = await counted(() => signIn(browser(), 0));
      assert.equal(first, TOTP_SIGN_IN_WRITES + HOURLY_WRITES, `first sign-in, writes:\n${written.join('\n')}`);
      const lastLogin = (await server.services.repos.users.findById(user.id))!;
      assert.ok(lastLogin.lastLoginAt, 'the first sign-in is recorded (the first-login password change reads it)');
      assert.equal(lastLogin.lastMfaMethod, 'totp');

      const again = await counted(() => signIn(browser(), 1));
      assert.equal(again, TOTP_SIGN_IN_WRITES, `writes:\n${written.join('\n')}`);
      const events = await server.services.repos.audit.list({ type: 'login.succeeded', userId: user.id });
      assert.equal(events.length, 2, 'every sign-in is audited');
      assert.ok(events.every((e) => e.details?.mfaMethod === 'totp' && e.details?.remembered === false));
    });

    it(`a sign-in on a remembered browser writes ${REMEMBERED_SIGN_IN_WRITES} times (${REMEMBERED_SIGN_IN_WRITES + HOURLY_WRITES} at its first use in an hour)`, async () => {
      // remembered by the server's own service, so that only the sign-ins are counted
      const { token } = await server.services.remembered.remember(user.id, ['otp'], 8, 'test');
      const browser = () => {
        // a browser without an IdP session (signed out), still remembered
        const session = new HttpSession(server.url, { 'accept-language': 'en' });
        session.setCookie('idp_rb', token);
        return session;
      };
      const first = await counted(() => signIn(browser()));
      assert.equal(first, REMEMBERED_SIGN_IN_WRITES + HOURLY_WRITES, `first use, writes:\n${written.join('\n')}`);
      const [entry] = await server.services.repos.rememberedBrowsers.listLive(user.id);
      assert.ok(entry?.lastUsedAt, 'the first use is recorded');

      const again = await counted(() => signIn(browser()));
      assert.equal(again, REMEMBERED_SIGN_IN_WRITES, `writes:\n${written.join('\n')}`);
      const [event] = await server.services.repos.audit.list({ type: 'login.succeeded', userId: user.id });
      assert.equal(event?.details?.remembered, true);
      assert.equal(event?.details?.rememberedBrowser, entry.id, 'the event names the browser that stood in for the second factor');
    });

    it('lets one of two racing password submissions of one sign-in through, and refuses a step after the sign-in ended', async () => {
      const { token } = await server.services.remembered.remember(user.id, ['otp'], 8, 'test');
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      session.setCookie('idp_rb', token);
      const start = await startAuthorization(config, client);
      const page = await openSignIn(session, start);
      assert.equal(await server.services.repos.flows.find(new URL(page.url).pathname.split('/')[2]!), undefined, 'no flow row for a page shown');
      const action = formAction(page.html)!;
      const form = { csrf: formField(page.html, 'csrf')!, username: user.username, password: user.password };
      const before = (await server.services.repos.audit.list({ type: 'login.succeeded', userId: user.id })).length;
      const answers = await Promise.all([session.post(action, form), session.post(action, form)]);
      const locations = answers.map((r) => new URL(r.headers.get('location') ?? '', server.url).pathname);
      // the one through is sent on to oidc-provider's resume, the other back to the flow
      assert.equal(locations.filter((l) => l.startsWith('/auth/')).length, 1, locations.join(' '));
      assert.equal(locations.filter((l) => l.startsWith('/interaction/')).length, 1, locations.join(' '));
      assert.equal((await server.services.repos.audit.list({ type: 'login.succeeded', userId: user.id })).length, before + 1);
      // the login is handed over: the password step is over (409), even before the resume
      const late = await session.post(action, form);
      assert.equal(late.status, 409);
    });

    it('refuses a second-factor step after the TOTP step ended the sign-in, though that step did not write the flow', async () => {
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const start = await startAuthorization(config, client);
      const page = await openSignIn(session, start);
      const afterPassword = await submitPassword(session, page, user, client.redirectUri);
      const mfa = { html: await afterPassword.res.text(), url: afterPassword.url };
      const action = new URL(`${new URL(mfa.url).pathname}/mfa`, server.url).toString();
      const form = { csrf: formField(mfa.html, 'csrf')!, method: 'totp' };
      // steps newer than any taken by the earlier tests
      await server.services.knex('factors').update({ last_used_step: null });
      const done = await session.post(action, { ...form, code: totpCode(SECRET, -1) });
      assert.match(done.headers.get('location') ?? '', /\/auth\//, 'handed to oidc-provider');
      assert.equal((await server.services.repos.flows.find(new URL(mfa.url).pathname.split('/')[2]!))?.state, 'mfa', 'the flow row was not written again');
      // another good code, before the browser came back to the resume: the sign-in is over
      const again = await session.post(action, { ...form, code: totpCode(SECRET, 0) });
      assert.equal(again.status, 409);
      assert.equal((await server.services.repos.audit.list({ type: 'mfa.failed', userId: user.id })).length, 0, 'not counted as a wrong code');
    });
  });
}
