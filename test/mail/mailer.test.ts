import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Knex } from 'knex';
import type { AddressObject } from 'mailparser';
import { loadConfig } from '../../config/load.js';
import * as outboxMigration from '../../db/migrations/002_mail_outbox.js';
import { connect } from '../../src/db/connect.js';
import { createLogger } from '../../src/logger.js';
import { createMailer, MailDeliveryError, type Mailer } from '../../src/mail/mailer.js';
import { emailCode, emailVerification, testMail } from '../../src/mail/templates/index.js';
import { extractCode, extractLink, type SmtpSink, startSmtpSink } from '../helpers/smtp.js';
import { createTestDatabase, engines, freePort, type TestDatabase } from '../helpers/server.js';

const EXPIRES = Date.UTC(2025, 0, 2, 6, 4, 30); // 15:04 JST
const FROM = 'no-reply@idp.test';

function logCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger('debug', stream), text: () => lines.join('\n') };
}

function firstAddress(field: AddressObject | AddressObject[] | undefined) {
  const obj = Array.isArray(field) ? field[0] : field;
  return obj?.value[0];
}

const settle = () => new Promise((r) => setImmediate(r));

describe('mailer over SMTP (real SMTP server)', () => {
  let sink: SmtpSink;
  let knex: Knex;
  let dataDir: string;
  let mailer: Mailer;
  const log = logCapture();
  let n = 0;
  const nextAddress = () => `user${++n}@example.com`;

  before(async () => {
    sink = await startSmtpSink({ rejectRecipient: (a) => a.startsWith('nobody@') });
    dataDir = mkdtempSync(join(tmpdir(), 'idp-mail-'));
    // the real configuration object satisfies the mailer's config
    const config = loadConfig({
      NODE_ENV: 'test',
      IDP_SMTP_URL: sink.url,
      IDP_MAIL_FROM: FROM,
      IDP_DATA_DIR: dataDir,
      IDP_DATABASE_URL: 'sqlite::memory:',
      IDP_SECRET_KEY: 'mail-test-secret-key-0123456789abcdef',
    });
    knex = connect(config.databaseUrl);
    mailer = createMailer(config, knex, log.logger);
  });
  after(async () => {
    await sink.stop();
    await knex.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cases = [
    { locale: 'ja', title: 'Biz安否確認', expiry: '有効期限：2025/01/02 15:04 JST（60分間）', warning: '至急パスワードを変更してください。', subject: '【Biz安否確認】ワンタイムパスワードのお知らせ' },
    { locale: 'en', title: 'Acme Portal', expiry: 'Valid until 2025/01/02 15:04 JST (60 minutes)', warning: 'change your password now', subject: '[Acme Portal] Your one-time code' },
  ] as const;

  for (const c of cases) {
    it(`emailCode (${c.locale}) arrives with the title as sender name, code, expiry and warning`, async () => {
      const to = nextAddress();
      const mail = emailCode({ locale: c.locale, systemTitle: c.title, code: '246801', expiresAt: EXPIRES, minutes: 60 });
      await mailer.send({ to, ...mail, fromName: c.title });
      const got = await sink.waitFor((m) => m.to !== undefined && firstAddress(m.to)?.address === to);

      const from = firstAddress(got.from);
      assert.equal(from?.address, FROM);
      assert.equal(from?.name, c.title);
      assert.equal(got.subject, c.subject);
      assert.equal(extractCode(got), '246801');
      assert.ok(got.text?.includes(c.expiry), got.text);
      assert.ok(got.text?.includes(c.warning));
      const html = String(got.html);
      assert.ok(html.includes('246801'));
      assert.ok(html.includes(c.expiry));
      assert.ok(html.includes(c.warning));
      assert.match(html, new RegExp(`<html lang="${c.locale}">`));
    });

    it(`emailVerification (${c.locale}) arrives with the link and the code`, async () => {
      const to = nextAddress();
      const link = 'https://id.example.com/mfa/email/confirm?token=tok_987654_x';
      const mail = emailVerification({ locale: c.locale, systemTitle: c.title, code: '135790', link, expiresAt: EXPIRES, minutes: 30 });
      await mailer.send({ to, ...mail, fromName: c.title });
      const got = await sink.waitFor((m) => firstAddress(m.to)?.address === to);
      assert.equal(firstAddress(got.from)?.name, c.title);
      assert.equal(extractCode(got), '135790');
      assert.equal(extractLink(got), link);
      assert.ok(String(got.html).includes('135790'));
      assert.ok(String(got.html).includes('2025/01/02 15:04 JST'));
      assert.ok(got.text?.includes('2025/01/02 15:04 JST'));
    });

    it(`testMail (${c.locale}) arrives`, async () => {
      const to = nextAddress();
      await mailer.send({ to, ...testMail({ locale: c.locale, systemTitle: c.title }), fromName: c.title });
      const got = await sink.waitFor((m) => firstAddress(m.to)?.address === to);
      assert.equal(got.subject, c.locale === 'ja' ? `【${c.title}】テストメール` : `[${c.title}] Test mail`);
    });
  }

  it('escapes a system title with markup in the html part and keeps it in the sender name', async () => {
    const to = nextAddress();
    const title = '<b>Acme & Co</b>';
    await mailer.send({ to, ...emailCode({ locale: 'en', systemTitle: title, code: '112233', expiresAt: EXPIRES, minutes: 60 }), fromName: title });
    const got = await sink.waitFor((m) => firstAddress(m.to)?.address === to);
    assert.equal(firstAddress(got.from)?.name, title);
    assert.equal(got.subject, `[${title}] Your one-time code`);
    const html = String(got.html);
    assert.ok(!html.includes('<b>Acme'), 'unescaped title in html');
    assert.ok(html.includes('&lt;b>Acme &amp; Co&lt;/b>'));
  });

  it('without a sender name the From header is the bare address', async () => {
    const to = nextAddress();
    await mailer.send({ to, ...testMail({ locale: 'en' }) });
    const got = await sink.waitFor((m) => firstAddress(m.to)?.address === to);
    assert.equal(firstAddress(got.from)?.address, FROM);
    assert.equal(firstAddress(got.from)?.name, '');
  });

  it('a sender name cannot inject headers', async () => {
    const to = nextAddress();
    await mailer.send({ to, ...testMail({ locale: 'en' }), fromName: 'Acme"\r\nBcc: evil@example.com' });
    const got = await sink.waitFor((m) => firstAddress(m.to)?.address === to);
    assert.equal(got.bcc, undefined);
    assert.equal(firstAddress(got.from)?.address, FROM);
    assert.ok(!got.headers.has('bcc'));
  });

  it('a refused recipient is a MailDeliveryError, logged without the body', async () => {
    log.lines.length = 0;
    const mail = emailCode({ locale: 'en', code: '778899', expiresAt: EXPIRES, minutes: 60 });
    await assert.rejects(mailer.send({ to: 'nobody@example.com', ...mail }), (err: unknown) => {
      assert.ok(err instanceof MailDeliveryError);
      assert.equal(err.code, 'EENVELOPE');
      assert.ok(!err.message.includes('778899'));
      return true;
    });
    await settle();
    assert.match(log.text(), /mail delivery failed/);
    assert.ok(!log.text().includes('778899'), 'code in the log');
  });

  it('logs a sent mail with recipient and subject, never the code', async () => {
    log.lines.length = 0;
    const to = nextAddress();
    await mailer.send({ to, ...emailCode({ locale: 'ja', code: '564738', expiresAt: EXPIRES, minutes: 60 }) });
    await settle();
    const sent = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'mail sent');
    assert.equal(sent?.to, to);
    assert.equal(sent?.subject, 'ワンタイムパスワードのお知らせ');
    assert.ok(!log.text().includes('564738'));
  });
});

describe('mailer when the SMTP server is unreachable', () => {
  it('a stopped server: MailDeliveryError within a few seconds', async () => {
    const sink = await startSmtpSink();
    await sink.stop();
    const log = logCapture();
    const mailer = createMailer({ smtpUrl: sink.url, mailFrom: FROM, nodeEnv: 'test' }, undefined as unknown as Knex, log.logger);
    const started = Date.now();
    await assert.rejects(
      mailer.send({ to: 'a@example.com', ...emailCode({ locale: 'en', code: '909090', expiresAt: EXPIRES, minutes: 60 }) }),
      (err: unknown) => err instanceof MailDeliveryError && /^E[A-Z]+$/.test(err.code),
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    await settle();
    assert.match(log.text(), /mail delivery failed/);
    assert.ok(!log.text().includes('909090'));
  });

  it('a closed port: MailDeliveryError', async () => {
    const port = await freePort();
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, mailFrom: FROM, nodeEnv: 'test' }, undefined as unknown as Knex, createLogger('silent'));
    await assert.rejects(mailer.send({ to: 'a@example.com', subject: 's', text: 't', html: '<p>t</p>' }), MailDeliveryError);
  });
});

