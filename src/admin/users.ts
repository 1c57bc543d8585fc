import type { Knex } from 'knex';
import { type MfaResetResult, resetMfa, type UnlockResult, unlockAccount } from '../auth/account-admin.js';
import { checkNewPassword, MAX_PASSWORD_LENGTH } from '../auth/passwords.js';
import { type AuditEvent, createAuditRepository } from '../db/audit.js';
import { createUserRepository } from '../db/users.js';
import type { Locale, Organisation, Role, User } from '../model.js';
import type { Services } from '../services.js';
import { type Actor, actorFields, actorId } from './actor.js';
import {
  AdminInvalidError,
  AdminNotFoundError,
  MailCooldownError,
  MailFailedError,
  SelfActionError,
  UsernameTakenError,
} from './errors.js';

/**
 * Organisation administration on users, shared by the admin API, the admin pages and the
 * CLI. Every function takes the organisation the caller is allowed to act on; a user is
 * looked up only within it, so an id from another organisation is simply "not found".
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The JSON shape of a user (API and CLI): never the password hash. */
export function userJson(user: User, org: Pick<Organisation, 'code'>): Record<string, unknown> {
  return {
    id: user.id,
    org: org.code,
    username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    locale: user.locale,
    role: user.role,
    must_change_password: user.mustChangePassword,
    disabled: user.disabled,
    created_at: iso(user.createdAt),
    last_login_at: iso(user.lastLoginAt),
  };
}

