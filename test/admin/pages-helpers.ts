import assert from 'node:assert/strict';
import type { User } from '../../src/model.js';
import type { Services } from '../../src/services.js';
import { type AccountPage, openAccount, signInToAccount } from '../helpers/account.js';
import { createUser, type FixtureUser } from '../helpers/fixtures.js';
import type { HttpSession } from '../helpers/http-session.js';
import { totpCode } from '../helpers/mfa.js';

export interface FixtureAdmin extends FixtureUser {
  /** base32 TOTP secret of the administrator's authenticator */
  totpSecret: string;
}

/** A confirmed authenticator for a user, set up through the product's own TOTP enrolment. */
export async function addTotp(services: Services, u: FixtureUser, label = 'Phone'): Promise<string> {
  const user = (await services.repos.users.findById(u.id)) as User;
  const org = (await services.repos.orgs.findById(u.orgId))!;
  const started = await services.secondFactors.startTotp(user, org);
  const secret = started.secret.replace(/\s+/g, '');
  const ok = await services.secondFactors.confirmTotp(user, started.factorId, totpCode(secret), label);
  assert.ok(ok.ok);
  return secret;
}

/** A user with the admin role (as `idp users add --role admin` makes one), with or without an authenticator. */
export async function createAdmin(
  services: Services,
  org: { id: string; code: string },
  opts: { username?: string; locale?: 'ja' | 'en'; totp?: boolean } = {},
): Promise<FixtureAdmin> {
  const u = await createUser(services, org, { username: opts.username ?? 'root', ...(opts.locale ? { locale: opts.locale } : {}) });
  await services.knex('users').where({ id: u.id }).update({ role: 'admin' });
  return { ...u, totpSecret: opts.totp === false ? '' : await addTotp(services, u) };
}

/**
 * Signs an administrator in to /admin through the provider (password, then the TOTP
 * code of the next step, so the set-up code is not replayed): the sign-in itself counts
 * as a fresh second factor for step-up.
 */
export async function signInAdmin(session: HttpSession, admin: FixtureAdmin, path = '/admin/users'): Promise<AccountPage> {
  const page = await signInToAccount(session, admin, { path, ...(admin.totpSecret ? { totpSecret: admin.totpSecret, totpOffset: 1 } : {}) });
  assert.equal(new URL(page.url).pathname, path, `signed in to ${path} (at ${page.url})`);
  return page;
}

export { openAccount as openAdmin };
