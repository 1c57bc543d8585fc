import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession, formAction, formField } from '../helpers/http-session.js';
import { openSignIn, relyingParty, startAuthorization } from '../helpers/rp.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

for (const engine of engines()) {
  describe(`bad input is refused with a clear 4xx and changes nothing (${engine})`, () => {
    let server: TestServer;
    let client: FixtureClient;
    let user: FixtureUser;
    let config: oidc.Configuration;

    before(async () => {
      server = await startTestServer({ engine });
      const org = await createOrg(server.services, 'ACME');
      user = await createUser(server.services, org, { username: 'alice' });
      client = await createClient(server.services, { orgId: org.id });
      config = await relyingParty(server.url, client);
    });
    after(() => server.stop({ dropDatabase: true }));

    /** A fresh sign-in page: its session, HTML, action and CSRF token. */
    async function signInPage() {
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const page = await openSignIn(session, await startAuthorization(config, client));
      return { session, page, action: formAction(page.html)!, csrf: formField(page.html, 'csrf')! };
    }

    async function nothingWritten() {
      const throttles = await server.services.knex('throttles').count({ n: '*' });
      assert.equal(Number(throttles[0]!.n), 0, 'no failure was counted');
      const logins = await server.services.knex('audit_events').where({ type: 'login.succeeded' }).count({ n: '*' });
      return Number(logins[0]!.n);
    }

    it('refuses a form without or with a wrong CSRF token (403)', async () => {
      const { session, action, csrf } = await signInPage();
      const before = await nothingWritten();
      for (const token of [undefined, 'forged', `${csrf}x`]) {
        const form: Record<string, string> = { username: user.username, password: user.password };
        if (token) form.csrf = token;
        const res = await session.post(action, form);
        assert.equal(res.status, 403);
        assert.match(await res.text(), /This form has expired or was not sent from this page/);
      }
      assert.equal(await nothingWritten(), before, 'nobody signed in');
    });

    it('refuses another interaction\'s CSRF token', async () => {
      const a = await signInPage();
      const b = await signInPage();
      const res = await a.session.post(a.action, { csrf: b.csrf, username: user.username, password: user.password });
      assert.equal(res.status, 403);
    });

    it('refuses a body that is not a form (400), too large (413) or not UTF-8 (400)', async () => {
      const { session, action, csrf } = await signInPage();
      const json = await session.request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ csrf, username: user.username, password: user.password }),
      });
      assert.equal(json.status, 400);
      assert.match(await json.text(), /could not be read/);

      const huge = await session.post(action, { csrf, username: user.username, password: 'x'.repeat(20_000) });
      assert.equal(huge.status, 413);
      assert.match(await huge.text(), /too large/);

      const binary = await session.request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.concat([Buffer.from(`csrf=${csrf}&username=`), Buffer.from([0xff, 0xfe]), Buffer.from('&password=x')]),
      });
      assert.equal(binary.status, 400);
      await nothingWritten();
    });

    it('shows field errors for missing and overlong fields, keeping the user ID', async () => {
      const { session, action, csrf } = await signInPage();
      const empty = await session.post(action, { csrf, username: '', password: '' });
      assert.equal(empty.status, 400);
      const html = await empty.text();
      assert.match(html, /Enter your user ID\./);
      assert.match(html, /Enter your password\./);

      const long = await session.post(action, { csrf, username: 'u'.repeat(129), password: 'p' });
      assert.equal(long.status, 400);
      assert.match(await long.text(), /This entry is too long\./);

      const noPassword = await session.post(action, { csrf, username: 'alice' });
      assert.equal(noPassword.status, 400);
      assert.match(await noPassword.text(), /value="alice"/);
      await nothingWritten();
    });

    it('says an unknown or foreign interaction has expired (410) and how to start again', async () => {
      const session = new HttpSession(server.url, { 'accept-language': 'ja' });
      const res = await session.get('/interaction/does-not-exist');
      assert.equal(res.status, 410);
      const html = await res.text();
      assert.match(html, /有効期限が切れました/);
      assert.match(html, /もう一度ログインしてください/);
      assert.doesNotMatch(html, /at .*\.ts:\d+/, 'no stack trace');

      // a real interaction opened without its browser cookie
      const { page } = await signInPage();
      const stranger = new HttpSession(server.url, { 'accept-language': 'en' });
      const foreign = await stranger.get(page.url);
      assert.equal(foreign.status, 410);
      const post = await stranger.post(`${page.url}/login`, { csrf: 'x', username: 'alice', password: user.password });
      assert.equal(post.status, 410);
    });

    it('refuses a step that is not the current one (409) and unknown steps (404)', async () => {
      const { session, page, csrf } = await signInPage();
      const early = await session.post(`${page.url}/password`, { csrf, newPassword: 'abcdefghijk', confirm: 'abcdefghijk' });
      assert.equal(early.status, 409);
      const html = await early.text();
      assert.match(html, /This step is not available now/);
      assert.match(html, new RegExp(`href="${new URL(page.url).pathname}"`), 'links back to the current step');
      const unknown = await session.post(`${page.url}/teleport`, { csrf });
      assert.equal(unknown.status, 404);
    });

    it('answers a wrong HTTP method with 405', async () => {
      const { session, page } = await signInPage();
      const get = await session.get(`${page.url}/login`);
      assert.equal(get.status, 405);
      const put = await session.request(page.url, { method: 'PUT' });
      assert.equal(put.status, 405);
    });

    it('shows an error page for an unknown client or a redirect URI that is not registered', async () => {
      const session = new HttpSession(server.url, { 'accept-language': 'en' });
      const unknown = await session.get(`/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(client.redirectUri)}`);
      assert.equal(unknown.status, 400);
      assert.match(await unknown.text(), /invalid_client/);

      const start = await startAuthorization(config, client);
      start.url.searchParams.set('redirect_uri', 'https://evil.example/callback');
      const bad = await session.get(start.url.toString());
      assert.equal(bad.status, 400, 'no redirect to an unregistered URI');
      assert.equal(bad.headers.get('location'), null);
      assert.match(await bad.text(), /redirect_uri/);
    });

    it('requires PKCE for public clients', async () => {
      const pub = await createClient(server.services, { public: true });
      const session = new HttpSession(server.url);
      const res = await session.get(
        `/auth?client_id=${pub.clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(pub.redirectUri)}`,
      );
      assert.equal(res.status, 303);
      const location = new URL(res.headers.get('location')!);
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.match(location.searchParams.get('error_description')!, /PKCE/);
    });

    it('keeps the language switcher from redirecting off-site', async () => {
      const session = new HttpSession(server.url);
      for (const target of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
        const res = await session.get(`/lang/en?return=${encodeURIComponent(target)}`);
        assert.equal(res.status, 303);
        assert.equal(res.headers.get('location'), '/');
      }
      const bad = await session.get('/lang/xx');
      assert.equal(bad.status, 400);
    });

    it('answers unknown paths with a 404 page in the browser language', async () => {
      const res = await new HttpSession(server.url, { 'accept-language': 'ja' }).get('/nowhere');
      assert.equal(res.status, 404);
      assert.match(await res.text(), /ページが見つかりません/);
    });

    it('sets security headers on hosted pages', async () => {
      const { session, page } = await signInPage();
      const res = await session.get(page.url);
      assert.match(res.headers.get('content-security-policy')!, /default-src 'self'/);
      assert.match(res.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.ok(res.headers.get('x-request-id'));
    });
  });
}
