import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { accessLogger } from '../logger.js';

/** A request id (accepted from a proxy when well-formed) on every log line and response. */
export function requestLog(logger: Logger): Middleware {
  const access = accessLogger(logger);
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = /^[\w.-]{8,128}$/.test(given) ? given : randomUUID();
    const started = process.hrtime.bigint();
    ctx.state.requestId = id;
    // the child logger is made when something logs: most requests log only the line below
    let log: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (log ??= logger.child({ reqId: id })), configurable: true, enumerable: true });
    ctx.set('x-request-id', id);
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // the path only: query strings can carry codes and tokens
      const fields = { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 };
      if (log) log.info(fields, 'request');
      else access.info({ reqId: id, ...fields }, 'request');
    }
  };
}
