import Router from '@koa/router';
import type { Context } from 'koa';
import { h } from 'preact';
import { BadRequestError, CsrfError, NotFoundError, OutOfOrderError } from '../src/errors.js';
import { isLocale } from '../src/i18n/index.js';
import { type InteractionDeps, type LoadedFlow, advance, flowUser, loadFlow, stepUrl } from './flow.js';
import { readForm } from './form-body.js';
import { LANG_COOKIE, pageContext } from './page-context.js';
import { seeOther, sendPage } from './respond.js';
import { acknowledgeBackupCodes, downloadBackupCodes, showBackupCodes } from './steps/backup-codes.js';
import { passwordStrength, showChangePassword, submitChangePassword } from './steps/change-password.js';
import { abortInteraction, showConsent, submitConsent } from './steps/consent.js';
import {
  backToChoice,
  changeEnrolmentEmail,
  checkEmailLinkConfirmed,
  chooseEnrolMethod,
  confirmEmailEnrolment,
  confirmTotpEnrolment,
  resendEnrolmentMail,
  showEnrol,
  startEmailEnrolment,
} from './steps/enrol.js';
import { passkeyOptions, showLogin, submitLogin, submitPasskey } from './steps/login.js';
import { continueAfterMfa, sendMfaEmail, showMfa, switchMfaMethod, verifyMfa, verifyMfaWebAuthn } from './steps/mfa.js';
import {
  authenticationOptions,
  registrationOptions,
  showPhrUnavailable,
  showWebAuthnRegistration,
  skipOffer,
  submitEnrolWebAuthn,
  submitOfferWebAuthn,
} from './steps/webauthn.js';
import { FORM_LIMIT_BYTES } from './form-body.js';
import { cancelLink, federationCallback, startFederation } from './steps/federation.js';
import { showLocked } from './steps/second-factor-guard.js';
import { HomePage } from './views/home.js';
import { NoticePage } from './views/mfa.js';

type Handler = (ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) => Promise<unknown>;

/** A WebAuthn answer (JSON in a form field) may carry attestation certificates. */
const WEBAUTHN_FORM_LIMIT = 64 * 1024;

/** Each POST names the flow state it belongs to; a POST for any other state is refused (409). */
const posts: Record<string, { prompt: 'login' | 'consent'; state?: string; handle: Handler; limit?: number }> = {
  login: { prompt: 'login', state: 'password', handle: submitLogin },
  'passkey-options': { prompt: 'login', state: 'password', handle: (ctx, deps, loaded) => passkeyOptions(ctx, deps, loaded) },
  passkey: { prompt: 'login', state: 'password', handle: submitPasskey, limit: WEBAUTHN_FORM_LIMIT },
  password: { prompt: 'login', state: 'change_password', handle: submitChangePassword },
  strength: { prompt: 'login', state: 'change_password', handle: passwordStrength },
  'enrol-choose': { prompt: 'login', state: 'enrol', handle: chooseEnrolMethod },
  'enrol-back': { prompt: 'login', state: 'enrol', handle: (ctx, deps, loaded) => backToChoice(ctx, deps, loaded) },
  'enrol-totp': { prompt: 'login', state: 'enrol', handle: confirmTotpEnrolment },
  'enrol-email': { prompt: 'login', state: 'enrol', handle: startEmailEnrolment },
  'enrol-email-code': { prompt: 'login', state: 'enrol', handle: confirmEmailEnrolment },
  'enrol-email-resend': { prompt: 'login', state: 'enrol', handle: (ctx, deps, loaded) => resendEnrolmentMail(ctx, deps, loaded) },
  'enrol-email-check': { prompt: 'login', state: 'enrol', handle: (ctx, deps, loaded) => checkEmailLinkConfirmed(ctx, deps, loaded) },
  'enrol-email-change': { prompt: 'login', state: 'enrol', handle: (ctx, deps, loaded) => changeEnrolmentEmail(ctx, deps, loaded) },
  'enrol-webauthn-options': { prompt: 'login', state: 'enrol', handle: (ctx, deps, loaded) => registrationOptions(ctx, deps, loaded) },
  'enrol-webauthn': { prompt: 'login', state: 'enrol', handle: submitEnrolWebAuthn, limit: WEBAUTHN_FORM_LIMIT },
  'offer-webauthn-options': { prompt: 'login', state: 'webauthn_offer', handle: (ctx, deps, loaded) => registrationOptions(ctx, deps, loaded) },
  'offer-webauthn': { prompt: 'login', state: 'webauthn_offer', handle: submitOfferWebAuthn, limit: WEBAUTHN_FORM_LIMIT },
  'offer-skip': { prompt: 'login', state: 'webauthn_offer', handle: (ctx, deps, loaded) => skipOffer(ctx, deps, loaded) },
  'backup-codes': { prompt: 'login', state: 'backup_codes', handle: acknowledgeBackupCodes },
  mfa: { prompt: 'login', state: 'mfa', handle: verifyMfa },
  'mfa-method': { prompt: 'login', state: 'mfa', handle: switchMfaMethod },
  'mfa-send-email': { prompt: 'login', state: 'mfa', handle: (ctx, deps, loaded) => sendMfaEmail(ctx, deps, loaded) },
  'mfa-continue': { prompt: 'login', state: 'mfa', handle: (ctx, deps, loaded) => continueAfterMfa(ctx, deps, loaded) },
  'mfa-webauthn-options': { prompt: 'login', state: 'mfa', handle: (ctx, deps, loaded) => authenticationOptions(ctx, deps, loaded) },
  'mfa-webauthn': { prompt: 'login', state: 'mfa', handle: verifyMfaWebAuthn, limit: WEBAUTHN_FORM_LIMIT },
  federation: { prompt: 'login', state: 'password', handle: startFederation },
  'federation-cancel': { prompt: 'login', state: 'password', handle: (ctx, deps, loaded) => cancelLink(ctx, deps, loaded) },
  consent: { prompt: 'consent', handle: (ctx, deps, loaded) => submitConsent(ctx, deps, loaded) },
  abort: { prompt: 'login', handle: (ctx, deps) => abortInteraction(ctx, deps) },
};

