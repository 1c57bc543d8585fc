import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { migrationSource } from '../../db/migrations/index.js';
import type { FixtureClient } from '../helpers/fixtures.js';
import { relyingParty, signIn } from '../helpers/rp.js';
import { createTestDatabase, type Engine, startTestServer, type TestServer } from '../helpers/server.js';
import { auditTypes, type CliTarget, cliTarget, ensureBuilt, idp, idpJson, idpText, SECRET_KEY } from './helpers.js';

/** openid-client reports a 401 with a WWW-Authenticate challenge as its own error type. */
function isInvalidClient(err: { error?: string; cause?: { parameters?: { error?: string } }[] }): boolean {
  return err.error === 'invalid_client' || err.cause?.[0]?.parameters?.error === 'invalid_client';
}

const REDIRECT = 'http://127.0.0.1:9/callback';
const POST_LOGOUT = 'http://127.0.0.1:9/logged-out';

function suite(engine: Engine) {
  describe(`idp commands (${engine})`, () => {
    let t: CliTarget;
    let env: Record<string, string>;

    before(async () => {
      await ensureBuilt();
      t = cliTarget(await createTestDatabase(engine));
      env = t.env;
    });
    after(() => t.close());

    describe('migrate', () => {
      it('applies the migrations to a fresh database and reports them', async () => {
        const out = await idpJson(env, ['migrate']);
        const all = await migrationSource.getMigrations([]);
        assert.ok(all.includes('001_core'));
        assert.deepEqual(out, { applied: all });
      });
      it('reports an up-to-date database', async () => {
        assert.deepEqual(await idpJson(env, ['migrate']), { applied: [] });
        assert.match(await idpText(env, ['migrate']), /up to date/);
      });
    });

    describe('orgs', () => {
      it('adds an organisation with a policy (--json)', async () => {
        const out = await idpJson(env, [
          'orgs', 'add', '--code', 'acme', '--name', 'Acme Inc.', '--mfa', 'optional', '--methods', 'totp,webauthn',
          '--remember-hours', '24', '--password-min-length', '10', '--password-min-score', '1',
          '--session-idle-minutes', '15', '--session-max-hours', '8', '--system-title', 'Acme portal',
        ]);
        const org = out.org as Record<string, unknown>;
        assert.deepEqual(Object.keys(out), ['org']);
        assert.equal(org.code, 'ACME');
        assert.equal(org.name, 'Acme Inc.');
        assert.deepEqual(org.settings, {
          mfa: 'optional',
          methods: ['totp', 'webauthn'],
          remember_hours: 24,
          password_min_length: 10,
          password_min_score: 1,
          session_idle_minutes: 15,
          session_max_hours: 8,
          system_title: 'Acme portal',
          first_login_password_change: false,
          email_code_minutes: 10,
          totp_period: 30,
          totp_digits: 6,
          wrong_code_limit: 5,
          require_verified_email: false,
          reenrol_after_backup_code: false,
          passkeys: false,
          webauthn_aaguids: [],
          reset_mfa_on_password_reset: false,
          federated_mfa: 'trust-upstream',
        });
        assert.deepEqual(await auditTypes(t.knex), ['org.created']);
      });

      it('adds an organisation with the default policy (human output)', async () => {
        const text = await idpText(env, ['orgs', 'add', '--code', 'Beta_2', '--name', 'Beta']);
        assert.match(text, /Created organisation BETA_2 \(Beta\)/);
        assert.match(text, /mfa:\s+off/);
        assert.match(text, /password min length:\s+8/);
      });

      it('updates only the given settings', async () => {
        const out = await idpJson(env, ['orgs', 'update', '--code', 'beta_2', '--mfa', 'required', '--name', 'Beta Corp', '--system-title', 'Beta']);
        const org = out.org as { name: string; settings: Record<string, unknown> };
        assert.equal(org.name, 'Beta Corp');
        assert.equal(org.settings.mfa, 'required');
        assert.deepEqual(org.settings.methods, ['totp', 'email', 'webauthn']);
        assert.equal(org.settings.system_title, 'Beta');
        const cleared = await idpJson(env, ['orgs', 'update', '--code', 'BETA_2', '--system-title', '']);
        assert.equal((cleared.org as { settings: Record<string, unknown> }).settings.system_title, undefined);
        assert.match(await idpText(env, ['orgs', 'update', '--code', 'BETA_2', '--remember-hours', '0']), /remember hours:\s+0/);
      });

      it('lists organisations', async () => {
        const out = await idpJson(env, ['orgs', 'list']);
        const orgs = out.orgs as { code: string; settings: { mfa: string } }[];
        assert.deepEqual(orgs.map((o) => o.code), ['ACME', 'BETA_2']);
        assert.equal(orgs[1]!.settings.mfa, 'required');
        const text = await idpText(env, ['orgs', 'list']);
        assert.match(text, /^CODE\s+NAME/);
        assert.match(text, /ACME\s+Acme Inc\.\s+optional/);
      });
    });

    describe('users', () => {
      let alice: Record<string, unknown>;

      it('adds a user with every option (--json), never showing the password hash', async () => {
        const result = await idp(env, [
          'users', 'add', '--org', 'acme', '--username', 'alice', '--password', 'correct horse battery staple',
          '--email', 'alice@example.com', '--name', 'Alice Example', '--locale', 'en', '--role', 'admin', '--json',
        ]);
        assert.doesNotMatch(result.stdout, /argon2|password_hash|passwordHash|correct horse/i);
        const out = await idpJson(env, ['users', 'list', '--org', 'ACME']);
        assert.equal(result.status, 0, result.stderr);
        alice = (JSON.parse(result.stdout) as { user: Record<string, unknown> }).user;
        assert.equal(alice.username, 'alice');
        assert.equal(alice.org, 'ACME');
        assert.equal(alice.email, 'alice@example.com');
        assert.equal(alice.name, 'Alice Example');
        assert.equal(alice.locale, 'en');
        assert.equal(alice.role, 'admin');
        assert.equal(alice.must_change_password, false);
        assert.deepEqual(out.users, [alice]);
        const row = await t.knex('users').where({ id: alice.id }).first();
        assert.match(row.password_hash, /^\$argon2id\$/);
      });

      it('reads the password from stdin with --password-stdin (human output)', async () => {
        const text = await idpText(
          env,
          ['users', 'add', '--org', 'ACME', '--username', 'bob', '--password-stdin', '--must-change-password'],
          'a long enough passphrase here\n',
        );
        assert.match(text, /Created user bob in ACME/);
        assert.match(text, /must change password:\s+yes/);
        const list = await idpJson(env, ['users', 'list', '--org', 'acme']);
        const bob = (list.users as Record<string, unknown>[]).find((u) => u.username === 'bob')!;
        assert.equal(bob.must_change_password, true);
        assert.equal(bob.role, 'user');
      });

      it('lists users as a table', async () => {
        const text = await idpText(env, ['users', 'list', '--org', 'ACME']);
        assert.match(text, /^USERNAME/);
        assert.match(text, /alice\s+Alice Example\s+alice@example\.com\s+admin/);
        assert.match(text, /bob\s.*must-change-password/);
        assert.match(await idpText(env, ['users', 'list', '--org', 'BETA_2']), /No users in BETA_2/);
      });

      it('resets second factors (audited mfa.reset)', async () => {
        await t.knex('throttles').insert({ key: `mfa:acct:${alice.id}`, failures: 3, locked_until: Date.now() + 60_000, last_failure_at: Date.now() });
        const now = Date.now();
        await t.knex('factors').insert([
          { id: 'f-totp', user_id: alice.id, type: 'totp', label: 'Phone', secret_encrypted: 'x', confirmed_at: now, created_at: now },
          { id: 'f-mail', user_id: alice.id, type: 'email', label: 'mail', email: 'a@example.com', confirmed_at: now, created_at: now },
        ]);
        await t.knex('backup_codes').insert([1, 2, 3].map((i) => ({ user_id: alice.id, code_hash: `h${i}`, created_at: now })));
        await t.knex('remembered_browsers').insert({ id: 'rb1', user_id: alice.id, token_hash: 'th', amr: '["otp"]', created_at: now, expires_at: now + 3600_000 });
        const out = await idpJson(env, ['users', 'reset-mfa', '--org', 'ACME', '--username', 'ALICE']);
        assert.deepEqual(out, {
          user: { id: alice.id, org: 'ACME', username: 'alice' },
          mfa_reset: { factors_removed: 2, backup_codes_removed: 3, browsers_revoked: 1, throttles_cleared: 1 },
        });
        assert.equal((await t.knex('factors').where({ user_id: alice.id })).length, 0);
        assert.equal((await t.knex('backup_codes').where({ user_id: alice.id })).length, 0);
        assert.ok((await t.knex('remembered_browsers').where({ id: 'rb1' }).first()).revoked_at);
        assert.equal(await t.knex('throttles').where({ key: `mfa:acct:${alice.id}` }).first(), undefined);
        const event = await t.knex('audit_events').where({ type: 'mfa.reset' }).first();
        assert.equal(event.user_id, alice.id);
        assert.deepEqual(JSON.parse(event.details).by, 'cli');
        assert.match(await idpText(env, ['users', 'reset-mfa', '--org', 'ACME', '--username', 'alice']), /Reset the second factors of alice/);
      });

      it('unlocks a locked-out account (audited account.unlocked)', async () => {
        const key = 'pwd:acct:ACME:alice';
        await t.knex('throttles').insert({ key, failures: 6, locked_until: Date.now() + 60_000, last_failure_at: Date.now() });
        const out = await idpJson(env, ['users', 'unlock', '--org', 'acme', '--username', 'alice']);
        assert.deepEqual(out, { user: { id: alice.id, org: 'ACME', username: 'alice' }, unlocked: { was_locked: true, failures_cleared: 6 } });
        assert.equal(await t.knex('throttles').where({ key }).first(), undefined);
        assert.match(await idpText(env, ['users', 'unlock', '--org', 'ACME', '--username', 'alice']), /was not locked/);
        const types = await auditTypes(t.knex);
        assert.ok(types.includes('account.unlocked'));
        assert.equal(types.filter((x) => x === 'user.created').length, 2);
      });
    });

    describe('clients', () => {
      let billingSecret = '';
      it('adds a confidential client and prints exactly client_id and client_secret', async () => {
        const out = await idpJson(env, [
          'clients', 'add', '--name', 'billing', '--redirect-uri', 'https://billing.example.com/cb',
          '--redirect-uri', 'http://localhost:3001/cb', '--post-logout-redirect-uri', 'https://billing.example.com/',
          '--org', 'ACME', '--require-mfa', '--third-party', '--id-token-alg', 'ES256',
        ]);
        assert.deepEqual(Object.keys(out).sort(), ['client_id', 'client_secret']);
        assert.match(out.client_secret as string, /^[A-Za-z0-9_-]{43}$/);
        billingSecret = out.client_secret as string;
        const list = await idpJson(env, ['clients', 'list']);
        const client = (list.clients as Record<string, unknown>[]).find((c) => c.client_id === out.client_id)!;
        assert.equal(client.client_name, 'billing');
        assert.equal(client.org, 'ACME');
        assert.equal(client.public, false);
        assert.equal(client.first_party, false);
        assert.equal(client.require_mfa, true);
        assert.equal(client.id_token_signed_response_alg, 'ES256');
        assert.deepEqual(client.redirect_uris, ['https://billing.example.com/cb', 'http://localhost:3001/cb']);
        assert.deepEqual(client.post_logout_redirect_uris, ['https://billing.example.com/']);
        assert.deepEqual(client.grant_types, ['authorization_code', 'refresh_token']);
      });

      it('adds a public client without a secret (human output)', async () => {
        const text = await idpText(env, ['clients', 'add', '--name', 'spa', '--redirect-uri', 'http://127.0.0.1:5173/cb', '--public']);
        assert.match(text, /client_id:/);
        assert.doesNotMatch(text, /client_secret/);
        const json = await idpJson(env, ['clients', 'add', '--name', 'spa2', '--redirect-uri', 'http://127.0.0.1:5173/cb', '--public']);
        assert.deepEqual(Object.keys(json), ['client_id']);
        const list = await idpJson(env, ['clients', 'list']);
        const spa = (list.clients as Record<string, unknown>[]).find((c) => c.client_id === json.client_id)!;
        assert.equal(spa.public, true);
        assert.equal(spa.token_endpoint_auth_method, 'none');
        assert.equal(spa.first_party, true);
      });

      it('lists clients without their secrets', async () => {
        const result = await idp(env, ['clients', 'list', '--json']);
        assert.equal(result.status, 0);
        assert.ok(billingSecret && !result.stdout.includes(billingSecret));
        assert.doesNotMatch(result.stdout, /"client_secret"/);
        const text = await idpText(env, ['clients', 'list']);
        assert.match(text, /^CLIENT_ID\s+NAME/);
        assert.match(text, /billing\s+confidential\s+ACME/);
        assert.ok(!text.includes(billingSecret));
      });

      it('removes a client', async () => {
        const { client_id: id } = await idpJson(env, ['clients', 'add', '--name', 'temp', '--redirect-uri', 'https://t.example.com/cb']);
        assert.deepEqual(await idpJson(env, ['clients', 'remove', '--client-id', id as string]), { client_id: id, removed: true });
        const list = await idpJson(env, ['clients', 'list']);
        assert.ok(!(list.clients as { client_id: string }[]).some((c) => c.client_id === id));
        const { client_id: id2 } = await idpJson(env, ['clients', 'add', '--name', 'temp2', '--redirect-uri', 'https://t.example.com/cb']);
        assert.match(await idpText(env, ['clients', 'remove', '--client-id', id2 as string]), /Removed client/);
        const types = await auditTypes(t.knex);
        assert.equal(types.filter((x) => x === 'client.removed').length, 2);
      });
    });

    describe('keys rotate', () => {
      it('publishes a new key set that signs after the delay and schedules the old keys\' retirement', async () => {
        const before = Date.now();
        const out = await idpJson(env, ['keys', 'rotate', '--delay-seconds', '120']);
        assert.equal((out.kids as string[]).length, 3);
        const signsFrom = Date.parse(out.signs_from as string);
        assert.ok(signsFrom >= before + 120_000 && signsFrom <= Date.now() + 120_000);
        // the old keys leave the JWKS one ID token lifetime (3600 s) after the new ones sign
        assert.equal(Date.parse(out.retire_after as string) - signsFrom, 3600_000);
        const rows = (await t.knex('keys').where({ use: 'sig' }).select('kid', 'not_before', 'retire_after')) as { kid: string; not_before: string | number; retire_after: string | number | null }[];
        for (const kid of out.kids as string[]) {
          const row = rows.find((r) => r.kid === kid)!;
          assert.equal(Number(row.not_before), signsFrom);
          assert.equal(row.retire_after, null);
        }
        for (const kid of out.retiring as string[]) assert.equal(Number(rows.find((r) => r.kid === kid)!.retire_after), Date.parse(out.retire_after as string));
        assert.equal((out.retiring as string[]).length, rows.length - 3);
        assert.match(await idpText(env, ['keys', 'rotate']), /Published new signing keys: .+\nThey sign from .+ \(in 3600 s\).*no restart\.\nOld keys .+ stay published until /);
        assert.ok((await auditTypes(t.knex)).includes('keys.rotated'));
      });
    });

    describe('against the running server', () => {
      let server: TestServer;
      const password = 'pass phrase for carol 42';
      let carolId: string;
      let confidential: FixtureClient;
      let publicClient: FixtureClient;
      let service: FixtureClient;

      before(async () => {
        carolId = ((await idpJson(env, ['users', 'add', '--org', 'ACME', '--username', 'carol', '--password', password])).user as { id: string }).id;
        const c = await idpJson(env, ['clients', 'add', '--name', 'portal', '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', POST_LOGOUT, '--org', 'ACME']);
        confidential = { clientId: c.client_id as string, clientSecret: c.client_secret as string, redirectUri: REDIRECT, postLogoutRedirectUri: POST_LOGOUT };
        const p = await idpJson(env, ['clients', 'add', '--name', 'spa', '--redirect-uri', REDIRECT, '--public']);
        publicClient = { clientId: p.client_id as string, redirectUri: REDIRECT, postLogoutRedirectUri: POST_LOGOUT };
        const s = await idpJson(env, ['clients', 'add', '--name', 'batch', '--grant-types', 'client_credentials']);
        service = { clientId: s.client_id as string, clientSecret: s.client_secret as string, redirectUri: REDIRECT, postLogoutRedirectUri: POST_LOGOUT };
        // a short client cache: the removal test below waits for it to run out
        server = await startTestServer({ database: { url: t.database.url, drop: async () => undefined }, secretKey: SECRET_KEY, env: { IDP_CLIENT_CACHE_SECONDS: '1' } });
      });
      after(() => server?.stop());

      it('a user created by the CLI signs in through a client created by the CLI', async () => {
        const config = await relyingParty(server.url, confidential);
        const { tokens } = await signIn(server.url, config, confidential, { orgCode: 'acme', username: 'carol', password });
        assert.equal(tokens.claims()!.sub, carolId);
        assert.deepEqual(tokens.claims()!.amr, ['pwd']);
      });

      it('a --public client signs in with PKCE and no secret', async () => {
        const config = await relyingParty(server.url, publicClient);
        const { tokens } = await signIn(server.url, config, publicClient, { orgCode: 'ACME', username: 'carol', password });
        assert.equal(tokens.claims()!.sub, carolId);
      });

      it("the printed client_secret works at the token endpoint (client_credentials), a wrong one doesn't", async () => {
        const config = await relyingParty(server.url, service);
        const tokens = await oidc.clientCredentialsGrant(config);
        assert.equal(typeof tokens.access_token, 'string');
        assert.equal(tokens.token_type.toLowerCase(), 'bearer');
        const wrong = await relyingParty(server.url, { ...service, clientSecret: 'not-the-secret' });
        await assert.rejects(oidc.clientCredentialsGrant(wrong), isInvalidClient);
      });

      it('a removed client can no longer get tokens once the client cache (IDP_CLIENT_CACHE_SECONDS=1) runs out', async () => {
        const s = await idpJson(env, ['clients', 'add', '--name', 'doomed', '--grant-types', 'client_credentials']);
        const doomed = { ...service, clientId: s.client_id as string, clientSecret: s.client_secret as string };
        const config = await relyingParty(server.url, doomed);
        await oidc.clientCredentialsGrant(config);
        const cachedAt = Date.now();
        await idpJson(env, ['clients', 'remove', '--client-id', doomed.clientId]);
        // the CLI is another process: the server finds out when its cached copy expires
        await new Promise((r) => setTimeout(r, Math.max(0, cachedAt + 1_100 - Date.now())));
        await assert.rejects(oidc.clientCredentialsGrant(config), isInvalidClient);
      });
    });
  });
}

suite('sqlite');
if (process.env.IDP_TEST_DATABASE_URL) suite('postgres');
else it('idp commands (postgres): set IDP_TEST_DATABASE_URL=postgres://… to run on PostgreSQL', { skip: 'IDP_TEST_DATABASE_URL is not set' }, () => {});
