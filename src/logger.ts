import { pino, type Logger } from 'pino';

/** Paths whose values never reach the log: passwords, codes, tokens, secrets, cookies. */
export const redactPaths = [
  'password',
  '*.password',
  'newPassword',
  '*.newPassword',
  'client_secret',
  '*.client_secret',
  'secretKey',
  '*.secretKey',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'body',
  '*.body',
  'code',
  '*.code',
  'token',
  '*.token',
  'refresh_token',
  'access_token',
  'id_token',
];

/**
 * The server's logger. Without a destination it writes to stdout asynchronously: a line
 * logged while an earlier write is still in flight joins the next write instead of costing
 * a system call of its own (one access-log line per request made writes a visible share of
 * a token grant's CPU). pino flushes what is pending when the process exits.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const stream = destination ?? pino.destination({ dest: 1, sync: false });
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' } }, stream as pino.DestinationStream);
}

/**
 * A logger for the one access-log line per request: same level and destination as `logger`,
 * without redaction. Its fields are fixed (method, path without the query, status,
 * duration, request id) and carry no secrets, and redaction was a measurable part of every
 * request's cost.
 */
export function accessLogger(logger: Logger): Logger {
  const stream = (logger as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym];
  return pino({ level: logger.level }, stream);
}
