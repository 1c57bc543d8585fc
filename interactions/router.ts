import Router from '@koa/router';
import type { Context } from 'koa';
import { CsrfError, OutOfOrderError } from '../src/errors.js';
import { isLocale } from '../src/i18n/index.js';
import { BadRequestError } from '../src/errors.js';
import { type InteractionDeps, type LoadedFlow, loadFlow, stepUrl } from './flow.js';
import { readForm } from './form-body.js';
import { LANG_COOKIE, pageContext } from './page-context.js';
import { sendPage } from './respond.js';
import { HomePage } from './views/home.js';
import { h } from 'preact';
import { passwordStrength, showChangePassword, submitChangePassword } from './steps/change-password.js';
import { abortInteraction, showConsent, submitConsent } from './steps/consent.js';
import { showLogin, submitLogin } from './steps/login.js';

type Handler = (ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) => Promise<unknown>;

/** Each POST names the step it belongs to; a POST for any other step than the current one is refused. */
const posts: Record<string, { prompt: 'login' | 'consent'; state?: string; handle: Handler }> = {
  login: { prompt: 'login', state: 'password', handle: submitLogin },
  password: { prompt: 'login', state: 'change_password', handle: submitChangePassword },
  strength: { prompt: 'login', state: 'change_password', handle: passwordStrength },
  consent: { prompt: 'consent', handle: (ctx, deps, loaded) => submitConsent(ctx, deps, loaded) },
  abort: { prompt: 'login', handle: (ctx, deps) => abortInteraction(ctx, deps) },
};

/** Same-site paths only: the switcher must not become an open redirect. */
function safeReturn(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : '/';
}

export function createInteractionRouter(deps: InteractionDeps): Router {
  const router = new Router();

  router.get('/interaction/:uid', async (ctx) => {
    const loaded = await loadFlow(ctx, deps);
    if (loaded.interaction.prompt.name === 'consent') return showConsent(ctx, deps, loaded);
    if (loaded.flow.state === 'change_password') return showChangePassword(ctx, deps, loaded);
    return showLogin(ctx, deps, loaded);
  });

  router.post('/interaction/:uid/:step', async (ctx) => {
    const step = posts[String(ctx.params.step)];
    if (!step) return ctx.throw(404);
    const body = await readForm(ctx);
    const loaded = await loadFlow(ctx, deps);
    if (!deps.csrf.verify(loaded.uid, body.csrf)) throw new CsrfError();
    const prompt = loaded.interaction.prompt.name;
    const inStep = ctx.params.step === 'abort' || (prompt === step.prompt && (!step.state || loaded.flow.state === step.state));
    if (!inStep) throw new OutOfOrderError(stepUrl(loaded.uid));
    await step.handle(ctx, deps, loaded, body);
  });

  router.get('/', (ctx) => sendPage(ctx, 200, h(HomePage, { page: pageContext(ctx) })));

  router.get('/lang/:locale', (ctx) => {
    const locale = ctx.params.locale;
    if (!isLocale(locale)) throw new BadRequestError('unsupported language');
    ctx.cookies.set(LANG_COOKIE, locale, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 24 * 3600 * 1000, signed: false, overwrite: true });
    ctx.status = 303;
    ctx.redirect(safeReturn(ctx.query.return));
    ctx.status = 303;
  });

  return router;
}
