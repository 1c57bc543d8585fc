import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import Koa from 'koa';
import * as outboxMigration from '../../db/migrations/002_mail_outbox.js';
import { connect } from '../../src/db/connect.js';
import { securityHeaders } from '../../src/http/security-headers.js';
import { createLogger } from '../../src/logger.js';
import { createMailer, type Mailer } from '../../src/mail/mailer.js';
import { createOutboxRouter, OUTBOX_PAGE_SIZE } from '../../src/mail/outbox-router.js';
import { emailCode, emailVerification } from '../../src/mail/templates/index.js';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/server.js';

const EXPIRES = Date.UTC(2025, 0, 2, 6, 4, 30);

for (const engine of engines()) {
  describe(`development outbox pages (${engine})`, () => {
    let database: TestDatabase;
    let knex: Knex;
    let mailer: Mailer;
    let server: Server;
    let base: string;

    before(async () => {
      database = await createTestDatabase(engine);
      knex = connect(database.url);
      await outboxMigration.up(knex);
      mailer = createMailer({ mailFrom: 'no-reply@idp.test', nodeEnv: 'development' }, knex, createLogger('silent'));
      const app = new Koa();
      app.use(securityHeaders());
      const router = createOutboxRouter(knex);
      app.use(router.routes());
      app.use(router.allowedMethods());
      server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((r) => server.close(r));
      await knex.destroy();
      await database.drop();
    });

    it('an empty outbox says so', async () => {
      const res = await fetch(`${base}/dev/outbox`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /No mails yet/);
    });

    it('lists mails newest first and shows one with its text and sandboxed html', async () => {
      const title = '<b>Acme & Co</b>';
      await mailer.send({ to: 'first@example.com', ...emailVerification({ locale: 'en', systemTitle: 'Acme', code: '111222', link: 'https://id.example.com/c?t=1', expiresAt: EXPIRES, minutes: 30 }) });
      await new Promise((r) => setTimeout(r, 5));
      await mailer.send({ to: 'second@example.com', ...emailCode({ locale: 'ja', systemTitle: title, code: '333444', expiresAt: EXPIRES, minutes: 60 }), fromName: title });

      const list = await fetch(`${base}/dev/outbox`);
      assert.equal(list.status, 200);
      assert.match(list.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(list.headers.get('cache-control'), 'no-store');
      assert.match(list.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const page = await list.text();
      assert.ok(page.indexOf('second@example.com') < page.indexOf('first@example.com'), 'newest first');
      assert.ok(!page.includes('<b>Acme'), 'unescaped subject');
      assert.ok(page.includes('&lt;b>Acme &amp; Co&lt;/b>'));
      assert.ok(page.includes('2025') || page.includes('JST'));
      assert.ok(!page.includes('333444'), 'codes only on the detail page');

      const ids = [...page.matchAll(/href="\/dev\/outbox\/(\d+)"/g)].map((m) => m[1]);
      assert.equal(ids.length, 2);
      const detail = await fetch(`${base}/dev/outbox/${ids[0]}`);
      assert.equal(detail.status, 200);
      const html = await detail.text();
      assert.ok(html.includes('second@example.com'));
      assert.ok(html.includes('333444'), 'the text part');
      assert.ok(html.includes('有効期限：2025/01/02 15:04 JST（60分間）'));
      // an empty sandbox (rendered as the bare attribute): no scripts, no same origin
      assert.match(html, /<iframe[^>]*\ssandbox(=""|\s)[^>]*srcdoc="&lt;!doctype html>/);
      assert.doesNotMatch(html, /allow-(scripts|same-origin)/);
      // CSP 'self': no scripts and no inline styles on the page itself
      assert.doesNotMatch(html, /<script|<style| style="/);
      assert.ok(!html.includes('<b>Acme'));
    });

    it('unknown or malformed ids are 404', async () => {
      for (const id of ['999999', 'abc', '1e3', '-1']) {
        const res = await fetch(`${base}/dev/outbox/${id}`);
        assert.equal(res.status, 404, id);
        await res.text();
      }
    });

    it(`lists at most ${OUTBOX_PAGE_SIZE} mails`, async () => {
      const now = Date.now();
      const rows = Array.from({ length: OUTBOX_PAGE_SIZE + 5 }, (_, i) => ({
        created_at: now + i,
        to_address: `bulk${i}@example.com`,
        subject: `bulk ${i}`,
        text: 't',
        html: 'h',
      }));
      await knex.batchInsert('mail_outbox', rows, 20);
      const page = await (await fetch(`${base}/dev/outbox`)).text();
      assert.equal([...page.matchAll(/href="\/dev\/outbox\/\d+"/g)].length, OUTBOX_PAGE_SIZE);
      assert.ok(page.includes(`bulk${OUTBOX_PAGE_SIZE + 4}@example.com`), 'newest shown');
      assert.ok(!page.includes('bulk0@example.com'), 'oldest left out');
    });
  });
}
