import type { Context } from 'koa';
import { h } from 'preact';
import type { CodeCheck } from '../../src/auth/second-factor.js';
import { secondFactorKey } from '../../src/auth/throttle.js';
import { formatTime } from '../../src/i18n/index.js';
import type { Organisation, User } from '../../src/model.js';
import { ACR_PHR } from '../../src/auth/policy.js';
import { type FlowData, type InteractionDeps, type LoadedFlow, advance, flowUser, pageFor, redirectToStep, rememberThisBrowser, requestedAcr, stepUrl } from '../flow.js';
import { sendPage } from '../respond.js';
import { type ChallengeMethod, MfaPage, NoticePage } from '../views/mfa.js';
import { codeError } from './enrol.js';
import { countWrongCode, secondFactorLockedUntil, showLocked } from './second-factor-guard.js';
import { verifyWebAuthnFactor } from './webauthn.js';

/**
 * The user's usable methods, the one used last first (seed 002), backup codes last.
 * A relying party asking for a phishing-resistant sign-in gets the WebAuthn key alone.
 */
async function challengeMethods(deps: InteractionDeps, loaded: LoadedFlow, user: User, org: Organisation): Promise<ChallengeMethod[]> {
  const enrolled = (await deps.services.secondFactors.enrolledMethods(user.id)).filter((m) => org.settings.methods.includes(m));
  if (requestedAcr(loaded).includes(ACR_PHR)) return enrolled.filter((m) => m === 'webauthn');
  const last = user.lastMfaMethod;
  enrolled.sort((a, b) => Number(b === last) - Number(a === last));
  const methods: ChallengeMethod[] = [...enrolled];
  if (await deps.services.secondFactors.hasBackupCodes(user.id)) methods.push('backup');
  return methods;
}

function save(deps: InteractionDeps, loaded: LoadedFlow, user: User, org: Organisation, data: FlowData) {
  return deps.services.repos.flows.advance(loaded.uid, 'mfa', { state: 'mfa', orgId: org.id, userId: user.id, data });
}

export async function showMfa(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, status = 200, extra: { error?: string; attemptsLeft?: number; notice?: string } = {}) {
  const { user, org } = await flowUser(deps, loaded);
  const page = pageFor(ctx, loaded, user.locale);
  const { t } = page;
  const data = loaded.flow.data;
  const csrf = deps.csrf.tokenFor(loaded.uid);

  if (data.secondFactorDone && data.backupRemaining !== undefined) {
    // seed 001: after a backup code, say how many remain before going on
    return sendPage(
      ctx,
      status,
      h(NoticePage, {
        page,
        title: t('mfa.backupUsedTitle'),
        message: data.forceEnrol
          ? t('mfa.backupReenrol')
          : data.backupRemaining > 0
            ? t('mfa.backupRemaining', { n: data.backupRemaining })
            : t('mfa.backupNoneLeft'),
        csrf,
        action: stepUrl(loaded.uid, 'mfa-continue'),
        button: t('common.continue'),
      }),
    );
  }

  const methods = await challengeMethods(deps, loaded, user, org);
  const method = data.mfaMethod && methods.includes(data.mfaMethod) ? data.mfaMethod : methods[0];
  if (!method) return redirectToStep(ctx, loaded.uid);
  // seed 002: "register biometrics or a FIDO2 key at my next sign-in"
  const offerWebauthn = org.settings.methods.includes('webauthn') && !methods.includes('webauthn') && !user.webauthnOffer;
  const emailFactor = await deps.services.secondFactors.emailFactor(user, { confirmed: true });
  const sentUntil = data.emailSentUntil && data.emailSentUntil > Date.now() ? data.emailSentUntil : undefined;
  sendPage(
    ctx,
    status,
    h(MfaPage, {
      page,
      csrf,
      action: stepUrl(loaded.uid, 'mfa'),
      switchAction: stepUrl(loaded.uid, 'mfa-method'),
      sendEmailAction: stepUrl(loaded.uid, 'mfa-send-email'),
      webauthnOptionsUrl: stepUrl(loaded.uid, 'mfa-webauthn-options'),
      webauthnAction: stepUrl(loaded.uid, 'mfa-webauthn'),
      offerWebauthn,
      method,
      others: methods.filter((m) => m !== method),
      totpDigits: org.settings.totpDigits,
      email: emailFactor?.email ?? undefined,
      emailSent: sentUntil && emailFactor?.email ? { to: emailFactor.email, until: formatTime(sentUntil, page.locale) } : undefined,
      rememberHours: org.settings.rememberHours,
      reenrolAfterBackup: org.settings.reenrolAfterBackupCode,
      error: extra.error,
      attemptsLeft: extra.attemptsLeft,
      notice: extra.notice,
    }),
  );
}

export async function switchMfaMethod(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  const methods = await challengeMethods(deps, loaded, user, org);
  const method = methods.find((m) => m === body.method);
  if (method) await save(deps, loaded, user, org, { ...loaded.flow.data, mfaMethod: method });
  redirectToStep(ctx, loaded.uid);
}

