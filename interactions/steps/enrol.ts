import type { Context } from 'koa';
import { h } from 'preact';
import { z } from 'zod';
import { authenticatorApps } from '../../src/auth/factors/totp/totp.js';
import type { CodeCheck } from '../../src/auth/second-factor.js';
import { secondFactorKey } from '../../src/auth/throttle.js';
import { formatTime, type Translate } from '../../src/i18n/index.js';
import type { MfaMethod, Organisation, User } from '../../src/model.js';
import { type FlowData, type InteractionDeps, type LoadedFlow, advance, flowUser, pageFor, redirectToStep, stepUrl } from '../flow.js';
import { sendPage } from '../respond.js';
import { EmailCodePage, EmailSetupPage, EnrolChoosePage, TotpSetupPage } from '../views/enrol.js';
import { countWrongCode, secondFactorLockedUntil, showLocked } from './second-factor-guard.js';
import { showWebAuthnRegistration } from './webauthn.js';

/** Methods that can be set up during sign-in, in the order they are offered. */
const ENROLLABLE: MfaMethod[] = ['totp', 'email', 'webauthn'];

function enrollable(org: Organisation): MfaMethod[] {
  return ENROLLABLE.filter((m) => org.settings.methods.includes(m));
}

/** The method being set up: the one chosen, or the organisation's only one. */
export function enrolMethod(org: Organisation, data: FlowData): MfaMethod | undefined {
  const methods = enrollable(org);
  return data.enrol?.method ?? (methods.length === 1 ? methods[0] : undefined);
}

export function codeError(t: Translate, check: CodeCheck, digits: number): string | undefined {
  if (check.ok) return undefined;
  return check.reason === 'malformed' ? t('code.malformed', { digits }) : t(`code.${check.reason}`);
}

async function save(deps: InteractionDeps, loaded: LoadedFlow, user: User, org: Organisation, data: FlowData): Promise<boolean> {
  return deps.services.repos.flows.advance(loaded.uid, 'enrol', { state: 'enrol', orgId: org.id, userId: user.id, data });
}

export async function showEnrol(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, status = 200, error?: string) {
  const { user, org } = await flowUser(deps, loaded);
  const page = pageFor(ctx, loaded, user.locale);
  const { t } = page;
  const csrf = deps.csrf.tokenFor(loaded.uid);
  const methods = enrollable(org);
  const chosen = enrolMethod(org, loaded.flow.data);
  const enrol = loaded.flow.data.enrol ?? (chosen ? { method: chosen } : undefined);
  const canChooseOther = methods.length > 1;

  if (enrol?.method === 'webauthn') return showWebAuthnRegistration(ctx, deps, loaded, status, error);
  if (enrol?.method === 'totp') {
    const pending = (enrol.factorId && (await deps.services.secondFactors.pendingTotp(user, org, enrol.factorId))) || undefined;
    const setup = pending ?? (await deps.services.secondFactors.startTotp(user, org));
    if (!pending) await save(deps, loaded, user, org, { ...loaded.flow.data, enrol: { method: 'totp', factorId: setup.factorId } });
    return sendPage(
      ctx,
      status,
      h(TotpSetupPage, {
        page,
        csrf,
        action: stepUrl(loaded.uid, 'enrol-totp'),
        backAction: stepUrl(loaded.uid, 'enrol-back'),
        qrSvg: setup.qrSvg,
        uri: setup.uri,
        secret: setup.secret,
        period: setup.period,
        digits: setup.digits,
        apps: authenticatorApps,
        error,
        canChooseOther,
      }),
    );
  }
  if (enrol?.method === 'email' && enrol.factorId && enrol.email) {
    return sendPage(
      ctx,
      status,
      h(EmailCodePage, {
        page,
        csrf,
        title: t('email.title'),
        lead: t('email.sentTo', { email: enrol.email, time: formatTime(enrol.sentUntil ?? Date.now(), page.locale) }),
        action: stepUrl(loaded.uid, 'enrol-email-code'),
        resendAction: stepUrl(loaded.uid, 'enrol-email-resend'),
        checkAction: enrol.linkSent ? stepUrl(loaded.uid, 'enrol-email-check') : undefined,
        changeAction: stepUrl(loaded.uid, 'enrol-email-change'),
        linkSent: Boolean(enrol.linkSent),
        error,
      }),
    );
  }
  if (enrol?.method === 'email') {
    return sendPage(
      ctx,
      status,
      h(EmailSetupPage, {
        page,
        csrf,
        sendAction: stepUrl(loaded.uid, 'enrol-email'),
        backAction: stepUrl(loaded.uid, 'enrol-back'),
        canChooseOther,
        values: { email: user.email ?? undefined },
        errors: { form: error },
      }),
    );
  }
  sendPage(
    ctx,
    status,
    h(EnrolChoosePage, { page, csrf, action: stepUrl(loaded.uid, 'enrol-choose'), methods, totpPeriod: org.settings.totpPeriod, error }),
  );
}

