import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, createOrg, createUser, type FixtureClient } from '../helpers/fixtures.js';
import { HttpSession } from '../helpers/http-session.js';
import { postStep, secretOnPage, totpCode } from '../helpers/mfa.js';
import { openSignIn, relyingParty, signIn, startAuthorization, submitPassword } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}

for (const engine of engines()) {
  describe(`/metrics (${engine})`, () => {
    let server: TestServer;
    let client: FixtureClient;
    before(async () => {
      server = await startTestServer({ engine, env: { IDP_THROTTLE_ACCOUNT_FAILURES: '2', IDP_THROTTLE_BASE_DELAY_SECONDS: '60' } });
      const org = await createOrg(server.services, 'ACME');
      client = await createClient(server.services, { orgId: org.id, grantTypes: ['client_credentials'] });
    });
    after(() => server.stop({ dropDatabase: true }));

    const grant = (secret: string) =>
      fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });

    it('counts token grants by type and result, database writes, and shows the pool', async () => {
      assert.equal((await grant(client.clientSecret!)).status, 200);
      assert.equal((await grant(client.clientSecret!)).status, 200);
      assert.equal((await grant('wrong-secret')).status, 401);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(metric(text, 'idp_token_grants_total{grant_type="client_credentials",result="success"}'), 2);
      assert.equal(metric(text, 'idp_token_grants_total{grant_type="client_credentials",result="error"}'), 1);
      // each grant stores its token: at least two writes
      assert.ok((metric(text, 'idp_db_statements_total{kind="write"}') ?? 0) >= 2);
      assert.ok((metric(text, 'idp_db_pool_connections{state="max"}') ?? 0) >= 1);
      assert.match(text, /idp_http_request_duration_seconds_bucket\{le="0\.005",route="\/token",status="2xx"\}/);
    });

    it('counts sign-ins by result and method, second-factor challenges and lock-outs from real sign-ins', async () => {
      const org = await createOrg(server.services, 'SEC');
      const mfaOrg = await createOrg(server.services, 'MFA', { mfa: 'required', methods: ['totp'] });
      const alice = await createUser(server.services, org, { username: 'alice' });
      await createUser(server.services, org, { username: 'bob' });
      const carol = await createUser(server.services, mfaOrg, { username: 'carol' });
      const web = await createClient(server.services, { orgId: org.id });
      const mfaWeb = await createClient(server.services, { orgId: mfaOrg.id });
      const rp = await relyingParty(server.url, web);
      const mfaRp = await relyingParty(server.url, mfaWeb);

      // a password sign-in that succeeds
      await signIn(server.url, rp, web, alice);
      // two wrong passwords for bob: a failure, then a failure that locks the account
      for (let i = 0; i < 2; i++) {
        const session = new HttpSession(server.url, { 'accept-language': 'en' });
        const page = await openSignIn(session, await startAuthorization(rp, web));
        const end = await submitPassword(session, page, { orgCode: 'SEC', username: 'bob', password: 'not the password' }, web.redirectUri);
        assert.ok(!end.url.startsWith(web.redirectUri));
      }
      // carol sets up TOTP: one wrong code, then the right one
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const start = await startAuthorization(mfaRp, mfaWeb);
      const first = await submitPassword(session, await openSignIn(session, start), carol, mfaWeb.redirectUri);
      const chosen = await postStep(session, { html: await first.res.text(), url: first.url }, 'enrol-choose', { method: 'totp' });
      const secret = secretOnPage(chosen.html);
      const wrong = await postStep(session, chosen, 'enrol-totp', { code: totpCode(secret) === '000000' ? '111111' : '000000' });
      assert.equal(wrong.res.status, 400);
      const confirmed = await postStep(session, wrong, 'enrol-totp', { code: totpCode(secret), label: 'Phone' });
      const done = await postStep(session, confirmed, 'backup-codes', { saved: 'yes' });
      assert.ok(done.url.startsWith(mfaWeb.redirectUri), `signed in with TOTP, ended at ${done.url}`);

      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(metric(text, 'idp_sign_ins_total{result="success",method="pwd"}'), 1);
      assert.equal(metric(text, 'idp_sign_ins_total{result="success",method="totp"}'), 1);
      assert.equal(metric(text, 'idp_sign_ins_total{result="failure",method="pwd"}'), 2);
      assert.equal(metric(text, 'idp_sign_ins_total{result="locked",method="pwd"}'), 1);
      assert.equal(metric(text, 'idp_mfa_challenges_total{method="totp",result="failure"}'), 1);
      assert.equal(metric(text, 'idp_mfa_challenges_total{method="totp",result="success"}'), 1);
      assert.equal(metric(text, 'idp_lockouts_total{kind="account"}'), 1);
      assert.equal(metric(text, 'idp_lockouts_total{kind="address"}'), undefined, 'two failures do not lock the address (threshold 20)');
    });
  });
}
