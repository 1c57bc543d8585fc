import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CliTarget, cliTarget, ensureBuilt, idp, idpJson, idpText } from '../cli/helpers.js';
import { createTestDatabase, engines } from '../helpers/server.js';
import { extractLink, startSmtpSink, type SmtpSink } from '../helpers/smtp.js';

type Event = { id: number; type: string; username: string | null; actor: string | null; details: Record<string, unknown> };

for (const engine of engines()) {
  describe(`idp audit and the user administration commands (${engine})`, () => {
    let t: CliTarget;
    let env: Record<string, string>;
    let sink: SmtpSink;

    before(async () => {
      await ensureBuilt();
      sink = await startSmtpSink();
      t = cliTarget(await createTestDatabase(engine));
      env = { ...t.env, IDP_SMTP_URL: sink.url, IDP_ISSUER: 'http://localhost:3999' };
      await idpJson(env, ['orgs', 'add', '--code', 'ACME', '--name', 'Acme']);
      await idpJson(env, ['orgs', 'add', '--code', 'OTHER', '--name', 'Other']);
      await idpJson(env, ['users', 'add', '--org', 'ACME', '--username', 'alice', '--password', 'correct horse battery']);
      await idpJson(env, ['users', 'add', '--org', 'OTHER', '--username', 'zed', '--password', 'correct horse battery']);
    });
    after(async () => {
      await t.close();
      await sink.stop();
    });

    it('disables, enables and forces a password change, matching the admin API', async () => {
      const disabled = await idpJson(env, ['users', 'disable', '--org', 'ACME', '--username', 'alice']);
      assert.equal((disabled.user as { disabled: boolean }).disabled, true);
      const enabled = await idpJson(env, ['users', 'enable', '--org', 'ACME', '--username', 'alice']);
      assert.equal((enabled.user as { disabled: boolean }).disabled, false);
      const forced = await idpJson(env, ['users', 'force-password-change', '--org', 'acme', '--username', 'ALICE']);
      assert.equal((forced.user as { must_change_password: boolean }).must_change_password, true);
      const row = await t.knex('users').where({ username: 'alice' }).first();
      assert.ok(row.must_change_password);
    });

    it('sets the 2FA email over real SMTP; the link points at the issuer', async () => {
      const out = await idpJson(env, ['users', 'set-2fa-email', '--org', 'ACME', '--username', 'alice', '--email', 'alice@example.com']);
      assert.equal(out.confirmation_sent, true);
      const mail = await sink.waitFor((m) => [m.to].flat().some((a) => a?.text === 'alice@example.com'));
      assert.match(extractLink(mail), /^http:\/\/localhost:3999\/verify-email\/[\w-]+$/);
      const bad = await idp(env, ['users', 'set-2fa-email', '--org', 'ACME', '--username', 'alice', '--email', 'nope']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--email must be an e-mail address/);
    });

    it('idp audit lists the organisation’s events newest first, with who did them', async () => {
      const out = await idpJson(env, ['audit', '--org', 'ACME']);
      const events = out.events as Event[];
      const types = events.map((e) => e.type);
      for (const t of ['user.created', 'user.disabled', 'user.enabled', 'password.change_forced', 'mfa.email_set_by_admin']) assert.ok(types.includes(t), t);
      assert.ok(events.every((e, i) => i === 0 || events[i - 1]!.id > e.id));
      assert.ok(events.filter((e) => e.type === 'user.disabled').every((e) => e.actor === 'cli' && e.username === 'alice'));
      assert.ok(!events.some((e) => e.username === 'zed'), 'nothing of another organisation');
      const text = await idpText(env, ['audit', '--org', 'ACME', '--type', 'user.disabled']);
      assert.match(text, /user\.disabled\s+alice\s+cli/);
    });

    it('filters by user, type and time and pages with --before', async () => {
      const byType = (await idpJson(env, ['audit', '--org', 'ACME', '--type', 'user.enabled'])).events as Event[];
      assert.deepEqual(byType.map((e) => e.type), ['user.enabled']);
      const byUser = (await idpJson(env, ['audit', '--org', 'ACME', '--user', 'alice'])).events as Event[];
      assert.ok(byUser.length >= 5 && byUser.every((e) => e.username === 'alice'));
      const future = (await idpJson(env, ['audit', '--org', 'ACME', '--from', new Date(Date.now() + 60_000).toISOString()])).events as Event[];
      assert.deepEqual(future, []);
      const all = ((await idpJson(env, ['audit', '--org', 'ACME'])).events as Event[]).map((e) => e.id);
      const first = await idpJson(env, ['audit', '--org', 'ACME', '--limit', '2']);
      assert.deepEqual((first.events as Event[]).map((e) => e.id), all.slice(0, 2));
      const second = await idpJson(env, ['audit', '--org', 'ACME', '--limit', '2', '--before', String(first.next)]);
      assert.deepEqual((second.events as Event[]).map((e) => e.id), all.slice(2, 4));
    });

    it('refuses bad options with exit code 2 and a message naming the option', async () => {
      const cases: [string[], RegExp][] = [
        [['audit'], /--org is required/],
        [['audit', '--org', 'NOPE'], /--org: no organisation with code NOPE/],
        [['audit', '--org', 'ACME', '--user', 'zed'], /--username: no user "zed"/],
        [['audit', '--org', 'ACME', '--from', 'yesterday'], /--from must be an ISO 8601 date/],
        [['audit', '--org', 'ACME', '--from', '2025-02-01', '--to', '2025-01-01'], /--from must be before --to/],
        [['audit', '--org', 'ACME', '--limit', '0'], /--limit must be a whole number from 1 to 500/],
        [['audit', '--org', 'ACME', '--type', 'DROP TABLE'], /--type must be an event type/],
        [['users', 'disable', '--org', 'OTHER', '--username', 'alice'], /no user "alice" in organisation OTHER/],
      ];
      for (const [args, message] of cases) {
        const r = await idp(env, [...args, '--json']);
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stdout, '');
      }
      const zed = await t.knex('users').where({ username: 'zed' }).first();
      assert.ok(!zed.disabled, 'nothing changed in OTHER');
    });
  });
}
