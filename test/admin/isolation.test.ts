import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/admin/api/router.js';
import { linkAccount } from '../../src/federation/links.js';
import { addUpstream } from '../../src/federation/upstreams.js';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.js';
import { addAdminClient, api, clientToken, snapshot } from './helpers.js';

/** A valid body for each route, so only the tenant decides the outcome. */
function bodyFor(method: string, path: string): unknown {
  if (path.endsWith('/users') && method === 'POST') return { username: `new-${Date.now()}`, password: 'correct horse battery staple' };
  if (path.endsWith('/2fa-email')) return { email: 'attacker@example.com' };
  if (path.endsWith('/policy')) return { mfa: 'off' };
  if (path.endsWith('/upstreams') && method === 'POST') return { slug: `new-${Date.now()}`, issuer: 'https://evil.example', client_id: 'x', display_name: 'Evil' };
  if (path.endsWith('/:upstream_id') && method === 'PATCH') return { issuer: 'https://evil.example' };
  return method === 'GET' ? undefined : {};
}

for (const engine of engines()) {
  describe(`admin API tenant isolation matrix (${engine})`, () => {
    let server: TestServer;
    let sink: SmtpSink;
    let acmeToken: string;
    let operatorToken: string;
    let acme: { id: string };
    let other: { id: string };
    let acmeUser: FixtureUser;
    let otherUser: FixtureUser;
    let acmeUpstream: string;
    let otherUpstream: string;
    let acmeLink: string;
    let otherLink: string;

    before(async () => {
      sink = await startSmtpSink();
      server = await startTestServer({ engine, env: { IDP_SMTP_URL: sink.url } });
      acme = await createOrg(server.services, 'ACME');
      other = await createOrg(server.services, 'OTHER', { mfa: 'required' });
      acmeUser = await createUser(server.services, { id: acme.id, code: 'ACME' }, { username: 'alice' });
      otherUser = await createUser(server.services, { id: other.id, code: 'OTHER' }, { username: 'alice' });
      // each organisation trusts an upstream, and its alice has linked an account there
      const upstreams: string[] = [];
      const links: string[] = [];
      for (const [org, code, user] of [[acme, 'ACME', acmeUser], [other, 'OTHER', otherUser]] as const) {
        const orgRow = (await server.services.repos.orgs.findByCode(code))!;
        const up = await addUpstream(server.services, orgRow, { slug: 'corp', issuer: `https://${code.toLowerCase()}.example`, client_id: 'c', client_secret: 's3cret', display_name: 'Corp' }, 'test');
        const u = (await server.services.repos.users.findInOrg(org.id, user.id))!;
        upstreams.push(up.id);
        links.push((await linkAccount(server.services, u, up, `alice-${code}`, { by: 'test' })).id);
      }
      [acmeUpstream, otherUpstream] = upstreams as [string, string];
      [acmeLink, otherLink] = links as [string, string];
      acmeToken = await clientToken(server, await addAdminClient(server, { org: 'ACME' }));
      operatorToken = await clientToken(server, await addAdminClient(server));
    });
    after(async () => {
      await server.stop({ dropDatabase: true });
      await sink.stop();
    });

    /** The path with OTHER's ids (its user, its upstream, its user's link) and the given organisation code. */
    const otherIds = (path: string, org: string) =>
      path.replace(':org', org).replace(':user_id', otherUser.id).replace(':upstream_id', otherUpstream).replace(':link_id', otherLink);

    // every route × (other org in the path | own org in the path with the other org's ids)
    for (const route of apiRoutes) {
      const hasIds = /:user_id|:upstream_id|:link_id/.test(route.path);
      it(`${route.method} ${route.path}: an ACME client cannot reach OTHER`, async () => {
        const before = await snapshot(server, other.id);
        const mailsBefore = sink.messages.length;
        const viaOrg = otherIds(route.path, 'OTHER');
        const res1 = await api(server, acmeToken, route.method, viaOrg, bodyFor(route.method, route.path));
        assert.equal(res1.status, 404, `${viaOrg}: ${JSON.stringify(res1.body)}`);
        assert.equal(res1.body.error, 'not_found');
        // lower-case code, the same organisation
        const lower = otherIds(route.path, 'other');
        assert.equal((await api(server, acmeToken, route.method, lower, bodyFor(route.method, route.path))).status, 404);
        if (hasIds) {
          const crafted = otherIds(route.path, 'ACME');
          const res2 = await api(server, acmeToken, route.method, crafted, bodyFor(route.method, route.path));
          assert.equal(res2.status, 404, `${crafted}: ${JSON.stringify(res2.body)}`);
          assert.equal(res2.body.error, 'not_found');
        }
        if (route.path.includes(':link_id')) {
          // ACME's own user, OTHER's link id
          const mixed = route.path.replace(':org', 'ACME').replace(':user_id', acmeUser.id).replace(':link_id', otherLink);
          const res3 = await api(server, acmeToken, route.method, mixed, bodyFor(route.method, route.path));
          assert.equal(res3.status, 404, `${mixed}: ${JSON.stringify(res3.body)}`);
        }
        assert.equal(await snapshot(server, other.id), before, 'nothing of OTHER changed');
        assert.equal(sink.messages.length, mailsBefore, 'nothing mailed');
      });
    }

    it('the audit query of ACME never returns OTHER events, even filtered by an OTHER user id', async () => {
      await server.services.audit.record({ type: 'login.failed', orgId: other.id, userId: otherUser.id });
      const all = await api(server, acmeToken, 'GET', '/orgs/ACME/audit?limit=500');
      assert.equal(all.status, 200);
      assert.ok(all.body.events.every((e: { user_id: string | null }) => e.user_id !== otherUser.id));
      assert.equal((await api(server, acmeToken, 'GET', `/orgs/ACME/audit?user=${otherUser.id}`)).status, 404);
    });

    it('the upstream list of ACME holds only ACME upstreams, the link list only its own user\'s links', async () => {
      const ups = await api(server, acmeToken, 'GET', '/orgs/ACME/upstreams');
      assert.deepEqual(ups.body.upstreams.map((u: { id: string }) => u.id), [acmeUpstream]);
      const links = await api(server, acmeToken, 'GET', `/orgs/ACME/users/${acmeUser.id}/links`);
      assert.deepEqual(links.body.links.map((l: { id: string }) => l.id), [acmeLink]);
    });

    it('the user list of ACME holds only ACME users', async () => {
      const res = await api(server, acmeToken, 'GET', '/orgs/ACME/users');
      assert.deepEqual(res.body.users.map((u: { id: string }) => u.id), [acmeUser.id]);
    });

    it('an operator-wide client (no --org) reaches both organisations', async () => {
      assert.equal((await api(server, operatorToken, 'GET', `/orgs/OTHER/users/${otherUser.id}`)).status, 200);
      assert.equal((await api(server, operatorToken, 'GET', `/orgs/ACME/users/${acmeUser.id}`)).status, 200);
      // still: a user id is looked up only within the organisation in the path
      assert.equal((await api(server, operatorToken, 'GET', `/orgs/ACME/users/${otherUser.id}`)).status, 404);
    });
  });
}
