import type { Knex } from 'knex';
import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';

/** One mail. `text` and `html` carry codes and links: they never reach the log. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** display name of the sender, e.g. the organisation's system title (seed 001) */
  fromName?: string | undefined;
}

export interface Mailer {
  /** Sends (or, without SMTP, keeps in the development outbox). Throws MailDeliveryError. */
  send(message: MailMessage): Promise<void>;
  /** how mails leave: 'smtp' or the development 'outbox' */
  readonly mode: 'smtp' | 'outbox';
}

export interface MailerConfig {
  smtpUrl?: string | undefined;
  mailFrom: string;
  nodeEnv: string;
}

/**
 * A mail could not be handed over. Callers show "could not send the mail, try again";
 * the message names the cause (SMTP code) but never the mail's content.
 */
export class MailDeliveryError extends Error {
  override name = 'MailDeliveryError';
  /** nodemailer's error code (ECONNECTION, ETIMEDOUT, EENVELOPE, EAUTH, …) or OUTBOX */
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export const SMTP_TIMEOUTS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 20_000,
} as const;

/** Header values are single lines; control characters are dropped. */
function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** The parts of a nodemailer error that are safe to log: no message content. */
function describeError(err: unknown): { code: string; message: string; responseCode?: number; command?: string } {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; responseCode?: unknown; command?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : 'EUNKNOWN',
    message: typeof e.message === 'string' ? e.message : String(err),
    ...(typeof e.responseCode === 'number' ? { responseCode: e.responseCode } : {}),
    ...(typeof e.command === 'string' ? { command: e.command } : {}),
  };
}

/**
 * With `smtpUrl`: SMTP through nodemailer, one connection per mail (no pool).
 * Without it (development and test only; loadConfig refuses production without SMTP):
 * mails are logged (recipient and subject only) and kept in `mail_outbox`.
 */
export function createMailer(config: MailerConfig, knex: Knex, logger: Logger): Mailer {
  const log = logger.child({ component: 'mail' });

  if (!config.smtpUrl) {
    if (config.nodeEnv === 'production') {
      throw new Error('IDP_SMTP_URL: required in production so codes and links can be mailed (smtp://host:port)');
    }
    return {
      mode: 'outbox',
      async send(message) {
        const to = oneLine(message.to);
        const subject = oneLine(message.subject);
        try {
          const rows = (await knex('mail_outbox')
            .insert({ created_at: Date.now(), to_address: to, subject, text: message.text, html: message.html })
            .returning('id')) as Array<{ id: number | string } | number | string>;
          const first = rows[0];
          const id = typeof first === 'object' && first !== null ? first.id : first;
          log.info({ to, subject, outboxId: id === undefined ? undefined : Number(id) }, 'mail kept in the development outbox (IDP_SMTP_URL unset): see /dev/outbox');
        } catch (err) {
          const cause = describeError(err);
          log.error({ to, subject, cause }, 'mail could not be kept in the development outbox');
          throw new MailDeliveryError(`could not store the mail in the development outbox: ${cause.message}`, 'OUTBOX', { cause: err });
        }
      },
    };
  }

  const transport = createTransport({
    url: config.smtpUrl,
    pool: false,
    ...SMTP_TIMEOUTS,
    // mails are built from our own strings: never read files or URLs into them
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const mailFrom = oneLine(config.mailFrom);

  return {
    mode: 'smtp',
    async send(message) {
      const to = oneLine(message.to);
      const subject = oneLine(message.subject);
      const fromName = message.fromName ? oneLine(message.fromName) : '';
      const started = Date.now();
      try {
        // nodemailer quotes and RFC 2047-encodes the display name: "Title" <address>
        const info = await transport.sendMail({
          from: fromName ? { name: fromName, address: mailFrom } : mailFrom,
          to,
          subject,
          text: message.text,
          html: message.html,
        });
        log.info({ to, subject, messageId: info.messageId, ms: Date.now() - started }, 'mail sent');
      } catch (err) {
        const cause = describeError(err);
        log.error({ to, subject, cause, ms: Date.now() - started }, 'mail delivery failed');
        throw new MailDeliveryError(`could not send the mail (${cause.code}): ${cause.message}`, cause.code, { cause: err });
      }
    },
  };
}
