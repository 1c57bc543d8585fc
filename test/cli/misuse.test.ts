import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CliUsageError } from '../../src/cli/args.js';
import { isUniqueViolation, uniquely } from '../../src/cli/context.js';
import { createOrgRepository } from '../../src/db/orgs.js';
import { createTestDatabase, type Engine } from '../helpers/server.js';
import { type CliTarget, cliTarget, ensureBuilt, errorLines, idp, idpJson, snapshot } from './helpers.js';

interface Misuse {
  title: string;
  args: string[];
  stdin?: string;
  env?: Record<string, string>;
  /** the exact message, or a pattern that must name the option */
  message: string | RegExp;
  exit?: number;
}

const GOOD_PASSWORD = 'correct horse battery staple';

const cases: Misuse[] = [
  { title: 'no command', args: [], message: /a command is needed/ },
  { title: 'unknown command', args: ['frobnicate'], message: /unknown command "frobnicate"/ },
  { title: 'unknown subcommand', args: ['orgs', 'delete', '--code', 'ACME'], message: /unknown command "orgs delete"/ },
  { title: 'unknown option', args: ['orgs', 'add', '--code', 'NEW', '--name', 'New', '--colour', 'red'], message: /unknown option --colour/ },
  { title: 'positional argument', args: ['orgs', 'add', 'NEW', '--name', 'New'], message: /unexpected argument "NEW"/ },
  { title: 'missing --code', args: ['orgs', 'add', '--name', 'New'], message: 'idp: --code is required' },
  { title: 'missing --name', args: ['orgs', 'add', '--code', 'NEW'], message: 'idp: --name is required' },
  { title: 'option without its value', args: ['orgs', 'add', '--code', '--name', 'New'], message: /--code needs a value/ },
  { title: 'repeated single-value option', args: ['orgs', 'add', '--code', 'A', '--code', 'B', '--name', 'x'], message: /--code given more than once/ },
  {
    title: 'bad --mfa value',
    args: ['orgs', 'add', '--code', 'NEW', '--name', 'New', '--mfa', 'sometimes'],
    message: 'idp: --mfa must be one of off, optional, required (got "sometimes")',
  },
  { title: 'bad --methods value', args: ['orgs', 'add', '--code', 'NEW', '--name', 'New', '--methods', 'totp,sms'], message: /--methods .*"sms"/ },
  { title: 'out-of-range --remember-hours', args: ['orgs', 'add', '--code', 'NEW', '--name', 'New', '--remember-hours', '1000'], message: /--remember-hours must be a whole number from 0 to 720/ },
  { title: 'non-numeric --password-min-length', args: ['orgs', 'add', '--code', 'NEW', '--name', 'New', '--password-min-length', 'ten'], message: /--password-min-length/ },
  { title: 'org code with a space', args: ['orgs', 'add', '--code', 'A B', '--name', 'New'], message: /--code must be 1 to 64 letters/ },
  { title: 'duplicate org (any case)', args: ['orgs', 'add', '--code', 'acme', '--name', 'Again'], message: /--code: organisation ACME already exists/ },
  { title: 'update of an unknown org', args: ['orgs', 'update', '--code', 'NOPE', '--mfa', 'off'], message: /--code: no organisation with code NOPE/ },
  { title: 'update without changes', args: ['orgs', 'update', '--code', 'ACME'], message: /nothing to change/ },
  { title: 'user for an unknown org', args: ['users', 'add', '--org', 'NOPE', '--username', 'x', '--password', GOOD_PASSWORD], message: /--org: no organisation with code NOPE/ },
  { title: 'duplicate username (any case)', args: ['users', 'add', '--org', 'ACME', '--username', 'ALICE', '--password', GOOD_PASSWORD], message: /--username: user "ALICE" already exists in organisation ACME/ },
  { title: 'username with a space', args: ['users', 'add', '--org', 'ACME', '--username', 'a b', '--password', GOOD_PASSWORD], message: /--username must be 1 to 128 characters/ },
  { title: 'short password', args: ['users', 'add', '--org', 'ACME', '--username', 'zed', '--password', 'short'], message: /--password is too short: organisation ACME requires at least 8 characters/ },
  { title: 'weak password for a strict org', args: ['users', 'add', '--org', 'STRICT', '--username', 'zed', '--password', 'password1'], message: /--password is too easy to guess/ },
  { title: 'weak password on stdin', args: ['users', 'add', '--org', 'STRICT', '--username', 'zed', '--password-stdin'], stdin: 'password1\n', message: /--password-stdin is too easy to guess/ },
  { title: 'password equal to the username', args: ['users', 'add', '--org', 'ACME', '--username', 'longusername', '--password', 'LongUsername'], message: /--password must not be the same as the username/ },
  { title: 'no password', args: ['users', 'add', '--org', 'ACME', '--username', 'zed'], message: /--password \(or --password-stdin\) is required/ },
  { title: 'two passwords', args: ['users', 'add', '--org', 'ACME', '--username', 'zed', '--password', GOOD_PASSWORD, '--password-stdin'], stdin: GOOD_PASSWORD, message: /either --password or --password-stdin/ },
  { title: 'bad --locale', args: ['users', 'add', '--org', 'ACME', '--username', 'zed', '--password', GOOD_PASSWORD, '--locale', 'fr'], message: 'idp: --locale must be one of ja, en (got "fr")' },
  { title: 'bad --role', args: ['users', 'add', '--org', 'ACME', '--username', 'zed', '--password', GOOD_PASSWORD, '--role', 'root'], message: /--role must be one of user, admin/ },
  { title: 'bad --email', args: ['users', 'add', '--org', 'ACME', '--username', 'zed', '--password', GOOD_PASSWORD, '--email', 'not-an-address'], message: /--email must be an e-mail address/ },
  { title: 'users list of an unknown org', args: ['users', 'list', '--org', 'NOPE'], message: /--org: no organisation/ },
  { title: 'reset-mfa of an unknown user', args: ['users', 'reset-mfa', '--org', 'ACME', '--username', 'nobody'], message: /--username: no user "nobody"/ },
  { title: 'unlock of an unknown user', args: ['users', 'unlock', '--org', 'ACME', '--username', 'nobody'], message: /--username: no user "nobody"/ },
  { title: 'redirect URI with a fragment', args: ['clients', 'add', '--name', 'x', '--redirect-uri', 'https://rp.example.com/cb#x'], message: /--redirect-uri must not contain a fragment/ },
  { title: 'relative redirect URI', args: ['clients', 'add', '--name', 'x', '--redirect-uri', '/cb'], message: /--redirect-uri must be an absolute URL/ },
  { title: 'non-http redirect URI', args: ['clients', 'add', '--name', 'x', '--redirect-uri', 'ftp://rp.example.com/cb'], message: /--redirect-uri must be an http\(s\) URL/ },
  { title: 'second redirect URI bad', args: ['clients', 'add', '--name', 'x', '--redirect-uri', 'https://ok.example.com/cb', '--redirect-uri', 'nope'], message: /--redirect-uri must be an absolute URL \(got "nope"\)/ },
  {
    title: 'plain http redirect URI in production',
    args: ['clients', 'add', '--name', 'x', '--redirect-uri', 'http://rp.example.com/cb'],
    env: { NODE_ENV: 'production', IDP_ISSUER: 'https://id.example.com', IDP_SMTP_URL: 'smtp://127.0.0.1:2525', IDP_MAIL_FROM: 'no-reply@example.com' },
    message: /--redirect-uri must use https/,
  },
  { title: 'bad post-logout redirect URI', args: ['clients', 'add', '--name', 'x', '--redirect-uri', 'https://ok.example.com/cb', '--post-logout-redirect-uri', 'javascript:alert(1)'], message: /--post-logout-redirect-uri must be an http\(s\) URL/ },
  { title: 'missing --redirect-uri', args: ['clients', 'add', '--name', 'x'], message: /--redirect-uri is required with the authorization_code grant/ },
  { title: 'bad --grant-types', args: ['clients', 'add', '--name', 'x', '--grant-types', 'password'], message: /--grant-types .*"password"/ },
  { title: 'public client with client_credentials', args: ['clients', 'add', '--name', 'x', '--public', '--grant-types', 'client_credentials'], message: /cannot be used with --public/ },
  { title: 'bad --id-token-alg', args: ['clients', 'add', '--name', 'x', '--redirect-uri', 'https://ok.example.com/cb', '--id-token-alg', 'HS256'], message: /--id-token-alg must be one of RS256, ES256, EdDSA/ },
  { title: 'client for an unknown org', args: ['clients', 'add', '--name', 'x', '--redirect-uri', 'https://ok.example.com/cb', '--org', 'NOPE'], message: /--org: no organisation/ },
  { title: 'switch given a value', args: ['clients', 'add', '--name', 'x', '--redirect-uri', 'https://ok.example.com/cb', '--public=yes'], message: /--public is a switch/ },
  { title: 'remove of an unknown client', args: ['clients', 'remove', '--client-id', 'nope'], message: /--client-id: no client nope/ },
  { title: 'non-numeric --delay-seconds', args: ['keys', 'rotate', '--delay-seconds', 'soon'], message: /--delay-seconds must be a whole number from 1 to 2592000 \(got "soon"\)/ },
  { title: '--delay-seconds not above the refresh interval', args: ['keys', 'rotate', '--delay-seconds', '60'], message: /--delay-seconds must exceed IDP_KEY_REFRESH_SECONDS \(60\)/ },
  { title: 'unreachable database', args: ['orgs', 'list'], env: { IDP_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/idp' }, message: /^idp: cannot use the database \(IDP_DATABASE_URL\): .*ECONNREFUSED/, exit: 1 },
  { title: 'another IDP_SECRET_KEY than the database was created with', args: ['clients', 'list'], env: { IDP_SECRET_KEY: 'a-different-secret-key-of-enough-length-0000' }, message: /^idp: IDP_SECRET_KEY cannot decrypt the stored secrets/, exit: 1 },
  { title: 'bad configuration', args: ['orgs', 'list'], env: { IDP_DATABASE_URL: 'mysql://db/idp' }, message: /^idp: configuration: IDP_DATABASE_URL: must be sqlite:PATH or postgres/, exit: 1 },
];

function suite(engine: Engine) {
  describe(`idp misuse (${engine})`, () => {
    let t: CliTarget;

    before(async () => {
      await ensureBuilt();
      t = cliTarget(await createTestDatabase(engine));
      await idpJson(t.env, ['orgs', 'add', '--code', 'ACME', '--name', 'Acme']);
      await idpJson(t.env, ['orgs', 'add', '--code', 'STRICT', '--name', 'Strict', '--password-min-score', '3', '--password-min-length', '8']);
      await idpJson(t.env, ['users', 'add', '--org', 'ACME', '--username', 'alice', '--password', GOOD_PASSWORD]);
      await idpJson(t.env, ['clients', 'add', '--name', 'existing', '--redirect-uri', 'https://rp.example.com/cb']);
    });
    after(() => t.close());

    for (const c of cases) {
      for (const json of [true, false]) {
        // every case with --json; a sample without, to see the human mode fails the same way
        if (!json && !/unknown option|missing --code|bad --mfa|duplicate|short password|fragment/.test(c.title)) continue;
        it(`${c.title}${json ? ' (--json)' : ''}: exit ${c.exit ?? 2}, message on stderr, nothing on stdout, nothing written`, async () => {
          const before = await snapshot(t.knex);
          const result = await idp({ ...t.env, ...c.env }, json ? [...c.args, '--json'] : c.args, c.stdin);
          assert.equal(result.status, c.exit ?? 2, `exit code; stderr: ${result.stderr}`);
          assert.equal(result.stdout, '', 'stdout stays empty');
          const lines = errorLines(result.stderr).filter((l) => !l.startsWith('idp: warning'));
          const first = lines.find((l) => l.startsWith('idp: ')) ?? '';
          if (typeof c.message === 'string') assert.equal(first, c.message);
          else assert.match(first, c.message);
          assert.deepEqual(await snapshot(t.knex), before, 'the database is unchanged');
        });
      }
    }

    it('prints help for the tool and each command on stdout with exit 0', async () => {
      const tool = await idp(t.env, ['--help']);
      assert.equal(tool.status, 0);
      for (const name of ['migrate', 'orgs add', 'orgs update', 'orgs list', 'users add', 'users list', 'users reset-mfa', 'users unlock', 'clients add', 'clients list', 'clients remove', 'keys rotate']) {
        assert.ok(tool.stdout.includes(`idp ${name} `), `tool help lists ${name}`);
        const help = await idp(t.env, [...name.split(' '), '--help']);
        assert.equal(help.status, 0);
        assert.match(help.stdout, new RegExp(`^Usage: idp ${name}`));
      }
      const group = await idp(t.env, ['users', '--help']);
      assert.match(group.stdout, /idp users reset-mfa/);
    });

    it('maps a unique-constraint violation (a concurrent duplicate) to the same usage error', async () => {
      const orgs = createOrgRepository(t.knex);
      const err = await orgs.create({ code: 'ACME', name: 'Racing duplicate', settings: {} }).catch((e: unknown) => e);
      assert.ok(isUniqueViolation(err), `unique violation recognised: ${String(err)}`);
      await assert.rejects(
        uniquely('--code: organisation ACME already exists', () => orgs.create({ code: 'acme', name: 'again', settings: {} })),
        (e: unknown) => e instanceof CliUsageError && e.exitCode === 2 && e.message === '--code: organisation ACME already exists',
      );
      assert.equal(isUniqueViolation(new Error('something else')), false);
    });
  });
}

suite('sqlite');
if (process.env.IDP_TEST_DATABASE_URL) suite('postgres');
else it('idp misuse (postgres): set IDP_TEST_DATABASE_URL=postgres://… to run on PostgreSQL', { skip: 'IDP_TEST_DATABASE_URL is not set' }, () => {});
