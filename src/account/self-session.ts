import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { SECOND_FACTOR_AMR } from '../auth/policy.js';
import { deriveKey } from '../crypto/secret-box.js';
import type { Organisation, User } from '../model.js';
import type { Services } from '../services.js';
import { AccountSignInFailedError, SignInRequiredError, StepUpRequiredError } from './errors.js';
import { ACCOUNT_CALLBACK_PATH, ACCOUNT_CLIENT_ID } from './internal-client.js';

/**
 * The session of the account pages (and the admin pages built on them).
 *
 * /account is a relying party of this very provider: signing in runs the ordinary
 * authorization code + PKCE flow with the internal client, so the password, second
 * factor, locks and organisation policy all apply exactly as for any application. The
 * code is redeemed in-process (no HTTP to our own token endpoint, which may not be
 * reachable from inside): the AuthorizationCode is looked up, checked (client, redirect
 * URI, PKCE S256, not consumed) and consumed.
 *
 * What the account pages then keep is a sealed cookie (AES-GCM, HttpOnly, SameSite=Lax,
 * Secure on https) naming the oidc-provider Session by its uid. Every request checks that
 * this Session is still alive and belongs to the user, so signing out (anywhere), the
 * session's idle or absolute limit, or "end this session" on /account ends the account
 * session too.
 */

export const ACCOUNT_COOKIE = 'idp_account';
const PENDING_COOKIE = 'idp_account_pending';
/** the account cookie is never trusted longer than this, whatever the Session says */
const COOKIE_MAX_SECONDS = 12 * 3600;
const PENDING_SECONDS = 600;

export interface SignedInUser {
  user: User;
  org: Organisation;
  /** RFC 8176 methods of the sign-in */
  amr: string[];
  /** epoch seconds of the sign-in */
  authTime: number;
  /** oidc-provider Session uid this account session belongs to */
  sessionUid: string;
  /** epoch ms of the last second factor proven on the account pages (step-up) */
  stepUpAt: number | null;
  /** CSRF token for forms of this session */
  csrf: string;
}

interface CookieState {
  v: 1;
  sub: string;
  uid: string;
  amr: string[];
  authTime: number;
  stepUpAt: number | null;
  iat: number;
}

interface PendingState {
  state: string;
  verifier: string;
  returnTo: string;
  exp: number;
}

