import type { AuditLog } from '../audit.js';
import { deriveKey, type SecretBox } from '../crypto/secret-box.js';
import type { AuditEvent } from '../db/audit.js';
import type { BackupCodeRepository } from '../db/backup-codes.js';
import type { Factor, FactorRepository } from '../db/factors.js';
import type { CodePurpose, OneTimeCodeRepository } from '../db/one-time-codes.js';
import type { WebAuthnCredentialRepository } from '../db/webauthn-credentials.js';
import { type Mailer, MailDeliveryError, emailCode, emailVerification } from '../mail/index.js';
import type { Locale, MfaMethod, Organisation, User } from '../model.js';
import { backupCodeKey, generateBackupCodes, hashBackupCode, matchBackupCode } from './factors/backup-codes/backup-codes.js';
import { generateEmailCode, generateLinkToken, hashSecret, normaliseEmailCode, sameHash } from './factors/email-code/email-code.js';
import { formatSecretForDisplay, generateTotpSecret, totpQrSvg, totpUri, verifyTotp } from './factors/totp/totp.js';
import type { RememberedBrowsers } from './remembered-browsers.js';

/** Seconds before another code may be mailed to the same user. */
export const RESEND_COOLDOWN_SECONDS = 30;
/** Wrong entries one mailed code survives before it is void. */
export const EMAIL_CODE_MAX_ATTEMPTS = 5;

export type CodeCheck = { ok: true } | { ok: false; reason: 'malformed' | 'invalid' | 'replayed' | 'expired' };

export type SendResult =
  | { ok: true; expiresAt: number }
  | { ok: false; reason: 'cooldown'; retryInSeconds: number }
  | { ok: false; reason: 'delivery_failed' };

export interface SecondFactorDeps {
  factors: FactorRepository;
  webauthnCredentials: WebAuthnCredentialRepository;
  backupCodes: BackupCodeRepository;
  codes: OneTimeCodeRepository;
  remembered: RememberedBrowsers;
  mailer: Mailer;
  box: SecretBox;
  audit: AuditLog;
  secretKey: string;
  issuerName: string;
  now?: () => number;
}

const methodOf = (f: Factor): MfaMethod => f.type;

/**
 * The second factors of a user — TOTP apps, a 2FA email address, backup codes — and
 * their ceremonies, free of HTTP. Storage, mail and clock are passed in.
 */