/** The page of the flow's current state. */
async function showCurrent(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow): Promise<unknown> {
  if (loaded.interaction.prompt.name === 'consent') return showConsent(ctx, deps, loaded);
  switch (loaded.flow.state) {
    case 'change_password':
      return showChangePassword(ctx, deps, loaded);
    case 'enrol':
      return showEnrol(ctx, deps, loaded);
    case 'backup_codes':
      return showBackupCodes(ctx, deps, loaded);
    case 'mfa':
      return showMfa(ctx, deps, loaded);
    case 'webauthn_offer':
      return showWebAuthnRegistration(ctx, deps, loaded);
    case 'phr_unavailable':
      return showPhrUnavailable(ctx, deps, loaded);
    case 'locked': {
      const { user } = await flowUser(deps, loaded);
      return showLocked(ctx, deps, loaded, user, loaded.flow.data.lockedUntil ?? Date.now());
    }
    case 'federated': {
      // signed in through a linked upstream provider (issue 7): the policy says what follows
      const { user, org } = await flowUser(deps, loaded);
      return advance(ctx, deps, loaded, 'federated', { user, org, data: loaded.flow.data });
    }
    case 'password_changed': {
      // an interrupted password change: the new password is saved, carry on from there
      const { user, org } = await flowUser(deps, loaded);
      return advance(ctx, deps, loaded, 'password_changed', { user, org, data: loaded.flow.data });
    }
    default:
      return showLogin(ctx, deps, loaded);
  }
}

/** Same-site paths only: the switcher must not become an open redirect. */
function safeReturn(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : '/';
}

export function createInteractionRouter(deps: InteractionDeps): Router {
  const router = new Router();

  router.get('/interaction/:uid', async (ctx) => showCurrent(ctx, deps, await loadFlow(ctx, deps)));

  router.get('/interaction/:uid/backup-codes.txt', async (ctx) => {
    const loaded = await loadFlow(ctx, deps);
    if (loaded.flow.state !== 'backup_codes') throw new OutOfOrderError(stepUrl(loaded.uid));
    await downloadBackupCodes(ctx, deps, loaded);
  });

  router.post('/interaction/:uid/:step', async (ctx) => {
    const step = posts[String(ctx.params.step)];
    if (!step) throw new NotFoundError();
    const body = await readForm(ctx, step.limit ?? FORM_LIMIT_BYTES);
    const loaded = await loadFlow(ctx, deps);
    if (!deps.csrf.verify(loaded.uid, body.csrf)) throw new CsrfError();
    const prompt = loaded.interaction.prompt.name;
    const inStep = ctx.params.step === 'abort' || (prompt === step.prompt && (!step.state || loaded.flow.state === step.state));
    if (!inStep) throw new OutOfOrderError(stepUrl(loaded.uid));
    await step.handle(ctx, deps, loaded, body);
  });

  router.get('/federation/callback', (ctx) => federationCallback(ctx, deps));

  // seed 000: the confirmation link in the 2FA-address mail, opened on any device
  router.get('/verify-email/:token', async (ctx) => {
    const result = await deps.services.secondFactors.confirmEmailLink(String(ctx.params.token));
    const page = pageContext(ctx);
    sendPage(
      ctx,
      result.ok ? 200 : 410,
      h(NoticePage, {
        page,
        title: result.ok ? page.t('email.confirmedTitle') : page.t('error.title'),
        message: result.ok ? page.t('email.confirmedLead') : page.t('email.linkInvalid'),
      }),
    );
  });

  router.get('/', (ctx) => sendPage(ctx, 200, h(HomePage, { page: pageContext(ctx) })));

  router.get('/lang/:locale', (ctx) => {
    const locale = ctx.params.locale;
    if (!isLocale(locale)) throw new BadRequestError('unsupported language');
    ctx.cookies.set(LANG_COOKIE, locale, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 24 * 3600 * 1000, signed: false, overwrite: true });
    seeOther(ctx, safeReturn(ctx.query.return));
  });

  return router;
}
