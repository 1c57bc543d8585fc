import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Locale } from '../../model.js';

/** What every template returns: ready for Mailer.send (plus `to`, `fromName`). */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Mail times are Japan time whatever the server's zone (no daylight saving). */
export const MAIL_TIME_ZONE = 'Asia/Tokyo';
export const MAIL_TIME_ZONE_NAME = 'JST';

const parts = new Intl.DateTimeFormat('en-US', {
  timeZone: MAIL_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** `YYYY/MM/DD HH:mm JST` in both languages: unambiguous and easy to compare with a clock. */
export function formatMailTime(epochMs: number): string {
  const p = Object.fromEntries(parts.formatToParts(new Date(epochMs)).map((x) => [x.type, x.value]));
  return `${p.year}/${p.month}/${p.day} ${p.hour}:${p.minute} ${MAIL_TIME_ZONE_NAME}`;
}

export function formatMinutes(minutes: number, locale: Locale): string {
  if (locale === 'ja') return `${minutes}分間`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** The system title without control characters; empty when unset. */
export function cleanTitle(systemTitle: string | undefined | null): string {
  // eslint-disable-next-line no-control-regex -- titles go into a header
  return (systemTitle ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** 【Title】Subject (ja) / [Title] Subject (en); the bare subject without a title. */
export function subjectWithTitle(locale: Locale, systemTitle: string, subject: string): string {
  if (!systemTitle) return subject;
  return locale === 'ja' ? `【${systemTitle}】${subject}` : `[${systemTitle}] ${subject}`;
}

export function automaticNotice(locale: Locale): string {
  return locale === 'ja'
    ? '※このメールは送信専用アドレスから自動で送信されています。このメールに返信いただいてもお答えできません。'
    : 'This mail was sent automatically from a send-only address; replies are not read.';
}

/** Plain-text part: paragraphs separated by blank lines, the title as signature. */
export function textBody(paragraphs: string[], systemTitle: string): string {
  const lines = [...paragraphs];
  if (systemTitle) lines.push(`--\n${systemTitle}`);
  return `${lines.join('\n\n')}\n`;
}

const font = "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', Meiryo, sans-serif";
const mono = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";

const styles = {
  body: { margin: 0, padding: 0, backgroundColor: '#f4f5f7', color: '#1f2328', fontFamily: font },
  outer: { width: '100%', backgroundColor: '#f4f5f7' },
  card: { maxWidth: '560px', margin: '0 auto', backgroundColor: '#ffffff', border: '1px solid #d0d7de', borderRadius: '8px' },
  cell: { padding: '24px 28px', fontSize: '15px', lineHeight: '1.7' },
  title: { fontSize: '13px', color: '#57606a', margin: '0 0 8px' },
  h1: { fontSize: '20px', lineHeight: '1.4', margin: '0 0 16px', color: '#1f2328' },
  p: { margin: '0 0 16px' },
  code: {
    display: 'block',
    margin: '8px 0 16px',
    padding: '16px',
    textAlign: 'center',
    fontFamily: mono,
    fontSize: '32px',
    fontWeight: 700,
    letterSpacing: '6px',
    color: '#0b3d91',
    backgroundColor: '#eef4ff',
    border: '1px solid #b6cdf5',
    borderRadius: '6px',
    userSelect: 'all',
  },
  expiry: { margin: '0 0 16px', fontWeight: 700 },
  warning: { margin: '0 0 16px', padding: '12px 14px', backgroundColor: '#fff4e5', borderLeft: '4px solid #b35900', color: '#5c2e00' },
  button: {
    display: 'inline-block',
    padding: '12px 20px',
    backgroundColor: '#0b5cad',
    color: '#ffffff',
    textDecoration: 'none',
    borderRadius: '6px',
    fontWeight: 700,
  },
  link: { wordBreak: 'break-all', color: '#0b5cad' },
  footer: { padding: '16px 28px 24px', fontSize: '12px', lineHeight: '1.6', color: '#57606a', borderTop: '1px solid #d0d7de' },
} as const;

export function MailLayout(props: { locale: Locale; subject: string; systemTitle: string; heading: string; children: ComponentChildren }) {
  return (
    <html lang={props.locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>{props.subject}</title>
      </head>
      <body style={styles.body}>
        <table role="presentation" width="100%" cellPadding="0" cellSpacing="0" style={styles.outer}>
          <tr>
            <td style={{ padding: '24px 12px' }}>
              <div role="article" aria-roledescription="email" aria-label={props.subject} lang={props.locale} style={styles.card}>
                <div style={styles.cell}>
                  {props.systemTitle ? <p style={styles.title}>{props.systemTitle}</p> : null}
                  <h1 style={styles.h1}>{props.heading}</h1>
                  {props.children}
                </div>
                <div style={styles.footer}>{automaticNotice(props.locale)}</div>
              </div>
            </td>
          </tr>
        </table>
      </body>
    </html>
  );
}

export function P(props: { children: ComponentChildren }) {
  return <p style={styles.p}>{props.children}</p>;
}

/** The code, large, monospaced, alone in its box so a double click selects exactly it. */
export function Code(props: { label: string; code: string }) {
  return (
    <div>
      <p style={{ ...styles.p, margin: '0' }}>{props.label}</p>
      <p style={styles.code}>{props.code}</p>
    </div>
  );
}

export function Expiry(props: { children: ComponentChildren }) {
  return <p style={styles.expiry}>{props.children}</p>;
}

export function Warning(props: { children: ComponentChildren }) {
  return <p style={styles.warning}>{props.children}</p>;
}

export function LinkButton(props: { href: string; label: string }) {
  return (
    <p style={styles.p}>
      <a href={props.href} style={styles.button}>
        {props.label}
      </a>
    </p>
  );
}

export function RawLink(props: { href: string }) {
  return (
    <p style={styles.p}>
      <a href={props.href} style={styles.link}>
        {props.href}
      </a>
    </p>
  );
}

/** preact escapes every interpolated value (text and attributes). */
export function renderMailHtml(page: VNode): string {
  return `<!doctype html>${renderToString(page)}`;
}

/** Codes are digits only: anything else is a programming error, not something to mail. */
export function assertCode(code: string): void {
  if (!/^\d{4,10}$/.test(code)) throw new TypeError('mail code must be 4–10 digits');
}

/** Links in mails are absolute http(s) URLs; `javascript:` and relative links are refused. */
export function assertHttpUrl(link: string): void {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new TypeError('mail link must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('mail link must be http(s)');
}
