import type Router from '@koa/router';
import type { Context } from 'koa';
import { h } from 'preact';
import { z } from 'zod';
import { seeOther, sendPage } from '../../interactions/respond.js';
import { usableMethods } from '../auth/policy.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { formatTime } from '../i18n/index.js';
import { MailDeliveryError, testMail } from '../mail/index.js';
import { type AccountDeps, accountPage, auditFrom, signedInPost } from './context.js';
import { LastFactorError, TooManyRequestsError } from './errors.js';
import { factorProviders, listFactors, providerFor } from './factor-providers.js';
import { type SignedInUser, requireSignedInUser } from './self-session.js';
import { ensureStepUp } from './step-up.js';
import { EmailChangePage, NewBackupCodesPage, RevealQrPage, SecurityPage, TotpSetupPage } from './views/security.js';

const notices = { renamed: 'account.notice.renamed', removed: 'account.notice.removed', added: 'account.notice.added', testMail: 'account.notice.testMail', verified: 'account.notice.verified' } as const;

const idParam = z.string().min(1).max(64).regex(/^[\w-]+$/);
const labelForm = z.object({ label: z.string().max(1000) });
const codeForm = z.object({ code: z.string().max(64), factorId: idParam.optional(), label: z.string().max(1000).optional() });
const emailForm = z.object({ email: z.string().max(1000), confirm: z.string().max(1000) });
const emailAddress = z.string().trim().min(4).max(254).email();

/** A label a user may give a factor: 1–100 characters, no control characters. */
function cleanLabel(raw: string): string | undefined {
  const label = raw.normalize('NFC').trim();
  return label.length >= 1 && label.length <= 100 && !/\p{Cc}/u.test(label) ? label : undefined;
}

function codeMessage(page: ReturnType<typeof accountPage>, reason: string, digits: number): string {
  if (reason === 'malformed') return page.t('code.malformed', { digits });
  if (reason === 'replayed') return page.t('code.replayed');
  if (reason === 'expired') return page.t('code.expired');
  return page.t('code.invalid');
}

