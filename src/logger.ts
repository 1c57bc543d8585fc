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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' } }, destination as pino.DestinationStream);
}