export async function chooseEnrolMethod(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  const method = enrollable(org).find((m) => m === body.method);
  if (!method) return showEnrol(ctx, deps, loaded, 400);
  await save(deps, loaded, user, org, { ...loaded.flow.data, enrol: { method } });
  redirectToStep(ctx, loaded.uid);
}

export async function backToChoice(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user, org } = await flowUser(deps, loaded);
  const { enrol: _dropped, ...data } = loaded.flow.data;
  await save(deps, loaded, user, org, data);
  redirectToStep(ctx, loaded.uid);
}

/** Reached when a factor is confirmed: the rest (backup codes, done) is the policy's. */
async function enrolled(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, user: User, org: Organisation, method: 'totp' | 'email') {
  await deps.services.throttle.succeed(secondFactorKey(user.id));
  const { enrol: _done, ...rest } = loaded.flow.data;
  const data: FlowData = { ...rest, enrolledNow: true, secondFactorDone: true, mfaMethod: method, amr: [...(rest.amr ?? ['pwd']), 'otp'] };
  await advance(ctx, deps, loaded, 'enrol', { user, org, data });
}

async function refuseLocked(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, user: User): Promise<boolean> {
  const until = await secondFactorLockedUntil(deps, user);
  if (!until) return false;
  showLocked(ctx, deps, loaded, user, until);
  return true;
}

export async function confirmTotpEnrolment(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  if (await refuseLocked(ctx, deps, loaded, user)) return;
  const enrol = loaded.flow.data.enrol;
  if (enrol?.method !== 'totp' || !enrol.factorId) return redirectToStep(ctx, loaded.uid);
  const page = pageFor(ctx, loaded, user.locale);
  const label = (body.label ?? '').trim().slice(0, 100) || page.t('totp.labelDefault');
  const check = await deps.services.secondFactors.confirmTotp(user, enrol.factorId, String(body.code ?? '').slice(0, 32), label);
  if (check.ok) return enrolled(ctx, deps, loaded, user, org, 'totp');
  if (check.reason === 'malformed') return showEnrol(ctx, deps, loaded, 400, codeError(page.t, check, org.settings.totpDigits));
  const counted = await countWrongCode(ctx, deps, loaded, 'enrol', { user, org, data: loaded.flow.data });
  if (!counted) return;
  return showEnrol(ctx, deps, { ...loaded, flow: { ...loaded.flow, data: counted.data } }, 400, codeError(page.t, check, org.settings.totpDigits));
}

const emailForm = z.object({ email: z.string().trim().min(4).max(254).email(), emailConfirm: z.string().trim().max(254) });

export async function startEmailEnrolment(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  const page = pageFor(ctx, loaded, user.locale);
  const { t } = page;
  const show = (status: number, errors: { form?: string; email?: string; emailConfirm?: string }) =>
    sendPage(
      ctx,
      status,
      h(EmailSetupPage, {
        page,
        csrf: deps.csrf.tokenFor(loaded.uid),
        sendAction: stepUrl(loaded.uid, 'enrol-email'),
        backAction: stepUrl(loaded.uid, 'enrol-back'),
        canChooseOther: enrollable(org).length > 1,
        values: { email: body.email?.slice(0, 254) },
        errors,
      }),
    );
  const parsed = emailForm.safeParse(body);
  if (!parsed.success) return show(400, { email: t('email.invalid') });
  if (parsed.data.email.toLowerCase() !== parsed.data.emailConfirm.toLowerCase()) return show(400, { emailConfirm: t('email.mismatch') });
  return sendEnrolmentMail(ctx, deps, loaded, user, org, parsed.data.email, show);
}

