import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JSON_LIMIT_BYTES } from '../../src/admin/api/json-body.js';
import { linkAccount } from '../../src/federation/links.js';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';
import { addAdminClient, api, clientToken, snapshot } from './helpers.js';

const SECRET = 'upstream-client-secret-do-not-echo';

for (const engine of engines()) {
  describe(`admin API: upstreams and links (${engine})`, () => {
    let server: TestServer;
    let token: string;
    let clientId: string;
    let orgId: string;
    let alice: FixtureUser;

    before(async () => {
      server = await startTestServer({ engine });
      const org = await createOrg(server.services, 'ACME');
      orgId = org.id;
      alice = await createUser(server.services, org, { username: 'alice' });
      const client = await addAdminClient(server, { org: 'ACME' });
      clientId = client.client_id;
      token = await clientToken(server, client);
    });
    after(async () => {
      await server.stop({ dropDatabase: true });
    });

    const newUpstream = (slug: string) => ({ slug, issuer: 'https://login.corp.example', client_id: 'acme-portal', client_secret: SECRET, display_name: 'Corp ID' });

    it('adds, lists, reads, changes and removes an upstream; the secret is write-only; every change audited with the client', async () => {
      const created = await api(server, token, 'POST', '/orgs/ACME/upstreams', { ...newUpstream('corp'), scopes: ['openid', 'email'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const up = created.body.upstream;
      assert.equal(up.slug, 'corp');
      assert.equal(up.org, 'ACME');
      assert.equal(up.has_client_secret, true);
      assert.deepEqual(up.scopes, ['openid', 'email']);
      assert.equal(up.label_ja, 'Corp IDでログイン');
      assert.equal(up.client_secret, undefined);
      assert.ok(!JSON.stringify(created.body).includes(SECRET), 'the secret is never returned');
      // stored sealed, not as given
      const row = await server.services.knex('upstreams').where({ id: up.id }).first();
      assert.ok(!JSON.stringify(row).includes(SECRET), 'the secret is not stored in the clear');
      assert.equal((await server.services.repos.upstreams.find(up.id))!.clientSecret, SECRET);

      const list = await api(server, token, 'GET', '/orgs/ACME/upstreams');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.upstreams.map((u: { id: string }) => u.id), [up.id]);
      assert.ok(!JSON.stringify(list.body).includes(SECRET));
      const one = await api(server, token, 'GET', `/orgs/ACME/upstreams/${up.id}`);
      assert.equal(one.body.upstream.issuer, 'https://login.corp.example');

      const patched = await api(server, token, 'PATCH', `/orgs/ACME/upstreams/${up.id}`, { display_name: 'Corp SSO', enabled: false, client_secret: null });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.upstream.display_name, 'Corp SSO');
      assert.equal(patched.body.upstream.enabled, false);
      assert.equal(patched.body.upstream.has_client_secret, false);
      assert.equal(patched.body.upstream.slug, 'corp');

      const removed = await api(server, token, 'DELETE', `/orgs/ACME/upstreams/${up.id}`);
      assert.equal(removed.status, 200);
      assert.deepEqual(removed.body, { upstream_id: up.id, removed: true, links_removed: 0 });
      assert.equal(await server.services.repos.upstreams.find(up.id), undefined);
      assert.equal((await api(server, token, 'GET', `/orgs/ACME/upstreams/${up.id}`)).status, 404);

      const events = (await server.services.repos.audit.list({ orgId })).filter((e) => e.type.startsWith('upstream.'));
      for (const type of ['upstream.created', 'upstream.updated', 'upstream.removed']) {
        const e = events.find((x) => x.type === type);
        assert.ok(e, `${type} audited`);
        assert.equal(e.actor, `client:${clientId}`);
        assert.equal(e.clientId, clientId);
        assert.equal(e.details?.by, `client:${clientId}`);
        assert.ok(!JSON.stringify(e).includes(SECRET), `${type} does not hold the secret`);
      }
      assert.deepEqual(events.find((x) => x.type === 'upstream.updated')!.details?.changed, ['client_secret', 'display_name', 'enabled']);
    });

    it('refuses bad input with 400 naming the field (or 413), and changes nothing', async () => {
      const existing = (await api(server, token, 'POST', '/orgs/ACME/upstreams', newUpstream('keep'))).body.upstream;
      const before = JSON.stringify(await server.services.knex('upstreams').orderBy('id'));
      const auditBefore = await snapshot(server, orgId);
      const cases: [string, string, unknown, number, string?][] = [
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), slug: 5 }, 400, 'slug'],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), enabled: 'yes' }, 400, 'enabled'],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), scopes: 'openid' }, 400, 'scopes'],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), scopes: ['profile'] }, 400, 'scopes'],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), client_ids: [42] }, 400, 'client_ids'],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), client_ids: ['no-such-client'] }, 400, 'client_ids'],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), issuer: 'ftp://corp.example' }, 400, 'issuer'],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), issuer: 'https://corp.example/?a=b' }, 400, 'issuer'],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), display_name: 'x'.repeat(201) }, 400, 'display_name'],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), client_secret: 's'.repeat(1001) }, 400, 'client_secret'],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), admin: true }, 400, 'admin'],
        ['POST', '/orgs/ACME/upstreams', { slug: 'x', issuer: 'https://corp.example', client_id: 'c' }, 400, 'display_name'],
        ['POST', '/orgs/ACME/upstreams', newUpstream('KEEP'), 400, 'slug'],
        ['POST', '/orgs/ACME/upstreams', '[1,2]', 400],
        ['POST', '/orgs/ACME/upstreams', '{"slug":', 400],
        ['POST', '/orgs/ACME/upstreams', { ...newUpstream('x'), display_name: 'y'.repeat(JSON_LIMIT_BYTES) }, 413],
        ['PATCH', `/orgs/ACME/upstreams/${existing.id}`, {}, 400, 'input'],
        ['PATCH', `/orgs/ACME/upstreams/${existing.id}`, { slug: 'renamed' }, 400, 'slug'],
        ['PATCH', `/orgs/ACME/upstreams/${existing.id}`, { enabled: 1 }, 400, 'enabled'],
        ['PATCH', `/orgs/ACME/upstreams/${existing.id}`, { mfa_acr_values: null }, 400, 'mfa_acr_values'],
        ['PATCH', `/orgs/ACME/upstreams/${existing.id}`, { label_en: 'a\u0000b' }, 400, 'label_en'],
        ['PATCH', '/orgs/ACME/upstreams/unknown-id', { enabled: false }, 404],
        ['PATCH', `/orgs/ACME/upstreams/${'x'.repeat(65)}`, { enabled: false }, 404],
        ['DELETE', '/orgs/ACME/upstreams/unknown-id', undefined, 404],
        ['DELETE', `/orgs/ACME/upstreams/${existing.id}`, { really: true }, 400, 'really'],
        ['GET', '/orgs/ACME/upstreams/unknown-id', undefined, 404],
      ];
      for (const [method, path, body, status, field] of cases) {
        const res = await api(server, token, method, path, body);
        assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)}: ${JSON.stringify(res.body)}`);
        if (field) assert.equal(res.body.field, field, `${method} ${path}: ${JSON.stringify(res.body)}`);
        assert.equal(typeof res.body.error_description, 'string');
      }
      assert.equal(JSON.stringify(await server.services.knex('upstreams').orderBy('id')), before, 'no upstream changed');
      assert.equal(await snapshot(server, orgId), auditBefore, 'nothing audited');
    });

    it("lists a user's links and unlinks one, audited with the client; unknown links are 404", async () => {
      const added = (await api(server, token, 'POST', '/orgs/ACME/upstreams', newUpstream('links'))).body.upstream;
      const upstream = (await server.services.repos.upstreams.find(added.id))!;
      const user = (await server.services.repos.users.findInOrg(orgId, alice.id))!;
      const link = await linkAccount(server.services, user, upstream, 'alice-at-corp', { by: 'test' });

      const list = await api(server, token, 'GET', `/orgs/ACME/users/${alice.id}/links`);
      assert.equal(list.status, 200);
      assert.equal(list.body.user_id, alice.id);
      assert.equal(list.body.links.length, 1);
      assert.equal(list.body.links[0].id, link.id);
      assert.equal(list.body.links[0].upstream, 'links');
      assert.equal(list.body.links[0].subject, 'alice-at-corp');

      assert.equal((await api(server, token, 'DELETE', `/orgs/ACME/users/${alice.id}/links/unknown-link`)).status, 404);
      assert.equal((await api(server, token, 'DELETE', `/orgs/ACME/users/${alice.id}/links/${link.id}`, { x: 1 })).status, 400);
      assert.equal((await server.services.repos.links.listByUser(alice.id)).length, 1, 'refused calls removed nothing');

      const res = await api(server, token, 'DELETE', `/orgs/ACME/users/${alice.id}/links/${link.id}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { user_id: alice.id, link_id: link.id, removed: true });
      assert.equal((await server.services.repos.links.listByUser(alice.id)).length, 0);
      assert.equal((await api(server, token, 'DELETE', `/orgs/ACME/users/${alice.id}/links/${link.id}`)).status, 404, 'a second unlink is 404');

      const [event] = await server.services.repos.audit.list({ type: 'federation.unlinked', userId: alice.id });
      assert.equal(event?.actor, `client:${clientId}`);
      assert.equal(event?.clientId, clientId);
      assert.equal(event?.details?.linkId, link.id);
      assert.deepEqual((await api(server, token, 'GET', `/orgs/ACME/users/${alice.id}/links`)).body.links, []);
    });

    it('removing an upstream removes its links and says how many', async () => {
      const added = (await api(server, token, 'POST', '/orgs/ACME/upstreams', newUpstream('gone'))).body.upstream;
      const user = (await server.services.repos.users.findInOrg(orgId, alice.id))!;
      await linkAccount(server.services, user, (await server.services.repos.upstreams.find(added.id))!, 'alice-gone', { by: 'test' });
      const res = await api(server, token, 'DELETE', `/orgs/ACME/upstreams/${added.id}`);
      assert.equal(res.body.links_removed, 1);
      assert.equal((await server.services.repos.links.listByUser(alice.id)).length, 0);
    });
  });
}
