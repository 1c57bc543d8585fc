import type { Context } from 'koa';
import { resolveLocale, translator } from '../src/i18n/index.js';
import type { PageContext } from './views/layout.js';

export const LANG_COOKIE = 'idp_lang';

/** Language of a hosted page: switcher cookie, ui_locales, saved language, Accept-Language. */
export function pageContext(
  ctx: Context,
  opts: { uiLocales?: string | undefined; saved?: string | null | undefined; returnPath?: string } = {},
): PageContext {
  const locale = resolveLocale({
    chosen: ctx.cookies.get(LANG_COOKIE),
    uiLocales: opts.uiLocales,
    saved: opts.saved,
    acceptLanguage: ctx.get('accept-language'),
  });
  const returnPath = opts.returnPath ?? (ctx.method === 'GET' ? ctx.originalUrl : '/');
  return { locale, t: translator(locale), returnPath };
}
