import type { KoaContextWithOIDC } from 'oidc-provider';
import { h } from 'preact';
import { pageContext } from './page-context.js';
import { ErrorPage } from './views/error.js';
import { LoggedOutPage, LogoutPage } from './views/logout.js';
import { renderPage } from './views/render.js';

// Pages that oidc-provider itself asks us to render (its routes, our look and language).

function uiLocales(ctx: KoaContextWithOIDC): string | undefined {
  const value = ctx.oidc?.params?.ui_locales;
  return typeof value === 'string' ? value : undefined;
}

export async function renderLogout(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const page = pageContext(ctx, { uiLocales: uiLocales(ctx) });
  const clientName = ctx.oidc.client?.clientName;
  ctx.type = 'html';
  ctx.body = renderPage(h(LogoutPage, { page, clientName, formHtml: form, formId: 'op.logoutForm' }));
}

export async function renderLoggedOut(ctx: KoaContextWithOIDC): Promise<void> {
  const page = pageContext(ctx, { returnPath: '/' });
  ctx.type = 'html';
  ctx.body = renderPage(h(LoggedOutPage, { page }));
}

export async function renderOidcError(ctx: KoaContextWithOIDC, out: { error?: string; error_description?: string }): Promise<void> {
  const page = pageContext(ctx, { returnPath: '/' });
  const code = out.error ?? 'server_error';
  const message =
    code === 'server_error'
      ? page.t('error.server')
      : `${page.t('error.oidc', { code })}${out.error_description ? ` ${out.error_description}` : ''}`;
  ctx.type = 'html';
  ctx.body = renderPage(h(ErrorPage, { page, message, code, startAgain: code !== 'server_error' }));
}
