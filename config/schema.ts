import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const databaseUrl = z
  .string()
  .refine((v) => v.startsWith('sqlite:') || /^postgres(ql)?:\/\//.test(v), {
    message: 'must be sqlite:PATH or postgres://user@host:port/db',
  });

/** Booleans from the environment: a fixed vocabulary, anything else is an error. */
const flag = z.union(
  [
    z.boolean(),
    z
      .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), { message: 'must be true or false' })
      .transform((v) => ['true', '1', 'yes', 'on'].includes(v)),
  ],
  { error: 'must be true or false' },
);

export const configSchema = z.object({
  nodeEnv: z.enum(['development', 'production', 'test']),
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  issuer: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://id.example.com' }),
  databaseUrl,
  databasePoolMax: z.coerce.number().int().min(1).max(500),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must be redis://[user:password@]host:port[/db] or rediss://…').optional(),
  redisPrefix: z.string().regex(/^[\w:.-]{1,64}$/, 'must be 1–64 letters, digits, _ : . or -'),
  dataDir: z.string().min(1),
  smtpUrl: z.string().regex(/^smtps?:\/\//, 'must be smtp://host:port or smtps://host:port').optional(),
  mailFrom: z.string().min(3),
  secretKey: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
  logLevel: z.enum(logLevels),
  trustProxy: flag,
  demo: flag,
  argon2: z.object({
    memoryKiB: z.coerce.number().int().min(19456, 'must be at least 19456 (OWASP minimum)'),
    iterations: z.coerce.number().int().min(2),
    parallelism: z.coerce.number().int().min(1).max(8),
  }),
  throttle: z.object({
    accountFailures: z.coerce.number().int().min(1),
    addressFailures: z.coerce.number().int().min(1),
    baseDelaySeconds: z.coerce.number().int().min(1),
    maxDelaySeconds: z.coerce.number().int().min(1),
    failureResetSeconds: z.coerce.number().int().min(60),
  }),
  purgeIntervalSeconds: z.coerce.number().int().min(10),
  clientCacheSeconds: z.coerce.number().int().min(0).max(300),
  account: z.object({
    stepUpSeconds: z.coerce.number().int().min(30).max(3600),
    resetLinkMinutes: z.coerce.number().int().min(5).max(1440),
  }),
  auditRetentionDays: z.coerce.number().int().min(1).max(36500),
  keys: z.object({
    refreshSeconds: z.coerce.number().int().min(1).max(3600),
    rotationDelaySeconds: z.coerce.number().int().min(1).max(30 * 86400),
  }),
});

/** After loading, the secret key is always present (explicit, or generated in development). */
export type Config = Omit<z.infer<typeof configSchema>, 'secretKey'> & { secretKey: string };