/** An audit record inside a transaction, mirrored to the log like services.audit does. */
async function auditIn(services: Services, trx: Knex.Transaction, event: AuditEvent): Promise<void> {
  services.logger.info({ audit: event.type, orgId: event.orgId, userId: event.userId, actor: event.actor }, 'audit');
  await createAuditRepository(trx).insert(event);
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export async function findUser(services: Services, org: Organisation, userId: string): Promise<User> {
  const user = await services.repos.users.findInOrg(org.id, userId);
  if (!user) throw new AdminNotFoundError('user');
  return user;
}

export interface UserPage {
  users: User[];
  total: number;
}

export function searchUsers(services: Services, org: Organisation, q: { q?: string | undefined; limit: number; offset: number }): Promise<UserPage> {
  return services.repos.users.search(org.id, { ...(q.q ? { q: q.q } : {}), limit: q.limit, offset: q.offset });
}

export interface NewUserInput {
  username: string;
  password: string;
  email?: string | undefined;
  name?: string | undefined;
  locale?: Locale | undefined;
  role?: Role | undefined;
  mustChangePassword?: boolean | undefined;
}

/** Why a password is refused, for the API and CLI (pages show the catalogue's sentence). */
function passwordRefusal(org: Organisation, password: string, inputs: string[]): AdminInvalidError | undefined {
  const problem = checkNewPassword(password, org.settings, inputs);
  switch (problem) {
    case undefined:
      return undefined;
    case 'too_short':
      return new AdminInvalidError('password', `is too short: at least ${org.settings.passwordMinLength} characters`, 'password.too_short', {
        min: org.settings.passwordMinLength,
      });
    case 'too_long':
      return new AdminInvalidError('password', `is too long: at most ${MAX_PASSWORD_LENGTH} characters`, 'password.too_long');
    case 'same_as_username':
      return new AdminInvalidError('password', 'must not be the same as the username or e-mail address', 'password.same_as_username');
    case 'too_weak':
      return new AdminInvalidError('password', `is too easy to guess (organisation ${org.code} requires strength ${org.settings.passwordMinScore} of 4)`, 'password.too_weak');
  }
}

/** Creates a user in the organisation: policy-checked password, unique username, audited. */
export async function createUser(services: Services, org: Organisation, input: NewUserInput, actor: Actor): Promise<User> {
  if (await services.repos.users.findByUsername(org.id, input.username)) throw new UsernameTakenError(input.username);
  const inputs = [input.username, ...(input.email ? [input.email, input.email.split('@')[0]!] : [])];
  const refusal = passwordRefusal(org, input.password, inputs);
  if (refusal) throw refusal;
  const passwordHash = await services.hasher.hash(input.password);
  try {
    return await services.knex.transaction(async (trx) => {
      const created = await createUserRepository(trx).create({
        orgId: org.id,
        username: input.username,
        passwordHash,
        email: input.email ?? null,
        name: input.name ?? null,
        locale: input.locale ?? null,
        role: input.role ?? 'user',
        mustChangePassword: input.mustChangePassword ?? false,
      });
      await auditIn(services, trx, {
        type: 'user.created',
        orgId: org.id,
        userId: created.id,
        ...actorFields(actor),
        details: { by: actorId(actor), username: created.username, role: created.role },
      });
      return created;
    });
  } catch (err) {
    // a concurrent request created the same username between the check and the insert
    if (isUniqueViolation(err)) throw new UsernameTakenError(input.username);
    throw err;
  }
}

async function record(services: Services, actor: Actor, type: string, user: User, details: Record<string, unknown> = {}) {
  await services.audit.record({ type, orgId: user.orgId, userId: user.id, ...actorFields(actor), details: { by: actorId(actor), ...details } });
}

/** Disabling refuses further sign-ins and token use (findAccount ignores disabled users). */
export async function setUserDisabled(services: Services, user: User, disabled: boolean, actor: Actor): Promise<User> {
  if (disabled && actor.kind === 'admin' && actor.userId === user.id) throw new SelfActionError('disable');
  await services.knex.transaction(async (trx) => {
    await createUserRepository(trx).setDisabled(user.id, disabled);
    await auditIn(services, trx, {
      type: disabled ? 'user.disabled' : 'user.enabled',
      orgId: user.orgId,
      userId: user.id,
      ...actorFields(actor),
      details: { by: actorId(actor), wasDisabled: user.disabled },
    });
  });
  if (disabled) await services.secondFactors.revokeBrowsers(user, 'user_disabled');
  return { ...user, disabled };
}

/** The user must choose a new password at the next sign-in. */
export async function forcePasswordChange(services: Services, user: User, actor: Actor): Promise<User> {
  await services.knex.transaction(async (trx) => {
    await createUserRepository(trx).setMustChangePassword(user.id, true);
    await auditIn(services, trx, {
      type: 'password.change_forced',
      orgId: user.orgId,
      userId: user.id,
      ...actorFields(actor),
      details: { by: actorId(actor) },
    });
  });
  return { ...user, mustChangePassword: true };
}

/**
 * Seed 000: an administrator sets a user's 2FA e-mail address. It is provisional until
 * the confirmation link mailed to that very address is opened; the user's confirmed
 * address (if any) keeps working until then.
 */
export async function setTwoFactorEmail(
  services: Services,
  org: Organisation,
  user: User,
  email: string,
  actor: Actor,
): Promise<{ factorId: string; expiresAt: number }> {
  // checked before the provisional address replaces the pending one, so a refused request changes nothing
  const wait = await services.secondFactors.cooldown(user.id, 'verify_email');
  if (wait > 0) throw new MailCooldownError(wait);
  const factor = await services.secondFactors.addEmailFactor(user, email);
  const sent = await services.secondFactors.sendEmailCode(user, org, {
    email,
    purpose: 'verify_email',
    flowUid: null,
    factorId: factor.id,
    linkBase: `${services.config.issuer}/verify-email`,
    ...(user.locale ? { locale: user.locale } : {}),
  });
  if (!sent.ok) {
    // no mail went out: the provisional address would never be confirmed
    await services.repos.factors.removeUnconfirmed(user.id, 'email');
    throw sent.reason === 'cooldown' ? new MailCooldownError(sent.retryInSeconds) : new MailFailedError();
  }
  await record(services, actor, 'mfa.email_set_by_admin', user, { factorId: factor.id, email });
  return { factorId: factor.id, expiresAt: sent.expiresAt };
}

export function resetUserMfa(services: Services, user: User, actor: Actor): Promise<MfaResetResult> {
  return resetMfa(services, user, actor);
}

export function unlockUser(services: Services, org: Organisation, user: User, actor: Actor): Promise<UnlockResult> {
  return unlockAccount(services, org, user, actor);
}
