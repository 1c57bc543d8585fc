import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { createAuditLog } from './audit.js';
import { createPasswordHasher } from './auth/passwords.js';
import { createThrottle } from './auth/throttle.js';
import { createSecretBox } from './crypto/secret-box.js';
import { createAuditRepository } from './db/audit.js';
import { createClientRepository } from './db/clients.js';
import { createFlowRepository } from './db/flows.js';
import { createKeyRepository } from './db/keys.js';
import { createOidcPayloadRepository } from './db/oidc-payloads.js';
import { createOrgRepository } from './db/orgs.js';
import { createThrottleRepository } from './db/throttles.js';
import { connectRedis, createRedisPayloadStore, createRedisThrottleRepository, routePayloads } from './db/redis.js';
import { createUserRepository } from './db/users.js';
import { createBackupCodeRepository } from './db/backup-codes.js';
import { createFactorRepository } from './db/factors.js';
import { createOneTimeCodeRepository } from './db/one-time-codes.js';
import { createRememberedBrowserRepository } from './db/remembered-browsers.js';
import { createWebAuthnChallengeRepository, createWebAuthnCredentialRepository } from './db/webauthn-credentials.js';
import { createWebAuthn } from './auth/factors/webauthn/webauthn.js';
import { createMailer } from './mail/mailer.js';
import { createFederatedLinkRepository } from './db/federated-links.js';
import { createFederationRequestRepository } from './db/federation-requests.js';
import { createUpstreamRepository } from './db/upstreams.js';
import { createRememberedBrowsers } from './auth/remembered-browsers.js';
import { createSecondFactors } from './auth/second-factor.js';
import { createClientCache } from './oidc/client-cache.js';
import type { StoredClient } from './db/clients.js';

/** Everything the server and the CLI share, wired once from configuration and a knex handle. */
export function createServices(config: Config, knex: Knex, logger: Logger) {
  const box = createSecretBox(config.secretKey);
  // IDP_REDIS_URL: short-lived oidc-provider models and throttle counters in Redis (src/db/redis.ts)
  const redis = config.redisUrl ? connectRedis(config.redisUrl, logger) : undefined;
  const payloads = createOidcPayloadRepository(knex);
  const repos = {
    orgs: createOrgRepository(knex),
    users: createUserRepository(knex),
    clients: createClientRepository(knex, box),
    keys: createKeyRepository(knex),
    payloads: redis ? routePayloads(payloads, createRedisPayloadStore(redis, config.redisPrefix)) : payloads,
    flows: createFlowRepository(knex),
    throttles: redis ? createRedisThrottleRepository(redis, config.redisPrefix) : createThrottleRepository(knex),
    audit: createAuditRepository(knex),
    factors: createFactorRepository(knex),
    backupCodes: createBackupCodeRepository(knex),
    codes: createOneTimeCodeRepository(knex),
    rememberedBrowsers: createRememberedBrowserRepository(knex),
    webauthnCredentials: createWebAuthnCredentialRepository(knex),
    webauthnChallenges: createWebAuthnChallengeRepository(knex),
    upstreams: createUpstreamRepository(knex, box),
    links: createFederatedLinkRepository(knex),
    federationRequests: createFederationRequestRepository(knex),
  };
  const audit = createAuditLog(repos.audit, logger);
  /** SMTP, or (development/test without IDP_SMTP_URL) the mail_outbox table */
  const mailer = createMailer(config, knex, logger);
  const remembered = createRememberedBrowsers(repos.rememberedBrowsers);
  const clientCache = createClientCache<StoredClient>(config.clientCacheSeconds);
  return {
    config,
    knex,
    /** set when IDP_REDIS_URL is; whoever created the services closes it (closeRedis) */
    redis,
    logger,
    box,
    repos,
    /**
     * Registered clients as the server reads them on every grant and sign-in page: held for
     * IDP_CLIENT_CACHE_SECONDS (src/oidc/client-cache.ts). Writers use repos.clients.
     */
    clients: { find: (clientId: string) => clientCache.find(clientId, repos.clients.find) },
    hasher: createPasswordHasher(config.argon2),
    throttle: createThrottle(repos.throttles, config.throttle),
    audit,
    mailer,
    remembered,
    webauthn: createWebAuthn({
      credentials: repos.webauthnCredentials,
      challenges: repos.webauthnChallenges,
      audit,
      issuer: config.issuer,
      rpName: new URL(config.issuer).host,
    }),
    secondFactors: createSecondFactors({
      factors: repos.factors,
      webauthnCredentials: repos.webauthnCredentials,
      backupCodes: repos.backupCodes,
      codes: repos.codes,
      remembered,
      mailer,
      box,
      audit,
      secretKey: config.secretKey,
      issuerName: new URL(config.issuer).host,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