async function sendEnrolmentMail(
  ctx: Context,
  deps: InteractionDeps,
  loaded: LoadedFlow,
  user: User,
  org: Organisation,
  email: string,
  show: (status: number, errors: { form?: string }) => void,
) {
  const { t, locale } = pageFor(ctx, loaded, user.locale);
  const current = loaded.flow.data.enrol;
  const factor =
    current?.method === 'email' && current.factorId && current.email === email
      ? { id: current.factorId }
      : await deps.services.secondFactors.addEmailFactor(user, email);
  // seed 000: where the organisation asks, the mail also carries a confirmation link
  const linkBase = org.settings.requireVerifiedEmail ? `${deps.services.config.issuer}/verify-email` : undefined;
  const sent = await deps.services.secondFactors.sendEmailCode(user, org, {
    email,
    purpose: 'verify_email',
    flowUid: loaded.uid,
    factorId: factor.id,
    locale,
    ...(linkBase ? { linkBase } : {}),
  });
  if (!sent.ok) {
    return show(sent.reason === 'cooldown' ? 429 : 503, {
      form: sent.reason === 'cooldown' ? t('email.cooldown', { seconds: sent.retryInSeconds }) : t('email.deliveryFailed'),
    });
  }
  await save(deps, loaded, user, org, {
    ...loaded.flow.data,
    enrol: { method: 'email', factorId: factor.id, email, sentUntil: sent.expiresAt, linkSent: Boolean(linkBase) },
  });
  redirectToStep(ctx, loaded.uid);
}

export async function resendEnrolmentMail(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user, org } = await flowUser(deps, loaded);
  const enrol = loaded.flow.data.enrol;
  if (enrol?.method !== 'email' || !enrol.email) return redirectToStep(ctx, loaded.uid);
  return sendEnrolmentMail(ctx, deps, loaded, user, org, enrol.email, (status, errors) => showEnrol(ctx, deps, loaded, status, errors.form));
}

export async function confirmEmailEnrolment(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  if (await refuseLocked(ctx, deps, loaded, user)) return;
  const enrol = loaded.flow.data.enrol;
  if (enrol?.method !== 'email' || !enrol.factorId) return redirectToStep(ctx, loaded.uid);
  const { t } = pageFor(ctx, loaded, user.locale);
  const check = await deps.services.secondFactors.checkEmailCode(user, 'verify_email', String(body.code ?? '').slice(0, 32));
  if (check.ok && check.factorId === enrol.factorId) {
    await deps.services.secondFactors.confirmEmailFactor(user, enrol.factorId);
    return enrolled(ctx, deps, loaded, user, org, 'email');
  }
  if (!check.ok && (check.reason === 'malformed' || check.reason === 'expired')) {
    return showEnrol(ctx, deps, loaded, 400, codeError(t, check, 6));
  }
  const counted = await countWrongCode(ctx, deps, loaded, 'enrol', { user, org, data: loaded.flow.data });
  if (!counted) return;
  return showEnrol(ctx, deps, { ...loaded, flow: { ...loaded.flow, data: counted.data } }, 400, codeError(t, check.ok ? { ok: false, reason: 'invalid' } : check, 6));
}

/** The link in the mail was opened (maybe on another device): continue if it confirmed the address. */
export async function checkEmailLinkConfirmed(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user, org } = await flowUser(deps, loaded);
  const enrol = loaded.flow.data.enrol;
  const factor = enrol?.factorId ? await deps.services.repos.factors.findForUser(user.id, enrol.factorId) : undefined;
  if (factor?.confirmedAt) return enrolled(ctx, deps, loaded, user, org, 'email');
  const { t } = pageFor(ctx, loaded, user.locale);
  return showEnrol(ctx, deps, loaded, 409, t('email.notConfirmedYet'));
}

export async function changeEnrolmentEmail(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user, org } = await flowUser(deps, loaded);
  await save(deps, loaded, user, org, { ...loaded.flow.data, enrol: { method: 'email' } });
  redirectToStep(ctx, loaded.uid);
}
