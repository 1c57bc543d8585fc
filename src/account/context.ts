import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { pageContext } from '../../interactions/page-context.js';
import { readForm } from '../../interactions/form-body.js';
import { CsrfError } from '../errors.js';
import type { Services } from '../services.js';
import { type SelfSession, type SignedInUser, checkAccountCsrf, requireSignedInUser } from './self-session.js';
import type { AccountPageContext } from './views/account-layout.js';

export interface AccountDeps {
  provider: Provider;
  services: Services;
  selfSession: SelfSession;
}

/** The page language and chrome of an account page: switcher, then the user's saved language. */
export function accountPage(ctx: Context, who: SignedInUser, section: AccountPageContext['section']): AccountPageContext {
  const page = pageContext(ctx, { saved: who.user.locale, returnPath: ctx.method === 'GET' ? ctx.path : `/account` });
  return { ...page, csrf: who.csrf, username: who.user.username, orgCode: who.org.code, section };
}

/** A POST of a signed-in user: the form is read (urlencoded, size-capped) and its CSRF token checked. */
export async function signedInPost(ctx: Context): Promise<{ who: SignedInUser; body: Record<string, string> }> {
  const who = await requireSignedInUser(ctx);
  const body = await readForm(ctx);
  if (!checkAccountCsrf(ctx, who, body.csrf)) throw new CsrfError();
  return { who, body };
}

/** Who did it and from where, for audit events caused on the account pages. */
export function auditFrom(ctx: Context, who: SignedInUser) {
  return { orgId: who.org.id, userId: who.user.id, clientId: null, ip: ctx.ip, userAgent: ctx.get('user-agent') || null };
}
