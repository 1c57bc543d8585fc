import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { linkAccount, listLinks } from '../../src/federation/links.js';
import { newSession, openAccount, postAccount, signInToAccount } from '../helpers/account.js';
import { engines } from '../helpers/server.js';
import { type FederationSetup, startFederation } from './helpers.js';

for (const engine of engines()) {
  describe(`linked services on the account page (${engine})`, () => {
    let s: FederationSetup;
    before(async () => {
      s = await startFederation(engine);
    });
    after(async () => s?.stop());

    async function linked() {
      const local = await s.localUser();
      const user = (await s.downstream.services.repos.users.findById(local.id))!;
      const upstream = (await s.downstream.services.repos.upstreams.find(s.upstreamId))!;
      const link = await linkAccount(s.downstream.services, user, upstream, `sub-${local.id}`, { by: 'test' });
      return { local, link };
    }

    it('lists the links and removes one with the CSRF token (audited)', async () => {
      const { local, link } = await linked();
      const session = newSession(s.downstream.url, 'en');
      await signInToAccount(session, local);
      const page = await openAccount(session, '/account/links');
      assert.equal(page.res.status, 200);
      assert.match(page.html, /Linked sign-in services/);
      assert.match(page.html, new RegExp(`data-link="${link.id}"`));
      assert.match(page.html, /Corp ID/);

      const bad = await session.post(new URL('/account/links/remove', s.downstream.url).toString(), { csrf: 'forged', link: link.id });
      assert.equal(bad.status, 403);
      assert.equal((await listLinks(s.downstream.services, local.id)).length, 1);

      const done = await postAccount(session, page, '/account/links/remove', { link: link.id });
      assert.equal(done.res.status, 200);
      assert.match(done.html, /The link was removed/);
      assert.match(done.html, /id="no-links"/);
      assert.equal((await listLinks(s.downstream.services, local.id)).length, 0);
      const events = await s.downstream.services.repos.audit.list({ userId: local.id, type: 'federation.unlinked' });
      assert.equal(events.length, 1);
      assert.equal(events[0]!.details?.by, 'user');
    });

    it("cannot remove another user's link, nor with a malformed id", async () => {
      const other = await linked();
      const { local } = await linked();
      const session = newSession(s.downstream.url, 'ja');
      await signInToAccount(session, local);
      const page = await openAccount(session, '/account/links');
      assert.match(page.html, /連携しているログインサービス/);
      const foreign = await postAccount(session, page, '/account/links/remove', { link: other.link.id });
      assert.equal(foreign.res.status, 404);
      assert.equal((await listLinks(s.downstream.services, other.local.id)).length, 1);
      const malformed = await postAccount(session, page, '/account/links/remove', { link: '../x' });
      assert.equal(malformed.res.status, 400);
      const signedOut = await newSession(s.downstream.url).post(new URL('/account/links/remove', s.downstream.url).toString(), { csrf: 'x', link: other.link.id });
      assert.notEqual(signedOut.status, 200);
      assert.equal((await listLinks(s.downstream.services, other.local.id)).length, 1);
    });
  });
}
