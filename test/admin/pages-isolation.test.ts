/**
 * Tenant isolation of the admin pages, as a matrix: the administrator of ACME against
 * every route of the admin pages router, with the ids of OTHER's users (path, query and
 * form), on both engines. Every answer is a 404 (or ACME's own data only), and OTHER's
 * rows are the same before and after; nothing is mailed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAdminPagesRouter } from '../../src/admin/pages/router.js';
import { valuesOf } from '../../src/admin/pages/policy-form.js';
import { linkAccount } from '../../src/federation/links.js';
import { addUpstream } from '../../src/federation/upstreams.js';
import { orgSettingsSchema } from '../../src/model.js';
import type { Services } from '../../src/services.js';
import { newSession, openAccount } from '../helpers/account.js';
import { createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { formField, type HttpSession } from '../helpers/http-session.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.js';
import { snapshot } from './helpers.js';
import { addTotp, createAdmin, type FixtureAdmin, signInAdmin } from './pages-helpers.js';

/** Every route the admin pages serve, read from the router itself. */
function adminPageRoutes(services: Services): string[] {
  const router = createAdminPagesRouter({ provider: undefined as never, services, selfSession: undefined as never });
  return router.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${layer.path}`)).sort();
}

interface Attack {
  method: 'GET' | 'POST';
  /** path (and query) with OTHER's ids in it */
  path: string;
  form?: Record<string, string>;
  /** 404, or 200/303/400 where the route answers with ACME's data only */
  status: number;
}

/**
 * For each route: the requests that name OTHER's users. `id` is an OTHER user id, `name`
 * its user ID (not in ACME); `link` a link of an OTHER user, `own` an ACME user's id.
 */
function attacks(route: string, id: string, name: string, more: { link: string; own: string } = { link: 'x', own: 'y' }): Attack[] {
  const [method, path] = route.split(' ') as ['GET' | 'POST', string];
  if (path.includes(':link')) {
    return [
      { method, path: path.replace(':id', id).replace(':link', more.link), status: 404 },
      // ACME's own user with OTHER's link id
      { method, path: path.replace(':id', more.own).replace(':link', more.link), status: 404 },
    ];
  }
  if (path.includes(':id')) {
    const form: Record<string, string> = path.endsWith('/2fa-email') ? { email: 'attacker@example.com' } : path.endsWith('/disable') || path.endsWith('/reset-mfa') ? { confirm: 'yes' } : {};
    return [{ method, path: path.replace(':id', id), form, status: 404 }];
  }
  switch (route) {
    case 'GET /admin':
      return [{ method, path: `/admin?user=${id}`, status: 302 }];
    case 'GET /admin/users':
      return [
        { method, path: `/admin/users?q=${encodeURIComponent(name)}`, status: 200 },
        { method, path: `/admin/users?q=${id}`, status: 200 },
      ];
    case 'GET /admin/users/new':
      return [{ method, path: `/admin/users/new?id=${id}`, status: 200 }];
    case 'POST /admin/users':
      // OTHER's user ID is free in ACME: the user is made in ACME, OTHER is untouched
      return [{ method, path, form: { username: name, password: 'correct horse battery staple', email: '', name: '', locale: '', role: 'admin' }, status: 303 }];
    case 'GET /admin/audit':
      return [
        { method, path: `/admin/audit?user=${id}`, status: 404 },
        { method, path: `/admin/audit?username=${encodeURIComponent(name)}`, status: 400 },
      ];
    case 'GET /admin/policy':
      return [{ method, path: `/admin/policy?org=OTHER`, status: 200 }];
    case 'POST /admin/policy':
      return [
        { method, path: '/admin/policy', form: { ...valuesOf(orgSettingsSchema.parse({})), org: 'OTHER' }, status: 400 },
        // a complete, valid form changes the administrator's own organisation only
        { method, path: '/admin/policy', form: { ...valuesOf(orgSettingsSchema.parse({})), mfa: 'off' }, status: 303 },
      ];
    default:
      throw new Error(`no isolation case for ${route}: add one to this matrix`);
  }
}

for (const engine of engines()) {
  describe(`admin pages tenant isolation matrix (${engine})`, () => {
    let server: TestServer;
    let sink: SmtpSink;
    let acme: { id: string; code: string };
    let other: { id: string; code: string };
    let admin: FixtureAdmin;
    let otherAdmin: FixtureAdmin;
    let otherUser: FixtureUser;
    let session: HttpSession;
    let csrf: string;
    let otherLink: string;
    let alice: FixtureUser;

    before(async () => {
      sink = await startSmtpSink();
      server = await startTestServer({ engine, env: { IDP_SMTP_URL: sink.url } });
      acme = await createOrg(server.services, 'ACME', { mfa: 'optional' });
      other = await createOrg(server.services, 'OTHER', { mfa: 'required', methods: ['totp'] });
      admin = await createAdmin(server.services, acme);
      alice = await createUser(server.services, acme, { username: 'alice' });
      otherAdmin = await createAdmin(server.services, other, { username: 'other-root' });
      otherUser = await createUser(server.services, other, { username: 'only-in-other' });
      await addTotp(server.services, otherUser);
      const otherOrg = (await server.services.repos.orgs.findById(other.id))!;
      const up = await addUpstream(server.services, otherOrg, { slug: 'corp', issuer: 'https://other.example', client_id: 'c', display_name: 'Corp' }, 'test');
      otherLink = (await linkAccount(server.services, (await server.services.repos.users.findById(otherUser.id))!, up, 'other-subject', { by: 'test' })).id;
      await server.services.audit.record({ type: 'login.failed', orgId: other.id, userId: otherUser.id, details: { reason: 'secret-of-other' } });
      session = newSession(server.url);
      const page = await signInAdmin(session, admin);
      csrf = formField(page.html, 'csrf')!;
    });
    after(async () => {
      await server.stop({ dropDatabase: true });
      await sink.stop();
    });

    it('covers every route of the admin pages', () => {
      const routes = adminPageRoutes(server.services);
      assert.ok(routes.length >= 14, routes.join(', '));
      for (const r of routes) assert.ok(attacks(r, 'x', 'y').length > 0, r);
    });

    const routeList = [
      'GET /admin',
      'GET /admin/users',
      'GET /admin/users/new',
      'GET /admin/users/:id',
      'GET /admin/users/:id/disable',
      'POST /admin/users/:id/disable',
      'GET /admin/users/:id/reset-mfa',
      'POST /admin/users/:id/reset-mfa',
      'POST /admin/users/:id/enable',
      'POST /admin/users/:id/force-password-change',
      'POST /admin/users/:id/unlock',
      'POST /admin/users/:id/2fa-email',
      'POST /admin/users/:id/links/:link/unlink',
      'GET /admin/audit',
      'GET /admin/policy',
      'POST /admin/policy',
      // last: it makes ACME users under OTHER's user IDs, which the audit case must not find
      'POST /admin/users',
    ];

    it('the matrix below lists exactly the router\'s routes', () => {
      assert.deepEqual([...routeList].sort(), adminPageRoutes(server.services));
    });

    for (const route of routeList) {
      it(`${route}: the ACME administrator cannot read or change anything of OTHER`, async () => {
        for (const target of [otherUser, otherAdmin]) {
          for (const attack of attacks(route, target.id, target.username, { link: otherLink, own: alice.id })) {
            const before = await snapshot(server, other.id);
            const mails = sink.messages.length;
            const url = `${server.url}${attack.path}`;
            const res = attack.method === 'GET' ? await session.get(url) : await session.post(url, { csrf, ...attack.form });
            const body = await res.text();
            assert.equal(res.status, attack.status, `${attack.method} ${attack.path}: ${body.slice(0, 300)}`);
            if (attack.status === 404) assert.match(body, /not found/i);
            // a page may echo the request itself (the switcher's return link, a filter's value), nothing else of OTHER
            const echoed = body.replaceAll(encodeURIComponent(attack.path), '').replaceAll(`value="${target.id}"`, '').replaceAll(`value="${target.username}"`, '');
            for (const secret of [otherUser.id, otherAdmin.id, 'secret-of-other', 'OTHER Inc.']) assert.ok(!echoed.includes(secret), `${attack.path} shows ${secret}`);
            assert.equal(await snapshot(server, other.id), before, `${attack.method} ${attack.path} changed OTHER`);
            assert.equal(sink.messages.length, mails, 'nothing mailed');
          }
        }
      });
    }

    it('the user list and the audit log of ACME hold ACME rows only', async () => {
      const users = await openAccount(session, '/admin/users?limit=200');
      assert.doesNotMatch(users.html, new RegExp(`${otherUser.id}|${otherAdmin.id}`));
      const audit = await openAccount(session, '/admin/audit');
      assert.doesNotMatch(audit.html, /secret-of-other/);
      assert.doesNotMatch(audit.html, new RegExp(otherUser.id));
      // the user made by the matrix under OTHER's user ID lives in ACME
      const made = await server.services.repos.users.findByUsername(acme.id, 'only-in-other');
      assert.ok(made);
      assert.equal(made.orgId, acme.id);
    });
  });
}
