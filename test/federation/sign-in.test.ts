import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { listLinks, removeLink } from '../../src/federation/links.js';
import { addUpstream } from '../../src/federation/upstreams.js';
import type { FixtureUser } from '../helpers/fixtures.js';
import { startAuthorization } from '../helpers/rp.js';
import { engines, freePort } from '../helpers/server.js';
import { type FederationSetup, TwoSites, startFederation, stepForm } from './helpers.js';

for (const engine of engines()) {
  describe(`sign-in through an upstream IdP (${engine})`, () => {
    let s: FederationSetup;
    let callbackPrefix: string;
    before(async () => {
      s = await startFederation(engine);
      callbackPrefix = `${s.downstream.config.issuer}/federation/callback`;
    });
    after(async () => s?.stop());

    const sites = () => new TwoSites(s.downstream.url, s.upstream.config.issuer);

    /** Opens the downstream sign-in page and presses the upstream's button; returns the upstream authorize URL. */
    async function pressUpstreamButton(web: TwoSites, upstreamId = s.upstreamId, params: Record<string, string> = {}) {
      const start = await startAuthorization(s.rp, s.client, params);
      const page = await web.open(start.url.toString());
      assert.equal(page.res.status, 200, page.html.slice(0, 500));
      const form = stepForm(page.html, 'federation');
      const res = await web.post(new URL(form.action, page.url).toString(), { csrf: form.csrf, upstream: upstreamId });
      return { start, page, res, location: res.headers.get('location') ?? '' };
    }

    /** Signs in at the upstream (unless its session suffices) and returns the callback URL it sends back. */
    async function upstreamAnswer(web: TwoSites, authorizeUrl: string, user?: FixtureUser): Promise<string> {
      const page = await web.open(authorizeUrl, callbackPrefix);
      if (page.url.startsWith(callbackPrefix)) return page.url;
      assert.ok(user, `the upstream asked for a sign-in: ${page.url}`);
      const form = stepForm(page.html, 'login');
      const res = await web.post(new URL(form.action, page.url).toString(), { csrf: form.csrf, username: user.username, password: user.password });
      const end = await web.follow(res, new URL(form.action, page.url).toString(), callbackPrefix);
      assert.ok(end.url.startsWith(callbackPrefix), `the upstream did not answer: ${end.url} ${end.html.slice(0, 300)}`);
      return end.url;
    }

    /** The local password form of a linking page; returns where it ended. */
    async function proveLocal(web: TwoSites, page: { html: string; url: string }, user: FixtureUser) {
      const form = stepForm(page.html, 'login');
      const res = await web.post(new URL(form.action, page.url).toString(), { csrf: form.csrf, username: user.username, password: user.password });
      return web.follow(res, new URL(form.action, page.url).toString(), s.client.redirectUri);
    }

    const redeem = (url: string, start: Awaited<ReturnType<typeof startAuthorization>>) =>
      oidc.authorizationCodeGrant(s.rp, new URL(url), { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce });

    it('links on the first upstream sign-in, then signs in through the upstream alone, and needs the link again after unlinking', async () => {
      const [upUser, local] = await Promise.all([s.upstreamUser(), s.localUser()]);
      const web = sites();
      const first = await pressUpstreamButton(web);
      assert.equal(first.res.status, 303);
      const authorize = new URL(first.location);
      assert.equal(authorize.origin, new URL(s.upstream.config.issuer).origin);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce'));
      assert.equal(authorize.searchParams.get('redirect_uri'), callbackPrefix);

      const linking = await web.open(await upstreamAnswer(web, first.location, upUser), s.client.redirectUri);
      assert.equal(linking.res.status, 200);
      assert.match(linking.html, /id="federation-linking"/);
      assert.match(linking.html, /Corp ID/);
      // a wrong local password links nothing
      const wrong = await proveLocal(web, linking, { ...local, password: 'not-the-password' });
      assert.equal(wrong.res.status, 401);
      assert.equal((await listLinks(s.downstream.services, local.id)).length, 0);

      const done = await proveLocal(web, wrong, local);
      assert.ok(done.url.startsWith(s.client.redirectUri), `ended at ${done.url}`);
      const claims = (await redeem(done.url, first.start)).claims()!;
      assert.equal(claims.sub, local.id);
      assert.deepEqual(claims.amr, ['pwd', 'fed']);
      const links = await listLinks(s.downstream.services, local.id);
      assert.equal(links.length, 1);
      assert.equal(links[0]!.issuer, s.upstream.config.issuer);
      assert.equal(links[0]!.subject, upUser.id);
      const linkedEvents = await s.downstream.services.repos.audit.list({ userId: local.id, type: 'federation.linked' });
      assert.equal(linkedEvents.length, 1);

      // later: a new browser at the downstream, the upstream session still alive — no password anywhere
      web.reset(s.downstream.url);
      const later = await pressUpstreamButton(web);
      const end = await web.open(await upstreamAnswer(web, later.location), s.client.redirectUri);
      assert.ok(end.url.startsWith(s.client.redirectUri), `ended at ${end.url}: ${end.html.slice(0, 300)}`);
      const laterClaims = (await redeem(end.url, later.start)).claims()!;
      assert.equal(laterClaims.sub, local.id);
      assert.deepEqual(laterClaims.amr, ['fed', 'pwd'], 'fed, plus the pwd the upstream reported (trusted by default)');
      assert.equal(laterClaims.acr, 'urn:idp:acr:pwd');

      // unlink: the next upstream sign-in asks for the local account again
      assert.equal(await removeLink(s.downstream.services, { id: local.id, orgId: s.org.id }, links[0]!.id, { by: 'user' }), true);
      assert.equal((await s.downstream.services.repos.audit.list({ userId: local.id, type: 'federation.unlinked' })).length, 1);
      web.reset(s.downstream.url);
      const again = await pressUpstreamButton(web);
      const page = await web.open(await upstreamAnswer(web, again.location), s.client.redirectUri);
      assert.equal(page.res.status, 200);
      assert.match(page.html, /id="federation-linking"/);
    });

    it('refuses to link an upstream subject that is already linked to another user', async () => {
      const [upUser, alice, bob] = await Promise.all([s.upstreamUser(), s.localUser(), s.localUser()]);
      const web = sites();
      const first = await pressUpstreamButton(web);
      const linking = await web.open(await upstreamAnswer(web, first.location, upUser), s.client.redirectUri);
      assert.ok((await proveLocal(web, linking, alice)).url.startsWith(s.client.redirectUri));

      // the same upstream account, now proving bob's local account in a fresh downstream browser
      web.reset(s.downstream.url);
      const other = await pressUpstreamButton(web);
      const end = await web.open(await upstreamAnswer(web, other.location), s.client.redirectUri);
      // linked already: the upstream alone signs in as alice, never as bob
      assert.ok(end.url.startsWith(s.client.redirectUri));
      assert.equal((await redeem(end.url, other.start)).claims()!.sub, alice.id);

      // bob can only meet the subject pending in a race: alice unlinks after bob's callback and links again before bob submits
      web.reset(s.downstream.url);
      const race = await pressUpstreamButton(web);
      const aliceLink = (await listLinks(s.downstream.services, alice.id))[0]!;
      const callback = await upstreamAnswer(web, race.location);
      await removeLink(s.downstream.services, { id: alice.id, orgId: s.org.id }, aliceLink.id, { by: 'test' });
      const pending = await web.open(callback, s.client.redirectUri);
      assert.match(pending.html, /id="federation-linking"/);
      // alice links again first (another browser), then bob submits his password in the pending flow
      const webAlice = sites();
      const a = await pressUpstreamButton(webAlice);
      const aliceUp = await upstreamAnswer(webAlice, a.location, upUser);
      const alicePage = await webAlice.open(aliceUp, s.client.redirectUri);
      assert.ok((await proveLocal(webAlice, alicePage, alice)).url.startsWith(s.client.redirectUri));
      const refused = await proveLocal(web, pending, bob);
      assert.equal(refused.res.status, 409);
      assert.match(refused.html, /already linked to another user/);
      assert.ok(!refused.url.startsWith(s.client.redirectUri));
      assert.equal((await listLinks(s.downstream.services, bob.id)).length, 0);
      assert.equal((await s.downstream.services.repos.audit.list({ userId: bob.id, type: 'federation.link_refused' })).length, 1);
    });

    it('refuses a tampered state and a replayed callback, and still accepts the genuine answer once', async () => {
      const upUser = await s.upstreamUser();
      const web = sites();
      const first = await pressUpstreamButton(web);
      const callback = new URL(await upstreamAnswer(web, first.location, upUser));
      const tampered = new URL(callback);
      tampered.searchParams.set('state', `${callback.searchParams.get('state')}x`);
      const bad = await web.open(tampered.toString(), s.client.redirectUri);
      assert.equal(bad.res.status, 400);
      assert.match(bad.html, /does not belong to a sign-in started here/);
      const noState = new URL(callback);
      noState.searchParams.delete('state');
      assert.equal((await web.open(noState.toString(), s.client.redirectUri)).res.status, 400);

      const genuine = await web.open(callback.toString(), s.client.redirectUri);
      assert.equal(genuine.res.status, 200);
      assert.match(genuine.html, /id="federation-linking"/);
      const replay = await web.open(callback.toString(), s.client.redirectUri);
      assert.equal(replay.res.status, 400);
      assert.match(replay.html, /already used/);
    });

    it('refuses an ID token whose nonce is not the one sent', async () => {
      const upUser = await s.upstreamUser();
      const web = sites();
      const first = await pressUpstreamButton(web);
      const forged = new URL(first.location);
      forged.searchParams.set('nonce', 'a-nonce-of-someone-else');
      const page = await web.open(await upstreamAnswer(web, forged.toString(), upUser), s.client.redirectUri);
      assert.equal(page.res.status, 400);
      assert.match(page.html, /issued for another sign-in/);
      assert.ok(!page.url.startsWith(s.client.redirectUri));
      const failed = await s.downstream.services.repos.audit.list({ type: 'federation.failed' });
      assert.ok(failed.some((e) => e.details?.failure === 'nonce_mismatch'));
    });

    it('refuses an answer naming another issuer, and an upstream whose discovery names another issuer', async () => {
      const upUser = await s.upstreamUser();
      const web = sites();
      const first = await pressUpstreamButton(web);
      const callback = new URL(await upstreamAnswer(web, first.location, upUser));
      assert.equal(callback.searchParams.get('iss'), s.upstream.config.issuer, 'the upstream sends iss (RFC 9207)');
      callback.searchParams.set('iss', 'http://evil.example');
      const page = await web.open(callback.toString(), s.client.redirectUri);
      assert.equal(page.res.status, 400);
      assert.match(page.html, /wrong issuer/);

      // configured as localhost while it calls itself 127.0.0.1: discovery refuses it
      const port = new URL(s.upstream.config.issuer).port;
      const misnamed = await addUpstream(
        s.downstream.services,
        s.org,
        { slug: `misnamed-${port}`, issuer: `http://localhost:${port}`, client_id: s.upstreamClient.clientId, display_name: 'Misnamed' },
        'test',
      );
      const start = await pressUpstreamButton(sites(), misnamed.id);
      assert.equal(start.res.status, 400);
      assert.match(await start.res.text(), /wrong issuer/);
      await s.downstream.services.repos.upstreams.remove(misnamed.id);
    });

    it('shows a clear page when the user cancels at the upstream, and when the upstream cannot be reached', async () => {
      const upUser = await s.upstreamUser();
      const web = sites();
      const first = await pressUpstreamButton(web);
      const upPage = await web.open(first.location, callbackPrefix);
      const login = stepForm(upPage.html, 'login');
      const abort = login.action.replace(/\/login$/, '/abort');
      const res = await web.post(new URL(abort, upPage.url).toString(), { csrf: login.csrf });
      const back = await web.follow(res, new URL(abort, upPage.url).toString(), callbackPrefix);
      assert.match(back.url, /error=access_denied/);
      const denied = await web.open(back.url, s.client.redirectUri);
      assert.equal(denied.res.status, 403);
      assert.match(denied.html, /cancelled or refused/);
      assert.match(denied.html, /Corp ID/);
      void upUser;

      const closed = await freePort();
      const gone = await addUpstream(
        s.downstream.services,
        s.org,
        { slug: 'gone', issuer: `http://127.0.0.1:${closed}`, client_id: 'x', display_name: 'Gone IdP' },
        'test',
      );
      const start = await pressUpstreamButton(sites(), gone.id);
      assert.equal(start.res.status, 502);
      const html = await start.res.text();
      assert.match(html, /Gone IdP cannot be reached/);
      assert.match(html, /Continue signing in/);
      await s.downstream.services.repos.upstreams.remove(gone.id);
    });

    it('refuses an answer that comes back after the request expired, and an upstream not offered to the client', async () => {
      const upUser = await s.upstreamUser();
      const web = sites();
      const first = await pressUpstreamButton(web);
      const callback = await upstreamAnswer(web, first.location, upUser);
      // the clock stand-in: the stored request's time is over
      await s.downstream.services.knex('federation_requests').update({ expires_at: Date.now() - 1000 });
      const page = await web.open(callback, s.client.redirectUri);
      assert.equal(page.res.status, 410);
      assert.match(page.html, /expired/);

      const start = await startAuthorization(s.rp, s.client);
      const signIn = await web.open(start.url.toString());
      const form = stepForm(signIn.html, 'federation');
      const res = await web.post(new URL(form.action, signIn.url).toString(), { csrf: form.csrf, upstream: 'not-an-upstream' });
      assert.equal(res.status, 403);
      const noCsrf = await web.post(new URL(form.action, signIn.url).toString(), { csrf: 'x', upstream: s.upstreamId });
      assert.equal(noCsrf.status, 403);
    });
  });
}