for (const engine of engines()) {
  describe(`development outbox (${engine})`, () => {
    let database: TestDatabase;
    let knex: Knex;

    before(async () => {
      database = await createTestDatabase(engine);
      knex = connect(database.url);
      await outboxMigration.up(knex);
    });
    beforeEach(async () => {
      await knex('mail_outbox').del();
    });
    after(async () => {
      await knex.destroy();
      await database.drop();
    });

    it('without IDP_SMTP_URL the mail is kept in mail_outbox and the log has no code', async () => {
      const log = logCapture();
      const mailer = createMailer({ mailFrom: FROM, nodeEnv: 'development' }, knex, log.logger);
      assert.equal(mailer.mode, 'outbox');
      const mail = emailCode({ locale: 'ja', systemTitle: 'Acme', code: '481516', expiresAt: EXPIRES, minutes: 60 });
      const before = Date.now();
      await mailer.send({ to: 'dev@example.com', ...mail, fromName: 'Acme' });

      const rows = (await knex('mail_outbox').select()) as Array<Record<string, unknown>>;
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      assert.equal(row.to_address, 'dev@example.com');
      assert.equal(row.subject, '【Acme】ワンタイムパスワードのお知らせ');
      assert.equal(row.text, mail.text);
      assert.equal(row.html, mail.html);
      assert.ok(Number(row.created_at) >= before && Number(row.created_at) <= Date.now());

      await settle();
      const text = log.text();
      assert.ok(!text.includes('481516'), 'code in the log');
      assert.ok(!text.includes('有効期限'), 'body in the log');
      const line = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => typeof l.outboxId === 'number');
      assert.equal(line?.to, 'dev@example.com');
      assert.equal(line?.subject, '【Acme】ワンタイムパスワードのお知らせ');
    });

    it('a broken outbox is a MailDeliveryError too', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'idp-nooutbox-'));
      const other = connect(`sqlite:${join(dir, 'x.sqlite')}`);
      try {
        const mailer = createMailer({ mailFrom: FROM, nodeEnv: 'test' }, other, createLogger('silent'));
        await assert.rejects(mailer.send({ to: 'a@example.com', subject: 's', text: 't', html: 'h' }), (err: unknown) => err instanceof MailDeliveryError && err.code === 'OUTBOX');
      } finally {
        await other.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('production without SMTP is refused', () => {
      assert.throws(() => createMailer({ mailFrom: FROM, nodeEnv: 'production' }, knex, createLogger('silent')), /IDP_SMTP_URL/);
    });

    it('the migration goes down and up again', async () => {
      await outboxMigration.down(knex);
      assert.equal(await knex.schema.hasTable('mail_outbox'), false);
      await outboxMigration.up(knex);
      assert.equal(await knex.schema.hasTable('mail_outbox'), true);
    });
  });
}
