import Router from '@koa/router';
import type { Knex } from 'knex';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Middleware } from 'koa';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'idp_http_request_duration_seconds',
    help: 'HTTP request latency by route group and status class',
    labelNames: ['route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const timing: Middleware = async (ctx, next) => {
    const end = httpDuration.startTimer();
    try {
      await next();
    } finally {
      // a bounded label set: the first path segment, never ids
      const route = `/${ctx.path.split('/')[1] ?? ''}`.slice(0, 32);
      end({ route, status: `${String(ctx.status)[0]}xx` });
    }
  };
  return { registry, timing };
}

/** /healthz: the process answers. /readyz: the database (and Redis, when configured) answers too. /metrics: Prometheus. */
export function createHealthRouter(knex: Knex, registry: Registry, redis?: { ping(): Promise<string> }): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await knex.raw('select 1');
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', error: 'database unreachable' };
      return;
    }
    try {
      await redis?.ping();
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', error: 'redis unreachable' };
      return;
    }
    ctx.body = { status: 'ready' };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
