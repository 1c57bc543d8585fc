import type { Logger } from 'pino';
import { createUserSessions } from '../account/sessions.js';
import { deriveKey } from '../crypto/secret-box.js';
import { passwordReset } from '../mail/index.js';
import { type Organisation, type User, normaliseOrgCode, usernameKey } from '../model.js';
import type { Services } from '../services.js';
import { generateLinkToken, hashSecret } from './factors/email-code/email-code.js';
import { accountKey, secondFactorKey } from './throttle.js';

/** Requests per client address, and per typed account, before a lock (doubling, shared). */
export const RESET_ADDRESS_LIMIT = 10;
export const RESET_ACCOUNT_LIMIT = 3;

export const resetAddressKey = (ip: string) => `reset:ip:${ip}`;
export const resetAccountKey = (orgCode: string, username: string) => `reset:acct:${normaliseOrgCode(orgCode)}:${usernameKey(username)}`;

/**
 * "Forgot password" (seed 002): a single-use link, expiring, stored only as an HMAC in
 * one_time_codes (purpose password_reset). The request never says whether the account
 * exists: the same answer after the same lookups, and the mail leaves in the background
 * so the response time does not depend on it.
 */
export function createPasswordReset(services: Services, logger: Logger) {
  const { repos, throttle, config } = services;
  const key = deriveKey(config.secretKey, 'password reset v1');
  const sessions = createUserSessions(services);

  async function findUser(orgCode: string, username: string): Promise<{ user: User; org: Organisation } | undefined> {
    const org = await repos.orgs.findByCode(normaliseOrgCode(orgCode));
    const user = org ? await repos.users.findByUsername(org.id, username) : undefined;
    return org && user ? { user, org } : undefined;
  }

  return {
    /** The locks that stop this request, if any (epoch ms). */
    lockedUntil: (ip: string, orgCode: string, username: string) => throttle.lockedUntil([resetAddressKey(ip), resetAccountKey(orgCode, username)]),

    async request(input: { orgCode: string; username: string; ip: string; userAgent: string | null; linkBase: string; locale: 'ja' | 'en' }): Promise<void> {
      // every request counts, found or not: the throttle says nothing about existence
      await throttle.fail([resetAddressKey(input.ip)], RESET_ADDRESS_LIMIT);
      await throttle.fail([resetAccountKey(input.orgCode, input.username)], RESET_ACCOUNT_LIMIT);
      const found = await findUser(input.orgCode, input.username);
      const usable = found && !found.user.disabled && found.user.email ? found : undefined;
      await services.audit.record({
        type: 'password.reset_requested',
        orgId: found?.org.id ?? null,
        userId: found?.user.id ?? null,
        ip: input.ip,
        userAgent: input.userAgent,
        details: { mailed: Boolean(usable), ...(found ? {} : { org: input.orgCode.slice(0, 64), username: input.username.slice(0, 128) }) },
      });
      if (!usable) return;
      const { user, org } = usable;
      const token = generateLinkToken();
      const minutes = config.account.resetLinkMinutes;
      const expiresAt = Date.now() + minutes * 60_000;
      await repos.codes.issue({
        userId: user.id,
        purpose: 'password_reset',
        flowUid: null,
        factorId: null,
        email: user.email!,
        // there is no code to type: the column holds a hash of an unguessable value
        codeHash: hashSecret(key, generateLinkToken()),
        linkHash: hashSecret(key, token),
        expiresAt,
      });
      const mail = passwordReset({
        locale: user.locale ?? input.locale,
        systemTitle: org.settings.systemTitle,
        username: user.username,
        link: `${input.linkBase}/${token}`,
        expiresAt,
        minutes,
      });
      void services.mailer
        .send({ to: user.email!, ...mail, fromName: org.settings.systemTitle })
        .catch((err: unknown) => logger.warn({ err, userId: user.id }, 'password reset mail not delivered'));
    },

    /** The account a link belongs to, while it is live and unused. */
    async check(token: string): Promise<{ user: User; org: Organisation; codeId: string } | undefined> {
      if (!/^[\w-]{20,100}$/.test(token)) return undefined;
      const entry = await repos.codes.findByLinkHash(hashSecret(key, token));
      if (!entry || entry.purpose !== 'password_reset' || entry.usedAt !== null || entry.expiresAt <= Date.now()) return undefined;
      const user = await repos.users.findById(entry.userId);
      const org = user ? await repos.orgs.findById(user.orgId) : undefined;
      if (!user || !org || user.disabled) return undefined;
      return { user, org, codeId: entry.id };
    },

    /**
     * Sets the new password once (the link is consumed by a compare-and-set), ends every
     * session and remembered browser, lifts the password lock, and — where the
     * organisation asks — resets the second factors.
     */
    async complete(target: { user: User; org: Organisation; codeId: string }, passwordHash: string, meta: { ip: string; userAgent: string | null }): Promise<{ ok: boolean; mfaReset: boolean }> {
      if (!(await repos.codes.consume(target.codeId))) return { ok: false, mfaReset: false };
      const { user, org } = target;
      await repos.users.setPassword(user.id, passwordHash, false);
      const browsers = await services.remembered.revokeAll(user.id);
      const ended = await sessions.revokeAll(user.id);
      await throttle.clear(accountKey(org.code, usernameKey(user.username)));
      const mfaReset = org.settings.resetMfaOnPasswordReset;
      if (mfaReset) {
        await throttle.clear(secondFactorKey(user.id));
        await services.secondFactors.reset(user, 'password_reset');
      }
      await services.audit.record({
        type: 'password.reset',
        orgId: org.id,
        userId: user.id,
        ip: meta.ip,
        userAgent: meta.userAgent,
        details: { browsersRevoked: browsers, sessionsEnded: ended, mfaReset },
      });
      return { ok: true, mfaReset };
    },
  };
}
