import type Provider from 'oidc-provider';
import { createCsrf } from '../interactions/csrf.js';
import { createInteractionRouter } from '../interactions/router.js';
import { createProvider } from './oidc/provider.js';
import type { KeyMaterial } from './oidc/keys.js';
import type { Services } from './services.js';
import { errorPages } from './http/errors.js';
import { createHealthRouter, createMetrics } from './http/health.js';
import { requestLog } from './http/request-log.js';
import { securityHeaders } from './http/security-headers.js';
import { staticAssets } from './http/static.js';
import { createOutboxRouter } from './mail/outbox-router.js';

/**
 * oidc-provider is itself the koa application: our middleware and routes are inserted
 * ahead of its protocol routes with `provider.use`.
 */
export function buildApp(services: Services, keys: KeyMaterial): Provider {
  const provider = createProvider(services, keys);
  const metrics = createMetrics();
  const health = createHealthRouter(services.knex, metrics.registry);
  const interactions = createInteractionRouter({ provider, services, csrf: createCsrf(services.config.secretKey) });

  provider.use(requestLog(services.logger));
  provider.use(metrics.timing);
  provider.use(securityHeaders());
  provider.use(errorPages());
  provider.use(health.routes());
  provider.use(staticAssets());
  // Development outbox: shows mailed codes in clear, so never in production, and only
  // when mails are kept rather than sent (IDP_SMTP_URL unset).
  if (services.config.nodeEnv !== 'production' && services.mailer.mode === 'outbox') {
    provider.use(createOutboxRouter(services.knex).routes());
  }
  provider.use(interactions.routes());
  provider.use(interactions.allowedMethods({ throw: true }));

  provider.on('server_error', (ctx, err) => services.logger.error({ err, reqId: ctx.state?.requestId }, 'oidc server_error'));
  return provider;
}
