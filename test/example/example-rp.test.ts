import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession } from '../helpers/http-session.js';
import { submitPassword } from '../helpers/rp.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';

/** Starts `example/rp.ts` the way `npm run example:rp` does and waits for its start-up line. */
async function startExampleRp(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'example/rp.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example RP did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Example relying party on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`example RP exited (${code}):\n${output}`)));
  });
  await ready;
  return { child, output: () => output };
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

describe('the example relying party (npm run example:rp)', () => {
  let server: TestServer;
  let user: FixtureUser;
  let rpBase: string;
  let rp: ChildProcess | undefined;

  before(async () => {
    server = await startTestServer();
    const org = await createOrg(server.services, 'EXAMPLE');
    user = await createUser(server.services, org, { username: 'erin', name: 'Erin Example', locale: 'en' });
    const rpPort = await freePort();
    rpBase = `http://localhost:${rpPort}`;
    // fixtures' createClient fixes its redirect URI; this client must accept the RP's own port
    await server.services.repos.clients.create({
      name: 'Example RP',
      orgId: org.id,
      firstParty: true,
      requireMfa: false,
      metadata: {
        client_id: 'example-rp',
        client_secret: 'example-rp-secret-0123456789',
        client_name: 'Example RP',
        redirect_uris: [`${rpBase}/callback`],
        post_logout_redirect_uris: [`${rpBase}/`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    });
    ({ child: rp } = await startExampleRp({
      IDP_ISSUER: server.url,
      RP_PORT: String(rpPort),
      RP_CLIENT_ID: 'example-rp',
      RP_CLIENT_SECRET: 'example-rp-secret-0123456789',
    }));
  });
  after(async () => {
    await stopChild(rp);
    await server?.stop({ dropDatabase: true });
  });

  it('signs in through the IdP and shows the ID token claims, then refreshes and signs out', async () => {
    // one cookie jar per origin, as a browser keeps them
    const browserAtRp = new HttpSession(rpBase);
    const browserAtIdp = new HttpSession(server.url);

    const home = await browserAtRp.get('/');
    assert.equal(home.status, 200);
    assert.match(await home.text(), /Sign in/);

    const login = await browserAtRp.get('/login?ui_locales=en');
    assert.equal(login.status, 303);
    assert.ok(browserAtRp.cookie('rp_sid'), 'the RP binds the pending sign-in to a cookie');
    const authorize = new URL(login.headers.get('location')!);
    assert.equal(authorize.origin, server.url);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('ui_locales'), 'en');
    assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce'));

    const opened = await browserAtIdp.follow(await browserAtIdp.get(authorize.href), authorize.href);
    const signInPage = { html: await opened.res.text(), url: opened.url };
    assert.equal(opened.res.status, 200);
    assert.match(signInPage.html, /name="password"/);
    const back = await submitPassword(browserAtIdp, signInPage, user, `${rpBase}/callback`);
    assert.ok(back.url.startsWith(`${rpBase}/callback?`), `expected the RP callback, got ${back.url}`);

    const callback = await browserAtRp.get(back.url);
    assert.equal(callback.status, 303, await callback.clone().text());
    const { res: shown } = await browserAtRp.follow(callback, back.url);
    const html = await shown.text();
    assert.equal(shown.status, 200);
    assert.ok(html.includes(`&#34;sub&#34;: &#34;${user.id}&#34;`), 'the page shows the subject');
    assert.match(html, /&#34;amr&#34;: \[\s*&#34;pwd&#34;\s*\]/, 'the page shows amr ["pwd"]');
    assert.match(html, /&#34;org&#34;: &#34;EXAMPLE&#34;/, 'the userinfo response is shown');

    const refreshed = await browserAtRp.get('/refresh');
    assert.equal(refreshed.status, 303);
    const afterRefresh = await (await browserAtRp.get('/')).text();
    assert.match(afterRefresh, /&#34;refreshed&#34;: 1/);

    const logout = await browserAtRp.get('/logout');
    assert.equal(logout.status, 303);
    const endSession = new URL(logout.headers.get('location')!);
    assert.equal(endSession.origin, server.url);
    assert.ok(endSession.searchParams.get('id_token_hint'));
    assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), `${rpBase}/`);
    // the IdP asks the user to confirm; the RP has already forgotten the tokens
    const confirm = await browserAtIdp.get(endSession.href);
    assert.equal(confirm.status, 200);
    assert.match(await (await browserAtRp.get('/')).text(), /Sign in/);
  });

  it('refuses a callback it did not start', async () => {
    const stranger = new HttpSession(rpBase);
    const res = await stranger.get('/callback?code=x&state=y');
    assert.equal(res.status, 400);
  });

  it('starts without the IdP and tells the user to start it first', async () => {
    const port = await freePort();
    const closed = await freePort();
    const { child, output } = await startExampleRp({ IDP_ISSUER: `http://localhost:${closed}`, RP_PORT: String(port) });
    try {
      const res = await fetch(`http://localhost:${port}/login`, { redirect: 'manual' });
      assert.equal(res.status, 503);
      assert.match(await res.text(), /start the IdP first \(npm start\)/);
      assert.equal(child.exitCode, null, 'the RP keeps running');
      for (let i = 0; i < 50 && !output().includes('start the IdP first: npm start'); i++) await sleep(100);
      assert.match(output(), /start the IdP first: npm start/);
    } finally {
      await stopChild(child);
    }
  });
});
