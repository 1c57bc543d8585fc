import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { connect } from '../../src/db/connect.js';
import { cliEnvironment } from '../cli/helpers.js';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/server.js';

/** Runs `idp …` in this process (the same main() as bin/idp.js) against a test database. */
async function idp(env: Record<string, string>, args: string[], input = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const status = await main(args, { env, stdout, stderr, stdin: Readable.from([input]) });
  return { status, stdout: out, stderr: err };
}

for (const engine of engines()) {
  describe(`idp upstreams (${engine})`, () => {
    let db: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      db = await createTestDatabase(engine);
      env = cliEnvironment(db, '/tmp');
      assert.equal((await idp(env, ['orgs', 'add', '--code', 'ACME', '--name', 'Acme', '--federated-mfa', 'always'])).status, 0);
    });
    after(() => db.drop());

    it('adds, lists, updates and removes an upstream; the secret is sealed and never printed', async () => {
      const add = await idp(env, ['upstreams', 'add', '--org', 'acme', '--slug', 'corp', '--issuer', 'https://id.corp.example', '--client-id', 'portal', '--client-secret-stdin', '--display-name', 'Corp ID', '--json'], 'the-secret\n');
      assert.equal(add.status, 0, add.stderr);
      const upstream = JSON.parse(add.stdout).upstream;
      assert.equal(upstream.slug, 'corp');
      assert.equal(upstream.has_client_secret, true);
      assert.deepEqual(upstream.scopes, ['openid', 'profile']);
      assert.equal(upstream.label_en, 'Sign in with Corp ID');
      assert.equal(upstream.label_ja, 'Corp IDでログイン');
      assert.doesNotMatch(add.stdout, /the-secret/);

      const knex = connect(db.url, 1);
      try {
        const row = await knex('upstreams').where({ slug: 'corp' }).first();
        assert.ok(row.client_secret_encrypted.startsWith('v1.'));
        assert.doesNotMatch(row.client_secret_encrypted, /the-secret/);
        const audit = await knex('audit_events').where({ type: 'upstream.created' });
        assert.equal(audit.length, 1);
      } finally {
        await knex.destroy();
      }

      const list = await idp(env, ['upstreams', 'list', '--json']);
      assert.equal(JSON.parse(list.stdout).upstreams.length, 1);
      assert.doesNotMatch(list.stdout, /the-secret/);

      const update = await idp(env, ['upstreams', 'update', '--org', 'ACME', '--slug', 'corp', '--label-ja', '社内IDでログイン', '--client-secret', '', '--enabled', 'no', '--json']);
      assert.equal(update.status, 0, update.stderr);
      const changed = JSON.parse(update.stdout).upstream;
      assert.equal(changed.label_ja, '社内IDでログイン');
      assert.equal(changed.has_client_secret, false);
      assert.equal(changed.enabled, false);
      assert.equal(changed.issuer, 'https://id.corp.example');

      const orgs = JSON.parse((await idp(env, ['orgs', 'list', '--json'])).stdout).orgs;
      assert.equal(orgs[0].settings.federated_mfa, 'always');

      const remove = await idp(env, ['upstreams', 'remove', '--org', 'ACME', '--slug', 'corp', '--json']);
      assert.deepEqual(JSON.parse(remove.stdout), { slug: 'corp', removed: true, links_removed: 0 });
      assert.equal(JSON.parse((await idp(env, ['upstreams', 'list', '--json'])).stdout).upstreams.length, 0);
    });

    it('names the option at fault and writes nothing', async () => {
      const cases: [string[], RegExp][] = [
        [['--issuer', 'ftp://x', '--client-id', 'c', '--display-name', 'X'], /^idp: --issuer must be an http\(s\) URL/],
        [['--issuer', 'https://x?y=1', '--client-id', 'c', '--display-name', 'X'], /^idp: --issuer must not contain a query/],
        [['--issuer', 'https://x', '--client-id', 'c', '--display-name', 'X', '--scopes', 'profile,email'], /^idp: --scopes must include openid/],
        [['--issuer', 'https://x', '--client-id', 'c', '--display-name', ''], /^idp: --display-name must not be empty/],
        [['--issuer', 'https://x', '--client-id', 'c', '--display-name', 'X', '--clients', 'nope'], /^idp: --clients names no client nope/],
        [['--issuer', 'https://x', '--display-name', 'X'], /^idp: --client-id is required/],
        [['--issuer', 'https://x', '--client-id', 'c', '--display-name', 'X', '--enabled', 'maybe'], /^idp: --enabled must be yes or no/],
      ];
      for (const [extra, message] of cases) {
        const r = await idp(env, ['upstreams', 'add', '--org', 'ACME', '--slug', 'bad', ...extra, '--json']);
        assert.equal(r.status, 2, `${extra.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stdout, '');
      }
      const unknownOrg = await idp(env, ['upstreams', 'add', '--org', 'NOPE', '--slug', 'x', '--issuer', 'https://x', '--client-id', 'c', '--display-name', 'X']);
      assert.match(unknownOrg.stderr, /^idp: --org: no organisation with code NOPE/);
      assert.equal(JSON.parse((await idp(env, ['upstreams', 'list', '--json'])).stdout).upstreams.length, 0);

      const ok = ['upstreams', 'add', '--org', 'ACME', '--slug', 'dup', '--issuer', 'https://x', '--client-id', 'c', '--display-name', 'X'];
      assert.equal((await idp(env, ok)).status, 0);
      const dup = await idp(env, ok);
      assert.equal(dup.status, 2);
      assert.match(dup.stderr, /^idp: --slug dup already exists in ACME/);
      const missing = await idp(env, ['upstreams', 'update', '--org', 'ACME', '--slug', 'nope', '--enabled', 'no']);
      assert.match(missing.stderr, /^idp: --slug: no upstream "nope"/);
      const nothing = await idp(env, ['upstreams', 'update', '--org', 'ACME', '--slug', 'dup']);
      assert.match(nothing.stderr, /^idp: options: must change at least one field/);
    });

    it('refuses plain-http issuers in production', async () => {
      const prod = { ...env, NODE_ENV: 'production', IDP_ISSUER: 'https://id.example.com', IDP_SMTP_URL: 'smtp://127.0.0.1:25', IDP_MAIL_FROM: 'no-reply@example.com' };
      const r = await idp(prod, ['upstreams', 'add', '--org', 'ACME', '--slug', 'plain', '--issuer', 'http://id.corp.example', '--client-id', 'c', '--display-name', 'X']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--issuer must use https in production/);
    });
  });
}
