// Environment variable → configuration path. The configuration reference in
// docs/configuration.md lists the same names.
export const envMap: Record<string, string> = {
  NODE_ENV: 'nodeEnv',
  PORT: 'port',
  IDP_HOST: 'host',
  IDP_ISSUER: 'issuer',
  IDP_DATABASE_URL: 'databaseUrl',
  IDP_DATABASE_POOL_MAX: 'databasePoolMax',
  IDP_REDIS_URL: 'redisUrl',
  IDP_REDIS_PREFIX: 'redisPrefix',
  IDP_DATA_DIR: 'dataDir',
  IDP_SMTP_URL: 'smtpUrl',
  IDP_MAIL_FROM: 'mailFrom',
  IDP_SECRET_KEY: 'secretKey',
  IDP_LOG_LEVEL: 'logLevel',
  IDP_TRUST_PROXY: 'trustProxy',
  IDP_DEMO: 'demo',
  IDP_ARGON2_MEMORY_KIB: 'argon2.memoryKiB',
  IDP_ARGON2_ITERATIONS: 'argon2.iterations',
  IDP_ARGON2_PARALLELISM: 'argon2.parallelism',
  IDP_THROTTLE_ACCOUNT_FAILURES: 'throttle.accountFailures',
  IDP_THROTTLE_ADDRESS_FAILURES: 'throttle.addressFailures',
  IDP_THROTTLE_BASE_DELAY_SECONDS: 'throttle.baseDelaySeconds',
  IDP_THROTTLE_MAX_DELAY_SECONDS: 'throttle.maxDelaySeconds',
  IDP_THROTTLE_FAILURE_RESET_SECONDS: 'throttle.failureResetSeconds',
  IDP_PURGE_INTERVAL_SECONDS: 'purgeIntervalSeconds',
  IDP_CLIENT_CACHE_SECONDS: 'clientCacheSeconds',
  IDP_ACCOUNT_STEP_UP_SECONDS: 'account.stepUpSeconds',
  IDP_PASSWORD_RESET_LINK_MINUTES: 'account.resetLinkMinutes',
  IDP_AUDIT_RETENTION_DAYS: 'auditRetentionDays',
  IDP_KEY_REFRESH_SECONDS: 'keys.refreshSeconds',
  IDP_KEY_ROTATION_DELAY_SECONDS: 'keys.rotationDelaySeconds',
};

export const pathToEnv: Record<string, string> = Object.fromEntries(
  Object.entries(envMap).map(([env, path]) => [path, env]),
);