export async function sendMfaEmail(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user, org } = await flowUser(deps, loaded);
  const { t, locale } = pageFor(ctx, loaded, user.locale);
  const factor = await deps.services.secondFactors.emailFactor(user, { confirmed: true });
  if (!factor?.email) return redirectToStep(ctx, loaded.uid);
  const sent = await deps.services.secondFactors.sendEmailCode(user, org, {
    email: factor.email,
    purpose: 'mfa_email',
    flowUid: loaded.uid,
    factorId: factor.id,
    locale,
  });
  const data: FlowData = { ...loaded.flow.data, mfaMethod: 'email' };
  if (!sent.ok) {
    await save(deps, loaded, user, org, data);
    const error = sent.reason === 'cooldown' ? t('email.cooldown', { seconds: sent.retryInSeconds }) : t('email.deliveryFailed');
    return showMfa(ctx, deps, { ...loaded, flow: { ...loaded.flow, data } }, sent.reason === 'cooldown' ? 429 : 503, { error });
  }
  await save(deps, loaded, user, org, { ...data, emailSentUntil: sent.expiresAt });
  redirectToStep(ctx, loaded.uid);
}

async function check(deps: InteractionDeps, user: User, method: ChallengeMethod, code: string): Promise<CodeCheck & { remaining?: number }> {
  const factors = deps.services.secondFactors;
  if (method === 'totp') return factors.verifyTotp(user, code);
  if (method === 'email') return factors.checkEmailCode(user, 'mfa_email', code);
  if (method === 'backup') return factors.useBackupCode(user, code);
  return { ok: false, reason: 'invalid' };
}

export async function verifyMfa(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  const until = await secondFactorLockedUntil(deps, user);
  if (until) return showLocked(ctx, deps, loaded, user, until);
  const { t } = pageFor(ctx, loaded, user.locale);
  const methods = await challengeMethods(deps, loaded, user, org);
  const method = methods.find((m) => m === body.method && m !== 'webauthn');
  if (!method) return redirectToStep(ctx, loaded.uid);
  const digits = method === 'totp' ? org.settings.totpDigits : method === 'backup' ? 8 : 6;
  const result = await check(deps, user, method, String(body.code ?? '').slice(0, 32));
  const data: FlowData = { ...loaded.flow.data, mfaMethod: method };

  if (!result.ok) {
    if (result.reason === 'malformed' || result.reason === 'expired') {
      return showMfa(ctx, deps, { ...loaded, flow: { ...loaded.flow, data } }, 400, { error: codeError(t, result, digits) });
    }
    const counted = await countWrongCode(ctx, deps, loaded, 'mfa', { user, org, data });
    if (!counted) return;
    return showMfa(ctx, deps, { ...loaded, flow: { ...loaded.flow, data: counted.data } }, 400, {
      error: codeError(t, result, digits),
      attemptsLeft: counted.left,
    });
  }

  await deps.services.throttle.succeed(secondFactorKey(user.id));
  const proven: FlowData = { ...data, secondFactorDone: true, amr: [...(data.amr ?? ['pwd']), 'otp'] };
  if (body.offerWebauthn === 'yes' && org.settings.methods.includes('webauthn')) await deps.services.webauthn.setOffer(user.id, true);
  if (body.remember === 'yes') await rememberThisBrowser(ctx, deps, user, org, ['otp']);
  if (method === 'backup') {
    // seed 001: the organisation may ask for a fresh set-up after a backup code
    const forceEnrol = org.settings.reenrolAfterBackupCode;
    if (forceEnrol) await deps.services.secondFactors.reset(user, 'backup_code');
    const noticed: FlowData = { ...proven, backupRemaining: forceEnrol ? 0 : (result.remaining ?? 0), ...(forceEnrol ? { forceEnrol } : {}) };
    await save(deps, loaded, user, org, noticed);
    return redirectToStep(ctx, loaded.uid);
  }
  // the TOTP step or the mailed code was taken by a compare-and-set write of its own
  await advance(ctx, deps, loaded, 'mfa', { user, org, data: proven }, { singleUse: true });
}

/** After the backup-code notice. */
export async function continueAfterMfa(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user, org } = await flowUser(deps, loaded);
  if (!loaded.flow.data.secondFactorDone) return redirectToStep(ctx, loaded.uid);
  const { backupRemaining: _shown, ...data } = loaded.flow.data;
  await advance(ctx, deps, loaded, 'mfa', { user, org, data });
}

/** The WebAuthn key answered (or failed to): on failure the page says why, other methods stay. */
export async function verifyMfaWebAuthn(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  const methods = await challengeMethods(deps, loaded, user, org);
  if (!methods.includes('webauthn')) return redirectToStep(ctx, loaded.uid);
  const data: FlowData = { ...loaded.flow.data, mfaMethod: 'webauthn' };
  const error = await verifyWebAuthnFactor(ctx, deps, { ...loaded, flow: { ...loaded.flow, data } }, body, user, org);
  if (error) return showMfa(ctx, deps, { ...loaded, flow: { ...loaded.flow, data } }, 400, { error });
}