export function createSecondFactors(deps: SecondFactorDeps) {
  const now = deps.now ?? Date.now;
  const codeKey = deriveKey(deps.secretKey, 'one-time codes v1');
  const backupKey = backupCodeKey(deps.secretKey);
  const locale = (user: User): Locale => user.locale ?? 'ja';

  async function confirmedFactors(userId: string): Promise<Factor[]> {
    return (await deps.factors.listByUser(userId)).filter((f) => f.confirmedAt !== null);
  }

  async function mail(org: Organisation, to: string, rendered: { subject: string; text: string; html: string }): Promise<boolean> {
    try {
      await deps.mailer.send({ to, ...rendered, fromName: org.settings.systemTitle });
      return true;
    } catch (err) {
      if (err instanceof MailDeliveryError) return false;
      throw err;
    }
  }

  /** A change of factors revokes the remembered browsers; audited when there were any. */
  async function revokeBrowsers(user: { id: string; orgId?: string | null }, reason: string): Promise<number> {
    const n = await deps.remembered.revokeAll(user.id);
    if (n > 0) await deps.audit.record({ type: 'mfa.remembered_browsers_revoked', orgId: user.orgId ?? null, userId: user.id, details: { reason, count: n } });
    return n;
  }

  /** Seconds until another code may be mailed for this purpose (0: now). */
  async function cooldown(userId: string, purpose: CodePurpose): Promise<number> {
    const previous = await deps.codes.latest(userId, purpose);
    const wait = previous ? Math.ceil((previous.createdAt + RESEND_COOLDOWN_SECONDS * 1000 - now()) / 1000) : 0;
    return wait > 0 && previous?.usedAt === null ? wait : 0;
  }

  return {
    confirmedFactors,
    cooldown,
    revokeBrowsers,

    /** Methods the user can be challenged with, newest confirmation last; WebAuthn keys last. */
    async enrolledMethods(userId: string): Promise<MfaMethod[]> {
      const methods = new Set((await confirmedFactors(userId)).map(methodOf));
      if ((await deps.webauthnCredentials.countByUser(userId)) > 0) methods.add('webauthn');
      return [...methods];
    },

    // ---- TOTP --------------------------------------------------------------------

    /** A new, unconfirmed authenticator: a fresh secret each time the page is shown (seed 001). */
    async startTotp(user: User, org: Organisation) {
      await deps.factors.removeUnconfirmed(user.id, 'totp');
      const secret = generateTotpSecret();
      const { totpPeriod: period, totpDigits: digits } = org.settings;
      const factor = await deps.factors.create({
        userId: user.id,
        type: 'totp',
        label: 'Authenticator',
        secretEncrypted: deps.box.seal(secret, `totp:${user.id}`),
        period,
        digits,
      });
      const issuer = org.settings.systemTitle ?? deps.issuerName;
      const uri = totpUri({ secret, accountName: `${org.code}:${user.username}`, issuer, period, digits, algorithm: 'SHA1' });
      return { factorId: factor.id, uri, qrSvg: await totpQrSvg(uri), secret: formatSecretForDisplay(secret), period, digits };
    },

    /** Shows the pending authenticator again (same secret) after a failed confirmation. */
    async pendingTotp(user: User, org: Organisation, factorId: string) {
      const factor = await deps.factors.findForUser(user.id, factorId);
      if (!factor || factor.type !== 'totp' || factor.confirmedAt !== null || !factor.secretEncrypted) return undefined;
      const secret = deps.box.open(factor.secretEncrypted, `totp:${user.id}`);
      const issuer = org.settings.systemTitle ?? deps.issuerName;
      const period = (factor.period ?? 30) as 30 | 60;
      const digits = (factor.digits ?? 6) as 6 | 8;
      const uri = totpUri({ secret, accountName: `${org.code}:${user.username}`, issuer, period, digits, algorithm: 'SHA1' });
      return { factorId: factor.id, uri, qrSvg: await totpQrSvg(uri), secret: formatSecretForDisplay(secret), period, digits };
    },

    /**
     * Seed 004: the QR code of a confirmed authenticator is shown again (to add another
     * device) only after a current code from that very authenticator.
     */
    async revealTotp(user: User, org: Organisation, factorId: string, code: string): Promise<CodeCheck | { ok: true; uri: string; qrSvg: string; secret: string }> {
      const factor = await deps.factors.findForUser(user.id, factorId);
      if (!factor || factor.type !== 'totp' || factor.confirmedAt === null || !factor.secretEncrypted) return { ok: false, reason: 'expired' };
      const secret = deps.box.open(factor.secretEncrypted, `totp:${user.id}`);
      const period = (factor.period ?? 30) as 30 | 60;
      const digits = (factor.digits ?? 6) as 6 | 8;
      const result = verifyTotp({ secret, code, period, digits, now: now(), lastUsedStep: factor.lastUsedStep });
      if (!result.ok) return result;
      if (!(await deps.factors.useTotpStep(factor.id, result.step))) return { ok: false, reason: 'replayed' };
      const issuer = org.settings.systemTitle ?? deps.issuerName;
      const uri = totpUri({ secret, accountName: `${org.code}:${user.username}`, issuer, period, digits, algorithm: 'SHA1' });
      await deps.audit.record({ type: 'mfa.totp_revealed', orgId: user.orgId, userId: user.id, details: { factorId } });
      return { ok: true, uri, qrSvg: await totpQrSvg(uri), secret: formatSecretForDisplay(secret) };
    },

    /** The authenticator counts only once a code from it is accepted. */
    async confirmTotp(user: User, factorId: string, code: string, label: string): Promise<CodeCheck> {
      const factor = await deps.factors.findForUser(user.id, factorId);
      if (!factor || factor.type !== 'totp' || factor.confirmedAt !== null || !factor.secretEncrypted) return { ok: false, reason: 'expired' };
      const result = verifyTotp({
        secret: deps.box.open(factor.secretEncrypted, `totp:${user.id}`),
        code,
        period: (factor.period ?? 30) as 30 | 60,
        digits: (factor.digits ?? 6) as 6 | 8,
        now: now(),
        lastUsedStep: factor.lastUsedStep,
      });
      if (!result.ok) return result;
      if (!(await deps.factors.useTotpStep(factor.id, result.step))) return { ok: false, reason: 'replayed' };
      await deps.factors.confirm(factor.id, now());
      await deps.factors.rename(user.id, factor.id, label);
      await revokeBrowsers(user, 'factor_added');
      await deps.audit.record({ type: 'mfa.factor_added', orgId: user.orgId, userId: user.id, details: { method: 'totp', factorId } });
      return { ok: true };
    },

    /** Any of the user's authenticators may answer; a step is never accepted twice. */
    async verifyTotp(user: User, code: string): Promise<CodeCheck> {
      const factors = (await confirmedFactors(user.id)).filter((f) => f.type === 'totp' && f.secretEncrypted);
      let outcome: CodeCheck = { ok: false, reason: 'invalid' };
      for (const factor of factors) {
        const result = verifyTotp({
          secret: deps.box.open(factor.secretEncrypted!, `totp:${user.id}`),
          code,
          period: (factor.period ?? 30) as 30 | 60,
          digits: (factor.digits ?? 6) as 6 | 8,
          now: now(),
          lastUsedStep: factor.lastUsedStep,
        });
        if (result.ok) {
          // two racing submissions of one code: only one records the step
          if (await deps.factors.useTotpStep(factor.id, result.step)) return { ok: true };
          return { ok: false, reason: 'replayed' };
        }
        if (result.reason === 'malformed') return result;
        if (result.reason === 'replayed') outcome = result;
      }
      return outcome;
    },

    // ---- email -------------------------------------------------------------------

    /**
     * Mails a 6-digit code (and, for confirming an address, a single-use link). A new
     * code voids the previous one; resending waits for a cooldown.
     */
    async sendEmailCode(
      user: User,
      org: Organisation,
      input: { email: string; purpose: CodePurpose; flowUid: string | null; factorId: string | null; linkBase?: string; locale?: Locale },
    ): Promise<SendResult> {
      const wait = await cooldown(user.id, input.purpose);
      if (wait > 0) return { ok: false, reason: 'cooldown', retryInSeconds: wait };
      const code = generateEmailCode();
      const token = input.linkBase ? generateLinkToken() : null;
      const minutes = org.settings.emailCodeMinutes;
      const expiresAt = now() + minutes * 60_000;
      await deps.codes.issue({
        userId: user.id,
        purpose: input.purpose,
        flowUid: input.flowUid,
        factorId: input.factorId,
        email: input.email,
        codeHash: hashSecret(codeKey, code),
        linkHash: token ? hashSecret(codeKey, token) : null,
        expiresAt,
      });
      // the language of the page the user is on; their saved language otherwise
      const base = { locale: input.locale ?? locale(user), systemTitle: org.settings.systemTitle, code, expiresAt, minutes };
      const rendered = token ? emailVerification({ ...base, link: `${input.linkBase}/${token}` }) : emailCode(base);
      if (!(await mail(org, input.email, rendered))) {
        await deps.codes.voidAll(user.id, input.purpose);
        return { ok: false, reason: 'delivery_failed' };
      }
      await deps.audit.record({ type: 'mfa.email_code_sent', orgId: user.orgId, userId: user.id, details: { purpose: input.purpose } });
      return { ok: true, expiresAt };
    },

    /** Checks a mailed code: single use, expiring, and void after too many wrong entries. */
    async checkEmailCode(user: User, purpose: CodePurpose, input: string): Promise<CodeCheck & { factorId?: string | null }> {
      const code = normaliseEmailCode(input);
      if (!code) return { ok: false, reason: 'malformed' };
      const live = await deps.codes.findLive(user.id, purpose, now());
      if (!live) return { ok: false, reason: 'expired' };
      if (!sameHash(live.codeHash, hashSecret(codeKey, code))) {
        if ((await deps.codes.countAttempt(live.id)) >= EMAIL_CODE_MAX_ATTEMPTS) await deps.codes.consume(live.id);
        return { ok: false, reason: 'invalid' };
      }
      if (!(await deps.codes.consume(live.id))) return { ok: false, reason: 'replayed' };
      return { ok: true, factorId: live.factorId };
    },

    /** The confirmation link of a provisional 2FA address (seed 000). */
    async confirmEmailLink(token: string): Promise<{ ok: true; userId: string } | { ok: false }> {
      if (!/^[\w-]{20,100}$/.test(token)) return { ok: false };
      const entry = await deps.codes.findByLinkHash(hashSecret(codeKey, token));
      if (!entry || entry.usedAt !== null || entry.expiresAt <= now() || !entry.factorId) return { ok: false };
      if (!(await deps.codes.consume(entry.id))) return { ok: false };
      await deps.factors.confirm(entry.factorId, now());
      await deps.factors.removeOtherEmails(entry.userId, entry.factorId);
      await revokeBrowsers({ id: entry.userId }, 'factor_added');
      await deps.audit.record({ type: 'mfa.factor_added', userId: entry.userId, details: { method: 'email', by: 'link' } });
      return { ok: true, userId: entry.userId };
    },

    /** A provisional 2FA address, replaced by a newer one of the same user. */
    async addEmailFactor(user: User, email: string): Promise<Factor> {
      await deps.factors.removeUnconfirmed(user.id, 'email');
      return deps.factors.create({ userId: user.id, type: 'email', label: email, email });
    },

    async confirmEmailFactor(user: User, factorId: string): Promise<void> {
      await deps.factors.confirm(factorId, now());
      // one 2FA address per user: a confirmed new address replaces the old one (seed 000)
      await deps.factors.removeOtherEmails(user.id, factorId);
      await revokeBrowsers(user, 'factor_added');
      await deps.audit.record({ type: 'mfa.factor_added', orgId: user.orgId, userId: user.id, details: { method: 'email', factorId } });
    },

    async emailFactor(user: User, opts: { confirmed: boolean }): Promise<Factor | undefined> {
      const all = await deps.factors.listByUser(user.id);
      return all.filter((f) => f.type === 'email' && (f.confirmedAt !== null) === opts.confirmed).at(-1);
    },

    // ---- backup codes ------------------------------------------------------------

    /** Ten new single-use codes, stored hashed; the old set stops working. Shown once. */
    async issueBackupCodes(user: User): Promise<string[]> {
      const codes = generateBackupCodes(10);
      await deps.backupCodes.replaceForUser(user.id, codes.map((c) => hashBackupCode(backupKey, c)));
      await deps.audit.record({ type: 'mfa.backup_codes_issued', orgId: user.orgId, userId: user.id });
      return codes;
    },

    hasBackupCodes: (userId: string) => deps.backupCodes.hasAny(userId),

    /** Single use even when two requests race; says how many remain. */
    async useBackupCode(user: User, input: string): Promise<{ ok: true; remaining: number } | { ok: false; reason: 'invalid' }> {
      const unused = await deps.backupCodes.listUnused(user.id);
      const index = matchBackupCode(backupKey, input, unused.map((u) => u.codeHash));
      if (index < 0 || !(await deps.backupCodes.use(unused[index]!.id))) return { ok: false, reason: 'invalid' };
      const remaining = await deps.backupCodes.countUnused(user.id);
      await deps.audit.record({ type: 'mfa.backup_code_used', orgId: user.orgId, userId: user.id, details: { remaining } });
      return { ok: true, remaining };
    },

    /** Removes every factor and backup code and forgets remembered browsers. */
    async reset(
      user: Pick<User, 'id' | 'orgId'>,
      by: string,
      who: Pick<AuditEvent, 'actor' | 'clientId' | 'ip' | 'userAgent'> = {},
    ): Promise<{ factors: number; backupCodes: number; browsers: number }> {
      const factors = (await deps.factors.removeAllForUser(user.id)) + (await deps.webauthnCredentials.removeAllForUser(user.id));
      const backupCodes = await deps.backupCodes.removeAllForUser(user.id);
      const browsers = await deps.remembered.revokeAll(user.id);
      await deps.codes.voidAll(user.id, 'mfa_email');
      await deps.codes.voidAll(user.id, 'verify_email');
      await deps.audit.record({ type: 'mfa.reset', orgId: user.orgId, userId: user.id, ...who, details: { by, factors, backupCodes, browsers } });
      return { factors, backupCodes, browsers };
    },
  };
}

export type SecondFactors = ReturnType<typeof createSecondFactors>;
