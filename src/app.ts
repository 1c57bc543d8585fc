import compose from 'koa-compose';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { createCsrf } from '../interactions/csrf.js';
import { createAccountRouter } from './account/router.js';
import { createSelfSession, selfSessionMiddleware } from './account/self-session.js';
import { createInteractionRouter } from '../interactions/router.js';
import { createProvider } from './oidc/provider.js';
import type { KeyMaterial } from './oidc/keys.js';
import type { Services } from './services.js';
import { observeDatabase } from './http/db-metrics.js';
import { observeGrants } from './http/oidc-metrics.js';
import { observeSecurityEvents } from './http/security-metrics.js';
import { errorPages } from './http/errors.js';
import { createHealthRouter, createMetrics } from './http/health.js';
import { requestLog } from './http/request-log.js';
import { securityHeaders } from './http/security-headers.js';
import { staticAssets } from './http/static.js';
import { createOutboxRouter } from './mail/outbox-router.js';
import { createAdminApiRouter } from './admin/api/router.js';
import { createAdminPagesRouter } from './admin/pages/router.js';

/**
 * oidc-provider is itself the koa application: our middleware and routes are inserted
 * ahead of its protocol routes with `provider.use`.
 */
export function buildApp(services: Services, keys: KeyMaterial): Provider {
  const provider = createProvider(services, keys);
  const metrics = createMetrics();
  observeDatabase(services.knex, metrics.registry);
  observeGrants(provider, metrics.registry);
  observeSecurityEvents(services.audit, metrics.registry);
  const health = createHealthRouter(services.knex, metrics.registry, services.redis);
  const interactions = createInteractionRouter({ provider, services, csrf: createCsrf(services.config.secretKey) });

  provider.use(requestLog(services.logger));
  provider.use(metrics.timing);
  provider.use(securityHeaders());
  // the account pages (and the admin pages) sign in through this provider: src/account/self-session.ts
  const selfSession = createSelfSession({ provider, services });
  const pages: Middleware[] = [
    errorPages(),
    health.routes() as Middleware,
    staticAssets(),
    // Development outbox: shows mailed codes in clear, so never in production, and only
    // when mails are kept rather than sent (IDP_SMTP_URL unset).
    ...(services.config.nodeEnv !== 'production' && services.mailer.mode === 'outbox' ? [createOutboxRouter(services.knex).routes() as Middleware] : []),
    selfSessionMiddleware(selfSession),
    createAccountRouter({ provider, services, selfSession }).routes() as Middleware,
    createAdminApiRouter({ provider, services }),
    createAdminPagesRouter({ provider, services, selfSession }).routes() as Middleware,
    interactions.routes() as Middleware,
    interactions.allowedMethods({ throw: true }) as Middleware,
  ];
  provider.use(notForProtocolEndpoints(compose(pages)));

  provider.on('server_error', (ctx, err) => services.logger.error({ err, reqId: ctx.state?.requestId }, 'oidc server_error'));
  return provider;
}

/** oidc-provider's busiest endpoints (its default routes): none of our pages live there. */
const PROTOCOL_PATHS = new Set(['/token', '/token/introspection', '/token/revocation', '/me', '/jwks']);

/**
 * Sends token, userinfo and introspection requests straight to oidc-provider: the error
 * pages, health and asset routes, the account session and the routers of the pages and the
 * admin API are nothing to them, and passing through each cost every grant a few percent.
 * oidc-provider renders its own errors there; only its 503 (database away, from the
 * adapter) gets the Retry-After the error pages would add.
 */
function notForProtocolEndpoints(pages: Middleware): Middleware {
  return async (ctx, next) => {
    if (!PROTOCOL_PATHS.has(ctx.path)) return pages(ctx, next);
    await next();
    if (ctx.status === 503) ctx.set('retry-after', '5');
  };
}