export function registerSecurityRoutes(router: Router, deps: AccountDeps): void {
  const { services } = deps;
  const providers = factorProviders(services);
  const f = services.secondFactors;

  async function showSecurity(ctx: Context, who: SignedInUser, status = 200, extra: { error?: string; renameError?: { id: string; message: string } } = {}) {
    const page = accountPage(ctx, who, 'security');
    const factors = await listFactors(providers, who.user);
    const notice = notices[String(ctx.query.done) as keyof typeof notices];
    sendPage(
      ctx,
      status,
      h(SecurityPage, {
        page,
        factors,
        canAdd: who.org.settings.methods,
        hasEmail: factors.some((x) => x.type === 'email'),
        backupUnused: await services.repos.backupCodes.countUnused(who.user.id),
        mfaRequired: who.org.settings.mfa === 'required',
        notice: notice && page.t(notice),
        formatDate: (ms) => new Intl.DateTimeFormat(page.locale === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo' }).format(ms),
        ...extra,
      }),
    );
  }

  /** After a first factor, a user without backup codes gets a set (shown once). */
  async function afterFactorAdded(ctx: Context, who: SignedInUser) {
    if (await f.hasBackupCodes(who.user.id)) return seeOther(ctx, '/account/security?done=added');
    const codes = await f.issueBackupCodes(who.user);
    sendPage(ctx, 200, h(NewBackupCodesPage, { page: accountPage(ctx, who, 'security'), codes }));
  }

  router.get('/account/security', async (ctx) => showSecurity(ctx, await requireSignedInUser(ctx)));

  // ---- rename and remove, for every kind of factor ----------------------------------

  router.post('/account/factors/:type/:id/rename', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const provider = providerFor(providers, String(ctx.params.type));
    const id = idParam.safeParse(ctx.params.id);
    const form = labelForm.safeParse(body);
    if (!provider || !id.success) throw new NotFoundError();
    if (!form.success) throw new BadRequestError('label is a required text field');
    const label = cleanLabel(form.data.label);
    if (!label) {
      const page = accountPage(ctx, who, 'security');
      return showSecurity(ctx, who, 400, { renameError: { id: id.data, message: page.t('account.security.labelInvalid') } });
    }
    if (!(await provider.rename(who.user, id.data, label))) throw new NotFoundError();
    await services.audit.record({ type: 'mfa.factor_renamed', ...auditFrom(ctx, who), details: { method: provider.type, factorId: id.data } });
    seeOther(ctx, '/account/security?done=renamed');
  });

  router.post('/account/factors/:type/:id/remove', async (ctx) => {
    const { who } = await signedInPost(ctx);
    const provider = providerFor(providers, String(ctx.params.type));
    const id = idParam.safeParse(ctx.params.id);
    if (!provider || !id.success) throw new NotFoundError();
    const factors = await listFactors(providers, who.user);
    if (!factors.some((x) => x.id === id.data && x.type === provider.type)) throw new NotFoundError();
    await ensureStepUp(ctx, deps, who, '/account/security');
    // a user who must have MFA keeps at least one factor the organisation accepts
    const remaining = factors.filter((x) => x.id !== id.data).map((x) => x.type);
    if (who.org.settings.mfa === 'required' && usableMethods({ org: who.org.settings, enrolledMethods: remaining, passwordDone: true, passwordChanged: false }).length === 0) {
      throw new LastFactorError();
    }
    if (!(await provider.remove(who.user, id.data))) throw new NotFoundError();
    await services.remembered.revokeAll(who.user.id);
    await services.audit.record({ type: 'mfa.factor_removed', ...auditFrom(ctx, who), details: { method: provider.type, factorId: id.data } });
    seeOther(ctx, '/account/security?done=removed');
  });

  // ---- authenticator apps ------------------------------------------------------------

  router.get('/account/factors/totp/new', async (ctx) => {
    const who = await requireSignedInUser(ctx);
    if (!who.org.settings.methods.includes('totp')) throw new NotFoundError();
    await ensureStepUp(ctx, deps, who, '/account/factors/totp/new');
    const started = await f.startTotp(who.user, who.org);
    sendPage(ctx, 200, h(TotpSetupPage, { page: accountPage(ctx, who, 'security'), ...started, label: '' }));
  });

  router.post('/account/factors/totp/confirm', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const form = codeForm.safeParse(body);
    if (!form.success || !form.data.factorId) throw new BadRequestError('factorId and code are required');
    await ensureStepUp(ctx, deps, who, '/account/factors/totp/new');
    const page = accountPage(ctx, who, 'security');
    const label = cleanLabel(form.data.label ?? '') ?? page.t('totp.labelDefault');
    const result = await f.confirmTotp(who.user, form.data.factorId, form.data.code, label);
    if (!result.ok) {
      const pending = await f.pendingTotp(who.user, who.org, form.data.factorId);
      if (!pending) throw new NotFoundError();
      return sendPage(ctx, 400, h(TotpSetupPage, { page, ...pending, label, error: codeMessage(page, result.reason, pending.digits) }));
    }
    await afterFactorAdded(ctx, who);
  });

  router.get('/account/factors/totp/:id/qr', async (ctx) => {
    const who = await requireSignedInUser(ctx);
    const id = idParam.safeParse(ctx.params.id);
    const factor = id.success ? (await listFactors(providers, who.user)).find((x) => x.id === id.data && x.type === 'totp') : undefined;
    if (!factor) throw new NotFoundError();
    const stored = await services.repos.factors.findForUser(who.user.id, factor.id);
    sendPage(ctx, 200, h(RevealQrPage, { page: accountPage(ctx, who, 'security'), factorId: factor.id, label: factor.label, digits: stored?.digits ?? 6 }));
  });

  router.post('/account/factors/totp/:id/qr', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const id = idParam.safeParse(ctx.params.id);
    const form = codeForm.safeParse(body);
    const factor = id.success ? (await listFactors(providers, who.user)).find((x) => x.id === id.data && x.type === 'totp') : undefined;
    if (!factor) throw new NotFoundError();
    if (!form.success) throw new BadRequestError('code is a required text field');
    const page = accountPage(ctx, who, 'security');
    const digits = (await services.repos.factors.findForUser(who.user.id, factor.id))?.digits ?? 6;
    const shown = await f.revealTotp(who.user, who.org, factor.id, form.data.code);
    if (!shown.ok) {
      if (shown.reason !== 'malformed') await services.audit.record({ type: 'mfa.failed', ...auditFrom(ctx, who), details: { step: 'account_show_qr' } });
      return sendPage(ctx, 400, h(RevealQrPage, { page, factorId: factor.id, label: factor.label, digits, error: codeMessage(page, shown.reason, digits) }));
    }
    sendPage(ctx, 200, h(RevealQrPage, { page, factorId: factor.id, label: factor.label, digits, shown: 'uri' in shown ? shown : undefined }));
  });

  // ---- the 2FA address (seed 000: a new address is confirmed by code or link) ----------

  router.get('/account/factors/email/new', async (ctx) => {
    const who = await requireSignedInUser(ctx);
    if (!who.org.settings.methods.includes('email')) throw new NotFoundError();
    await ensureStepUp(ctx, deps, who, '/account/factors/email/new');
    const current = await f.emailFactor(who.user, { confirmed: true });
    sendPage(ctx, 200, h(EmailChangePage, { page: accountPage(ctx, who, 'security'), current: current?.email ?? undefined, values: {}, errors: {} }));
  });

  router.post('/account/factors/email', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    if (!who.org.settings.methods.includes('email')) throw new NotFoundError();
    const form = emailForm.safeParse(body);
    if (!form.success) throw new BadRequestError('email and confirm are required text fields');
    await ensureStepUp(ctx, deps, who, '/account/factors/email/new');
    const page = accountPage(ctx, who, 'security');
    const current = (await f.emailFactor(who.user, { confirmed: true }))?.email ?? undefined;
    const values = { email: form.data.email.slice(0, 254), confirm: form.data.confirm.slice(0, 254) };
    const email = emailAddress.safeParse(form.data.email);
    if (!email.success) return sendPage(ctx, 400, h(EmailChangePage, { page, current, values, errors: { email: page.t('email.invalid') } }));
    if (email.data !== form.data.confirm.trim()) return sendPage(ctx, 400, h(EmailChangePage, { page, current, values, errors: { confirm: page.t('email.mismatch') } }));
    const factor = await f.addEmailFactor(who.user, email.data);
    const sent = await f.sendEmailCode(who.user, who.org, {
      email: email.data,
      purpose: 'verify_email',
      flowUid: null,
      factorId: factor.id,
      linkBase: `${services.config.issuer}/verify-email`,
      locale: page.locale,
    });
    if (!sent.ok) {
      const message = sent.reason === 'cooldown' ? page.t('email.cooldown', { seconds: sent.retryInSeconds }) : page.t('email.deliveryFailed');
      return sendPage(ctx, sent.reason === 'cooldown' ? 429 : 503, h(EmailChangePage, { page, current, values, errors: { form: message } }));
    }
    await services.audit.record({ type: 'mfa.email_change_started', ...auditFrom(ctx, who), details: { factorId: factor.id } });
    sendPage(ctx, 200, h(EmailChangePage, { page, current, values: {}, errors: {}, sent: { factorId: factor.id, to: email.data, until: formatTime(sent.expiresAt, page.locale) } }));
  });

  router.post('/account/factors/email/confirm', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const form = codeForm.safeParse(body);
    if (!form.success || !form.data.factorId) throw new BadRequestError('factorId and code are required');
    const pending = await services.repos.factors.findForUser(who.user.id, form.data.factorId);
    if (!pending || pending.type !== 'email' || pending.confirmedAt !== null || !pending.email) throw new NotFoundError();
    const page = accountPage(ctx, who, 'security');
    const result = await f.checkEmailCode(who.user, 'verify_email', form.data.code);
    if (!result.ok || result.factorId !== pending.id) {
      const reason = result.ok ? 'expired' : result.reason;
      const current = (await f.emailFactor(who.user, { confirmed: true }))?.email ?? undefined;
      return sendPage(
        ctx,
        400,
        h(EmailChangePage, { page, current, values: {}, errors: {}, sent: { factorId: pending.id, to: pending.email, until: '' }, codeError: codeMessage(page, reason, 6) }),
      );
    }
    await f.confirmEmailFactor(who.user, pending.id);
    await afterFactorAdded(ctx, who);
  });

  // ---- backup codes and the test mail ------------------------------------------------

  router.post('/account/backup-codes', async (ctx) => {
    const { who } = await signedInPost(ctx);
    await ensureStepUp(ctx, deps, who, '/account/security');
    const codes = await f.issueBackupCodes(who.user);
    sendPage(ctx, 200, h(NewBackupCodesPage, { page: accountPage(ctx, who, 'security'), codes }));
  });

  // seed 001: "send a test mail" to the 2FA address; a few per hour at most
  router.post('/account/test-mail', async (ctx) => {
    const { who } = await signedInPost(ctx);
    const factor = await f.emailFactor(who.user, { confirmed: true });
    if (!factor?.email) throw new NotFoundError();
    const key = `mail:test:${who.user.id}`;
    const until = await services.throttle.lockedUntil([key]);
    if (until) throw new TooManyRequestsError(Math.ceil((until - Date.now()) / 1000));
    await services.throttle.fail([key], 3);
    const page = accountPage(ctx, who, 'security');
    try {
      await services.mailer.send({ to: factor.email, ...testMail({ locale: page.locale, systemTitle: who.org.settings.systemTitle }), fromName: who.org.settings.systemTitle });
    } catch (err) {
      if (!(err instanceof MailDeliveryError)) throw err;
      return showSecurity(ctx, who, 503, { error: page.t('email.deliveryFailed') });
    }
    await services.audit.record({ type: 'mfa.test_mail_sent', ...auditFrom(ctx, who), details: { factorId: factor.id } });
    seeOther(ctx, '/account/security?done=testMail');
  });
}
