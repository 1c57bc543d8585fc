import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type { ParsedMail } from 'mailparser';

export interface SmtpSink {
  /** smtp://127.0.0.1:PORT, for IDP_SMTP_URL */
  url: string;
  port: number;
  /** every mail received, parsed, in arrival order */
  messages: ParsedMail[];
  /** the first received mail (already there or yet to come) that matches */
  waitFor(predicate?: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  clear(): void;
  stop(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** recipients the server refuses with 550 (to test delivery errors) */
  rejectRecipient?: (address: string) => boolean;
}

/** A real SMTP server on 127.0.0.1 (random port) that parses what it receives with mailparser. */
export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const waiters = new Set<{ predicate: (m: ParsedMail) => boolean; resolve: (m: ParsedMail) => void }>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 1000,
    onRcptTo(address, _session, callback) {
      if (opts.rejectRecipient?.(address.address)) {
        const err = Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 });
        callback(err);
        return;
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          for (const w of [...waiters]) {
            if (w.predicate(mail)) {
              waiters.delete(w);
              w.resolve(mail);
            }
          }
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  server.on('error', () => {
    // connection-level errors (client hang-ups) are not test failures
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitFor(predicate = () => true, timeoutMs = 5000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<ParsedMail>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (m: ParsedMail) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const got = messages.map((m) => JSON.stringify(m.subject ?? '')).join(', ') || 'none';
          reject(new Error(`no matching mail within ${timeoutMs} ms (received: ${got})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    clear() {
      messages.length = 0;
    },
    stop() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The one-time code of a mail: a line holding only 6 or 8 digits (how the templates set
 * it), else the first 6/8-digit number after a colon. Throws when there is none.
 */
export function extractCode(mail: ParsedMail | { text?: string | undefined }): string {
  const text = mail.text ?? '';
  const alone = /^[ \t]*(\d{8}|\d{6})[ \t]*$/m.exec(text);
  if (alone) return alone[1]!;
  const labelled = /[:：][ \t]*(\d{8}|\d{6})(?!\d)/.exec(text);
  if (labelled) return labelled[1]!;
  throw new Error(`no 6- or 8-digit code in the mail text: ${JSON.stringify(text.slice(0, 200))}`);
}

/** The first http(s) link in the text part (confirmation links). */
export function extractLink(mail: ParsedMail | { text?: string | undefined }): string {
  const match = /https?:\/\/[^\s<>"]+/.exec(mail.text ?? '');
  if (!match) throw new Error('no link in the mail text');
  return match[0];
}
