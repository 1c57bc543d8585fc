import type { ComponentChildren } from 'preact';
import { formatMailTime } from './templates/common.js';

export interface OutboxRow {
  id: number;
  createdAt: number;
  to: string;
  subject: string;
}

export interface OutboxMail extends OutboxRow {
  text: string;
  html: string;
}

// Development pages: English only, no scripts, no inline styles (CSP 'self').
function DevPage(props: { title: string; children: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/assets/style.css" />
      </head>
      <body>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

const NOTE = 'Development outbox: IDP_SMTP_URL is unset, so mails are kept here instead of being sent. Never enabled in production.';

export function OutboxList(props: { rows: OutboxRow[] }) {
  return (
    <DevPage title="Development outbox">
      <p class="muted">{NOTE}</p>
      {props.rows.length === 0 ? (
        <p>No mails yet.</p>
      ) : (
        <table class="outbox">
          <caption>Newest {props.rows.length} mails, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <tr>
                <td>
                  <time dateTime={new Date(row.createdAt).toISOString()}>{formatMailTime(row.createdAt)}</time>
                </td>
                <td>{row.to}</td>
                <td>
                  <a href={`/dev/outbox/${row.id}`}>{row.subject || '(no subject)'}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </DevPage>
  );
}

export function OutboxMessage(props: { mail: OutboxMail }) {
  const m = props.mail;
  return (
    <DevPage title={m.subject || '(no subject)'}>
      <p>
        <a href="/dev/outbox">← All mails</a>
      </p>
      <dl>
        <dt>Time</dt>
        <dd>
          <time dateTime={new Date(m.createdAt).toISOString()}>{formatMailTime(m.createdAt)}</time>
        </dd>
        <dt>To</dt>
        <dd>{m.to}</dd>
        <dt>Subject</dt>
        <dd>{m.subject}</dd>
      </dl>
      <h2>Text</h2>
      <pre class="outbox-text">{m.text}</pre>
      <h2>HTML</h2>
      <p class="muted">Shown in a sandboxed frame (no scripts, no same-origin access); the page's CSP also applies to it, so inline styles are not rendered here.</p>
      <iframe title="HTML part of the mail" sandbox="" srcdoc={m.html} width="100%" height="640" referrerpolicy="no-referrer" />
    </DevPage>
  );
}

export function OutboxNotFound() {
  return (
    <DevPage title="Mail not found">
      <p>
        <a href="/dev/outbox">← All mails</a>
      </p>
    </DevPage>
  );
}
