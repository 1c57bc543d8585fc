import type { Context, Middleware } from 'koa';
import { h } from 'preact';
import { AppError, MethodNotAllowedError, NotFoundError, UnavailableError } from '../errors.js';
import { pageContext } from '../../interactions/page-context.js';
import { ErrorPage } from '../../interactions/views/error.js';
import { renderPage } from '../../interactions/views/render.js';
import { DatabaseUnavailableError, isDatabaseDown } from '../db/unavailable.js';

function wantsJson(ctx: Context): boolean {
  return ctx.path.startsWith('/api/') || (ctx.accepts('html', 'json') === 'json' && !ctx.accepts('html'));
}

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const status = (err as { status?: number; expose?: boolean }).status;
  if (status === 404) return new NotFoundError();
  if (status === 405 || status === 501) return new MethodNotAllowedError();
  if (err instanceof DatabaseUnavailableError || isDatabaseDown(err)) return new UnavailableError();
  return undefined;
}

/**
 * Turns thrown errors into a page in the request's language (or JSON for API callers).
 * Unknown errors are logged and shown as a plain 500 without details.
 */
export function errorPages(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new NotFoundError();
      // oidc-provider's own 503 (DatabaseUnavailableError from the adapter) says when to retry too
      if (ctx.status === 503) ctx.set('retry-after', '5');
    } catch (err) {
      const known = toAppError(err);
      if (!known) ctx.state.log?.error({ err }, 'unhandled error');
      else if (known.status >= 500) ctx.state.log?.warn({ err }, known.code);
      const status = known?.status ?? 500;
      const code = known?.code ?? 'server_error';
      const page = pageContext(ctx, { returnPath: '/' });
      const message = known ? page.t(known.messageKey, known.vars) : page.t('error.server');
      ctx.status = status;
      ctx.set('cache-control', 'no-store');
      if (status === 503) ctx.set('retry-after', '5');
      if (wantsJson(ctx)) {
        ctx.body = { error: code, error_description: message };
        return;
      }
      ctx.type = 'html';
      ctx.body = renderPage(
        h(ErrorPage, {
          page,
          message,
          code,
          continueUrl: known?.continueUrl,
          startAgain: status === 410 || status === 403,
        }),
      );
    }
  };
}
