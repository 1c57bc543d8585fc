import type { AuditLog } from '../audit.js';
import type { OrgRepository } from '../db/orgs.js';
import type { UserRepository } from '../db/users.js';
import { type Organisation, type User, normaliseOrgCode, usernameKey } from '../model.js';
import { MAX_PASSWORD_LENGTH, type PasswordHasher } from './passwords.js';
import { type Throttle, accountKey, addressKey } from './throttle.js';

export type PasswordLoginResult =
  | { ok: true; user: User; org: Organisation }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; retryAt: number };

export interface RequestContext {
  ip: string;
  userAgent?: string | undefined;
  clientId?: string | undefined;
}

export interface PasswordLoginDeps {
  orgs: OrgRepository;
  users: UserRepository;
  hasher: PasswordHasher;
  throttle: Throttle;
  audit: AuditLog;
}

/**
 * Checks organisation code + user ID + password. Every failure looks the same to the
 * caller and costs the same argon2 work, whether the organisation or user exists or not.
 */
export async function passwordLogin(
  deps: PasswordLoginDeps,
  input: { org: Organisation | undefined; orgCode: string; username: string; password: string },
  req: RequestContext,
): Promise<PasswordLoginResult> {
  const keys = [accountKey(normaliseOrgCode(input.orgCode), usernameKey(input.username)), addressKey(req.ip)];
  const auditBase = { orgId: input.org?.id ?? null, clientId: req.clientId, ip: req.ip, userAgent: req.userAgent };

  const lockedUntil = await deps.throttle.lockedUntil(keys);
  if (lockedUntil) {
    await deps.audit.record({ ...auditBase, type: 'login.refused_locked', details: { username: input.username.slice(0, 128) } });
    return { ok: false, reason: 'locked', retryAt: lockedUntil };
  }

  const user = input.org ? await deps.users.findByUsername(input.org.id, input.username) : undefined;
  const valid =
    input.password.length <= MAX_PASSWORD_LENGTH &&
    (user && !user.disabled
      ? await deps.hasher.verify(user.passwordHash, input.password)
      : await deps.hasher.verifyDummy(input.password));

  if (!valid || !user || !input.org) {
    const retryAt = await deps.throttle.fail(keys);
    await deps.audit.record({
      ...auditBase,
      type: 'login.failed',
      userId: user?.id ?? null,
      details: {
        username: input.username.slice(0, 128),
        reason: !input.org ? 'unknown_org' : !user ? 'unknown_user' : user.disabled ? 'disabled' : 'wrong_password',
      },
    });
    if (retryAt) {
      // which lock this failure started: the account's, the address's or both
      const locked = [];
      if (await deps.throttle.lockedUntil([keys[0]!])) locked.push('account');
      if (await deps.throttle.lockedUntil([keys[1]!])) locked.push('address');
      await deps.audit.record({ ...auditBase, type: 'login.locked', userId: user?.id ?? null, details: { until: retryAt, locked } });
      return { ok: false, reason: 'locked', retryAt };
    }
    return { ok: false, reason: 'invalid' };
  }

  await deps.throttle.succeed(keys[0]!);
  return { ok: true, user, org: input.org };
}
