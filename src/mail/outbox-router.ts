import Router from '@koa/router';
import type { Knex } from 'knex';
import { h } from 'preact';
import { renderPage } from '../../interactions/views/render.js';
import { OutboxList, type OutboxMail, OutboxMessage, OutboxNotFound, type OutboxRow } from './outbox-views.js';

export const OUTBOX_PAGE_SIZE = 50;

interface Row {
  id: number | string;
  created_at: number | string;
  to_address: string;
  subject: string;
  text?: string;
  html?: string;
}

function toRow(r: Row): OutboxRow {
  return { id: Number(r.id), createdAt: Number(r.created_at), to: r.to_address, subject: r.subject };
}

/**
 * GET /dev/outbox and /dev/outbox/:id: the mails kept by the mailer when IDP_SMTP_URL is
 * unset. The pages show one-time codes and confirmation links in clear, so the caller
 * mounts this router ONLY when config.nodeEnv !== 'production' (and, sensibly, only when
 * the mailer runs in outbox mode). It has no authentication of its own.
 */
export function createOutboxRouter(knex: Knex): Router {
  const router = new Router();

  router.get('/dev/outbox', async (ctx) => {
    const rows = (await knex('mail_outbox')
      .select('id', 'created_at', 'to_address', 'subject')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(OUTBOX_PAGE_SIZE)) as Row[];
    ctx.set('cache-control', 'no-store');
    ctx.type = 'html';
    ctx.body = renderPage(h(OutboxList, { rows: rows.map(toRow) }));
  });

  router.get('/dev/outbox/:id', async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.type = 'html';
    const id = ctx.params.id ?? '';
    const row = /^\d{1,15}$/.test(id) ? ((await knex('mail_outbox').where({ id: Number(id) }).first()) as Row | undefined) : undefined;
    if (!row) {
      ctx.status = 404;
      ctx.body = renderPage(h(OutboxNotFound, {}));
      return;
    }
    const mail: OutboxMail = { ...toRow(row), text: row.text ?? '', html: row.html ?? '' };
    ctx.body = renderPage(h(OutboxMessage, { mail }));
  });

  return router;
}
