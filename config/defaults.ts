// Development-friendly defaults. Production overrides come from the environment or an
// IDP_CONFIG JSON file; `loadConfig` refuses the unsafe ones when NODE_ENV=production.
export const defaults = {
  nodeEnv: 'development',
  port: 3000,
  host: '0.0.0.0',
  issuer: undefined as string | undefined, // derived from the port when unset
  databaseUrl: 'sqlite:./data/idp.sqlite',
  databasePoolMax: 10,
  // optional Redis for the short-lived oidc-provider artefacts and the throttle counters
  // (PostgreSQL keeps sessions, grants and refresh tokens); unset: everything in the database
  redisUrl: undefined as string | undefined,
  redisPrefix: 'idp:',
  dataDir: './data',
  smtpUrl: undefined as string | undefined,
  mailFrom: 'no-reply@localhost',
  secretKey: undefined as string | undefined, // generated into dataDir in development
  logLevel: 'info',
  trustProxy: false,
  demo: true, // create the demo org/user/client in development on an empty database
  argon2: {
    // OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane.
    memoryKiB: 19456,
    iterations: 2,
    parallelism: 1,
  },
  throttle: {
    // Keycloak-style brute-force detection: after `accountFailures` consecutive failures
    // the account key waits `baseDelaySeconds`, doubling per further failure, capped.
    accountFailures: 5,
    addressFailures: 20,
    baseDelaySeconds: 30,
    maxDelaySeconds: 900,
    // failures older than this are forgotten
    failureResetSeconds: 43200,
  },
  purgeIntervalSeconds: 300,
  // registered clients are kept in memory this long after a read (0: read on every request);
  // a client removed with `idp clients remove` stops working on every instance within it
  clientCacheSeconds: 5,
  account: {
    // a second factor proven on /account (or at sign-in) counts as fresh this long for
    // removing factors, changing the password and the other sensitive changes
    stepUpSeconds: 300,
    // lifetime of a "forgot password" link
    resetLinkMinutes: 30,
  },
  // audit events older than this are deleted by the purge timer
  auditRetentionDays: 400,
  keys: {
    // every instance reloads its key set this often (new keys, keys starting to sign, retired keys)
    refreshSeconds: 60,
    // `idp keys rotate`: new keys are published at once and sign this much later, so
    // every instance has them in its JWKS first; must exceed refreshSeconds
    rotationDelaySeconds: 3600,
  },
} as const;