/** Same-site paths only, so the return target can never become an open redirect. */
export function safeReturnPath(value: unknown, fallback = '/account'): string {
  return typeof value === 'string' && value.length <= 512 && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) ? value : fallback;
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function createSelfSession(deps: { provider: Provider; services: Services }) {
  const { services, provider } = deps;
  const { box, config } = services;
  const csrfKey = deriveKey(config.secretKey, 'account csrf v1');
  const secure = config.issuer.startsWith('https://');
  const cookieOpts = { httpOnly: true, sameSite: 'lax' as const, secure, signed: false, overwrite: true, path: '/' };
  const redirectUri = `${config.issuer}${ACCOUNT_CALLBACK_PATH}`;
  const csrfFor = (uid: string) => createHmac('sha256', csrfKey).update(uid).digest('base64url');

  function readSealed<T>(ctx: Context, name: string): T | undefined {
    const raw = ctx.cookies.get(name);
    if (!raw || raw.length > 4096) return undefined;
    try {
      return JSON.parse(box.open(raw, name)) as T;
    } catch {
      return undefined;
    }
  }

  function writeState(ctx: Context, state: CookieState): void {
    ctx.cookies.set(ACCOUNT_COOKIE, box.seal(JSON.stringify(state), ACCOUNT_COOKIE), cookieOpts);
  }

  function clear(ctx: Context): void {
    ctx.cookies.set(ACCOUNT_COOKIE, '', { ...cookieOpts, maxAge: 0 });
  }

  /** The signed-in user of this request, or undefined (the cookie is cleared when it no longer holds). */
  async function current(ctx: Context): Promise<SignedInUser | undefined> {
    const cached = ctx.state.signedInUser as SignedInUser | undefined;
    if (cached) return cached;
    const state = readSealed<CookieState>(ctx, ACCOUNT_COOKIE);
    if (!state || state.v !== 1) return undefined;
    const ok = await (async () => {
      if (state.iat + COOKIE_MAX_SECONDS * 1000 < Date.now()) return undefined;
      // the sign-in session must still be alive and be this user's
      const session = await services.repos.payloads.findBy('Session', 'uid', state.uid);
      if (!session || session.payload.accountId !== state.sub) return undefined;
      const user = await services.repos.users.findById(state.sub);
      if (!user || user.disabled) return undefined;
      const org = await services.repos.orgs.findById(user.orgId);
      if (!org) return undefined;
      return { user, org };
    })();
    if (!ok) {
      clear(ctx);
      return undefined;
    }
    const signedIn: SignedInUser = {
      ...ok,
      amr: state.amr,
      authTime: state.authTime,
      sessionUid: state.uid,
      stepUpAt: state.stepUpAt,
      csrf: csrfFor(state.uid),
    };
    ctx.state.signedInUser = signedIn;
    return signedIn;
  }

  return {
    current,

    /** Sends the browser to the provider's /auth with the account client (PKCE S256). */
    startSignIn(ctx: Context, returnTo: string, extra: Record<string, string> = {}): string {
      const pending: PendingState = {
        state: randomBytes(24).toString('base64url'),
        verifier: randomBytes(32).toString('base64url'),
        returnTo: safeReturnPath(returnTo),
        exp: Date.now() + PENDING_SECONDS * 1000,
      };
      ctx.cookies.set(PENDING_COOKIE, box.seal(JSON.stringify(pending), PENDING_COOKIE), { ...cookieOpts, maxAge: PENDING_SECONDS * 1000 });
      const url = new URL(`${config.issuer}/auth`);
      url.search = new URLSearchParams({
        client_id: ACCOUNT_CLIENT_ID,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: redirectUri,
        state: pending.state,
        code_challenge: createHash('sha256').update(pending.verifier).digest('base64url'),
        code_challenge_method: 'S256',
        ...extra,
      }).toString();
      return url.toString();
    },

    /** The redirect back from /auth: redeems the code in-process and opens the account session. */
    async finishSignIn(ctx: Context): Promise<string> {
      const retry = '/account/login';
      const pending = readSealed<PendingState>(ctx, PENDING_COOKIE);
      ctx.cookies.set(PENDING_COOKIE, '', { ...cookieOpts, maxAge: 0 });
      const { code, state } = ctx.query;
      if (!pending || pending.exp < Date.now() || typeof state !== 'string' || !sameText(state, pending.state)) {
        throw new AccountSignInFailedError(retry);
      }
      if (typeof code !== 'string' || code.length > 512) throw new AccountSignInFailedError(retry);
      const grant = await provider.AuthorizationCode.find(code).catch(() => undefined);
      const challenge = createHash('sha256').update(pending.verifier).digest('base64url');
      if (
        !grant ||
        (grant as unknown as { consumed?: unknown }).consumed ||
        grant.clientId !== ACCOUNT_CLIENT_ID ||
        grant.redirectUri !== redirectUri ||
        grant.codeChallengeMethod !== 'S256' ||
        typeof grant.codeChallenge !== 'string' ||
        !sameText(grant.codeChallenge, challenge) ||
        typeof grant.sessionUid !== 'string' ||
        typeof grant.accountId !== 'string'
      ) {
        throw new AccountSignInFailedError(retry);
      }
      // single use even when the callback is replayed or raced
      if (!(await services.repos.payloads.consumeOnce('AuthorizationCode', grant.jti))) throw new AccountSignInFailedError(retry);
      writeState(ctx, {
        v: 1,
        sub: grant.accountId,
        uid: grant.sessionUid,
        amr: Array.isArray(grant.amr) ? grant.amr.map(String) : [],
        authTime: typeof grant.authTime === 'number' ? grant.authTime : Math.floor(Date.now() / 1000),
        stepUpAt: null,
        iat: Date.now(),
      });
      delete ctx.state.signedInUser;
      return pending.returnTo;
    },

    /** Records a second factor just proven on the account pages (step-up). */
    markSteppedUp(ctx: Context, who: SignedInUser, at = Date.now()): void {
      writeState(ctx, { v: 1, sub: who.user.id, uid: who.sessionUid, amr: who.amr, authTime: who.authTime, stepUpAt: at, iat: Date.now() });
      who.stepUpAt = at;
    },

    /**
     * A second factor is fresh when proven on the account pages, or at the sign-in
     * itself (amr with a second factor — a remembered browser does not count), within
     * the step-up window.
     */
    isSteppedUp(who: SignedInUser, now = Date.now()): boolean {
      const windowMs = config.account.stepUpSeconds * 1000;
      if (who.stepUpAt !== null && now - who.stepUpAt <= windowMs) return true;
      return who.amr.some((m) => SECOND_FACTOR_AMR.has(m)) && now - who.authTime * 1000 <= windowMs;
    },

    verifyCsrf(who: SignedInUser, token: unknown): boolean {
      return typeof token === 'string' && sameText(token, who.csrf);
    },

    /** Ends the account session (the caller then sends the browser to /session/end). */
    signOut: clear,
  };
}

export type SelfSession = ReturnType<typeof createSelfSession>;

function selfSessionOf(ctx: Context): SelfSession {
  const s = ctx.state.selfSession as SelfSession | undefined;
  if (!s) throw new Error('selfSessionMiddleware is not installed');
  return s;
}

/**
 * The signed-in user of the account (or admin) pages. Throws SignInRequiredError when
 * there is none: a GET is then redirected to sign in and brought back to the same path.
 */
export async function requireSignedInUser(ctx: Context): Promise<SignedInUser> {
  const who = await selfSessionOf(ctx).current(ctx);
  if (!who) throw new SignInRequiredError(`/account/login?return=${encodeURIComponent(safeReturnPath(ctx.originalUrl))}`);
  return who;
}

/** Throws StepUpRequiredError unless a second factor was proven recently (see isSteppedUp). */
export function requireStepUp(ctx: Context, who: SignedInUser, returnTo: string): void {
  if (!selfSessionOf(ctx).isSteppedUp(who)) throw new StepUpRequiredError(`/account/verify?return=${encodeURIComponent(safeReturnPath(returnTo))}`);
}

/** Checks the CSRF token of a form posted by a signed-in user. */
export function checkAccountCsrf(ctx: Context, who: SignedInUser, token: unknown): boolean {
  return selfSessionOf(ctx).verifyCsrf(who, token);
}

/**
 * Puts the self-session on ctx.state and turns SignInRequiredError on a GET into a
 * redirect to the account sign-in (other methods get the 401 page with a link), and
 * StepUpRequiredError into a 303 to the second-factor check that returns to the page.
 */
export function selfSessionMiddleware(selfSession: SelfSession): Middleware {
  return async (ctx, next) => {
    ctx.state.selfSession = selfSession;
    try {
      await next();
    } catch (err) {
      if (err instanceof SignInRequiredError && (ctx.method === 'GET' || ctx.method === 'HEAD') && err.continueUrl) {
        ctx.redirect(err.continueUrl);
        return;
      }
      // nothing was changed: confirm the second factor first, then come back
      if (err instanceof StepUpRequiredError && err.continueUrl) {
        ctx.redirect(err.continueUrl);
        ctx.status = 303;
        return;
      }
      throw err;
    }
  };
}
