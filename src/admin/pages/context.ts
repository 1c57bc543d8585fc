import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { pageContext } from '../../../interactions/page-context.js';
import { signedInPost } from '../../account/context.js';
import { type SelfSession, type SignedInUser, requireSignedInUser, requireStepUp } from '../../account/self-session.js';
import type { Services } from '../../services.js';
import type { Actor } from '../actor.js';
import { AdminError, AdminNotFoundError } from '../errors.js';
import { idField } from '../schemas.js';
import { findUser } from '../users.js';
import type { User } from '../../model.js';
import type { AdminPageContext, AdminSection } from './views/admin-layout.js';

export interface AdminPagesDeps {
  provider: Provider;
  services: Services;
  selfSession: SelfSession;
}

/** A signed-in user who is not an administrator of their organisation. */
export class AdminForbiddenError extends AdminError {
  constructor() {
    super(403, 'forbidden', 'admin.error.forbidden', 'this page is for administrators of the organisation');
  }
}

/** Reset MFA and disable need a fresh second factor, and this administrator has none to prove. */
export class AdminNeedsSecondFactorError extends AdminError {
  constructor() {
    super(403, 'second_factor_required', 'admin.needsSecondFactor', 'set up a second factor for your own account first');
  }
}

/**
 * The administrator of this request. The role is read from the database on every request
 * (requireSignedInUser loads the user afresh), so a demoted or disabled administrator
 * loses the pages at once. Everything an administrator does is scoped to `who.org`.
 */
export async function requireAdmin(ctx: Context): Promise<SignedInUser> {
  const who = await requireSignedInUser(ctx);
  if (who.user.role !== 'admin') throw new AdminForbiddenError();
  return who;
}

/** A form POST of an administrator: signed in, CSRF token checked, then the role. */
export async function adminPost(ctx: Context): Promise<{ who: SignedInUser; body: Record<string, string> }> {
  const posted = await signedInPost(ctx);
  if (posted.who.user.role !== 'admin') throw new AdminForbiddenError();
  return posted;
}

/** Who did it, for the audit trail of the domain functions. */
export function adminActor(ctx: Context, who: SignedInUser): Actor {
  return { kind: 'admin', userId: who.user.id, ip: ctx.ip, userAgent: ctx.get('user-agent') || null };
}

/** The page language (switcher, then the administrator's saved language) and the admin chrome. */
export function adminPage(ctx: Context, who: SignedInUser, section: AdminSection, returnPath?: string): AdminPageContext {
  const fallback = ctx.method === 'GET' && ctx.originalUrl.length <= 512 ? ctx.originalUrl : '/admin/users';
  const page = pageContext(ctx, { saved: who.user.locale, returnPath: returnPath ?? fallback });
  return { ...page, csrf: who.csrf, username: who.user.username, orgCode: who.org.code, orgName: who.org.name, section };
}

/**
 * A user of the administrator's own organisation named in the path. A malformed id, an
 * unknown one and one of another organisation are the same 404: nothing is revealed.
 */
export async function userInPath(ctx: Context, services: Services, who: SignedInUser): Promise<User> {
  const id = idField.safeParse(ctx.params.id);
  if (!id.success) throw new AdminNotFoundError('user');
  return findUser(services, who.org, id.data);
}

/**
 * Reset MFA and disable ask for a second factor proven within the step-up window (the
 * account pages' mechanism: /account/verify, then back to `returnTo`). Unlike the
 * account pages, an administrator without any second factor is refused rather than let
 * through: these actions must never rest on a password alone.
 */
export async function requireAdminStepUp(ctx: Context, services: Services, who: SignedInUser, returnTo: string): Promise<void> {
  const f = services.secondFactors;
  const methods = (await f.enrolledMethods(who.user.id)).filter((m) => who.org.settings.methods.includes(m));
  if (!methods.length && !(await f.hasBackupCodes(who.user.id))) throw new AdminNeedsSecondFactorError();
  requireStepUp(ctx, who, returnTo);
}

export function dateFormat(locale: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat(locale === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo' });
  return (ms) => format.format(ms);
}
