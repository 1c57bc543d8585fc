import { createHash } from 'node:crypto';
import { type Client, CookieJar, type Reply, basicAuth, pathOf } from './client.js';
import type { Fixture, Scenario } from './fixture.js';
import { currentStep, totpAt } from './totp.js';

/** One iteration of a scenario; `exhausted` says the prepared codes or tokens ran out. */
export interface Runner {
  iteration(): Promise<void>;
  exhausted(): boolean;
}

const VERIFIER = 'bench-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

function expect(reply: Reply, status: number, what: string): Reply {
  if (reply.status !== status) throw new Error(`${what}: HTTP ${reply.status} ${reply.body.slice(0, 160)}`);
  return reply;
}

function json<T>(reply: Reply, what: string): T {
  return JSON.parse(expect(reply, 200, what).body) as T;
}

function authorizePath(f: Fixture, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({
    client_id: f.web.clientId,
    redirect_uri: f.web.redirectUri,
    response_type: 'code',
    scope: 'openid profile email offline_access',
    state: 'bench-state',
    nonce: 'bench-nonce',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  });
  return `/auth?${q}`;
}

function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no csrf on page: ${html.slice(0, 200)}`);
  return m[1]!;
}

/** Follows redirects on the IdP until one points at the client; returns the code. */
async function followToCode(http: Client, jar: CookieJar, location: string | undefined, f: Fixture): Promise<string> {
  let loc = location;
  for (let i = 0; i < 5; i++) {
    if (loc?.startsWith(f.web.redirectUri)) {
      const code = new URL(loc).searchParams.get('code');
      if (!code) throw new Error(`redirect without code: ${loc}`);
      return code;
    }
    const r = jar.take(await http.get(pathOf(loc, 'follow'), jar.header()));
    if (r.status !== 302 && r.status !== 303) throw new Error(`expected a redirect, got ${r.status} ${r.body.slice(0, 160)}`);
    loc = r.location;
  }
  throw new Error('too many redirects');
}

async function exchangeCode(http: Client, f: Fixture, code: string): Promise<{ access_token: string; refresh_token: string }> {
  const reply = await http.postForm(
    '/token',
    { grant_type: 'authorization_code', code, redirect_uri: f.web.redirectUri, code_verifier: VERIFIER },
    { authorization: basicAuth(f.web.clientId, f.web.clientSecret) },
  );
  return json(reply, 'code exchange');
}

/** Users whose TOTP codes are spent in order: each code (time step) once per user, as the server demands. */
class TotpUsers {
  private readonly lastStep = new Map<string, number>();
  private i = 0;
  constructor(private readonly users: { username: string; rememberToken: string }[]) {}
  next(needCode: boolean): { username: string; rememberToken: string; step?: number } {
    for (let tries = 0; tries < this.users.length; tries++) {
      const user = this.users[this.i++ % this.users.length]!;
      if (!needCode) return user;
      const now = currentStep();
      // not the previous step: by the time the code is submitted (after the password page,
      // hundreds of ms under load) a new step may have begun, and now - 2 is refused
      const step = Math.max(now, (this.lastStep.get(user.username) ?? -Infinity) + 1);
      if (step > now + 1) continue;
      this.lastStep.set(user.username, step);
      return { ...user, step };
    }
    throw new Error('every user has spent the codes of this time window; seed more TOTP users (--totp-users)');
  }
}

/** The whole browserless sign-in: authorize → password → (TOTP) → code → token. */
async function signIn(http: Client, f: Fixture, user: { username: string; rememberToken: string; step?: number }, remembered: boolean): Promise<void> {
  const jar = new CookieJar(remembered ? { idp_rb: user.rememberToken } : {});
  const start = jar.take(await http.get(authorizePath(f), jar.header()));
  const pagePath = pathOf(start.location, 'authorize');
  const page = jar.take(expect(await http.get(pagePath, jar.header()), 200, 'sign-in page'));
  const uidPath = pagePath.split('?')[0]!;
  let r = jar.take(await http.postForm(`${uidPath}/login`, { csrf: csrfOf(page.body), username: user.username, password: f.password! }, jar.header()));
  if (r.status !== 303) throw new Error(`password step: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  if (!remembered) {
    const mfaPage = jar.take(expect(await http.get(pathOf(r.location, 'password step'), jar.header()), 200, 'MFA page'));
    const code = totpAt(f.totpSecret!, user.step!);
    r = jar.take(await http.postForm(`${uidPath}/mfa`, { csrf: csrfOf(mfaPage.body), method: 'totp', code }, jar.header()));
    if (r.status !== 303) throw new Error(`TOTP step: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  }
  const code = await followToCode(http, jar, r.location, f);
  const tokens = await exchangeCode(http, f, code);
  if (!tokens.access_token) throw new Error('no access token');
}

/** The bare provider's sign-in: /auth → interaction (signs in and consents at once, no page) → /auth/:uid → code → token. */
async function bareSignIn(http: Client, f: Fixture): Promise<void> {
  const jar = new CookieJar();
  const start = jar.take(await http.get(authorizePath(f), jar.header()));
  const code = await followToCode(http, jar, start.location, f);
  const tokens = await exchangeCode(http, f, code);
  if (!tokens.access_token) throw new Error('no access token');
}

/** A browser session (remembered sign-in) from which codes are issued silently (prompt=none). */
async function sessionJar(http: Client, f: Fixture): Promise<CookieJar> {
  const user = f.users![0]!;
  const jar = new CookieJar({ idp_rb: user.rememberToken });
  const start = jar.take(await http.get(authorizePath(f), jar.header()));
  const pagePath = pathOf(start.location, 'authorize');
  const page = jar.take(await http.get(pagePath, jar.header()));
  const r = jar.take(await http.postForm(`${pagePath.split('?')[0]}/login`, { csrf: csrfOf(page.body), username: user.username, password: f.password! }, jar.header()));
  await followToCode(http, jar, r.location, f);
  return jar;
}

/** Authorization codes ready to exchange: silent authorizations on our server, minted in-process on the bare one. */
async function mintCodes(http: Client, f: Fixture, count: number, concurrency: number, deadline: number): Promise<string[]> {
  if (f.mintPath) {
    const out: string[] = [];
    while (out.length < count && Date.now() < deadline) out.push(...json<{ items: string[] }>(await http.get(`${f.mintPath}?kind=code&n=${Math.min(2000, count - out.length)}`), 'mint').items);
    return out;
  }
  const jar = await sessionJar(http, f);
  const codes: string[] = [];
  const worker = async () => {
    while (codes.length < count && Date.now() < deadline) {
      const r = await http.get(authorizePath(f, { prompt: 'none' }), jar.header());
      codes.push(await followToCode(http, new CookieJar(), r.location, f));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return codes;
}

async function tokens(http: Client, f: Fixture, kind: 'refresh' | 'access', count: number, concurrency: number): Promise<string[]> {
  if (f.mintPath) return json<{ items: string[] }>(await http.get(`${f.mintPath}?kind=${kind}&n=${count}`), 'mint').items;
  const codes = await mintCodes(http, f, count, concurrency, Date.now() + 60_000);
  const out: string[] = [];
  for (let i = 0; i < codes.length; i += concurrency) {
    const batch = await Promise.all(codes.slice(i, i + concurrency).map((c) => exchangeCode(http, f, c)));
    out.push(...batch.map((t) => (kind === 'refresh' ? t.refresh_token : t.access_token)));
  }
  return out;
}

/** Prepares what a scenario needs (codes, tokens) and returns its iteration. */
export async function prepare(scenario: Scenario, http: Client, f: Fixture, opts: { concurrency: number; durationSec: number; rate?: number | undefined }): Promise<Runner> {
  const forever = { exhausted: () => false };
  switch (scenario) {
    case 'cc': {
      const auth = basicAuth(f.service.clientId, f.service.clientSecret);
      return { ...forever, iteration: async () => void json(await http.postForm('/token', { grant_type: 'client_credentials' }, { authorization: auth }), 'client credentials') };
    }
    case 'userinfo': {
      const [token] = await tokens(http, f, 'access', 1, 1);
      const headers = { authorization: `Bearer ${token}` };
      return { ...forever, iteration: async () => void json(await http.get('/me', headers), 'userinfo') };
    }
    case 'introspection': {
      const [token] = await tokens(http, f, 'access', 1, 1);
      const auth = basicAuth(f.web.clientId, f.web.clientSecret);
      return {
        ...forever,
        iteration: async () => {
          const body = json<{ active: boolean }>(await http.postForm('/token/introspection', { token: token! }, { authorization: auth }), 'introspection');
          if (!body.active) throw new Error('introspection: token inactive');
        },
      };
    }
    case 'code': {
      // Codes live 60 s: mint for at most 25 s, then exchange them all as fast as possible.
      // An open-loop run also spends codes in its warm-up second.
      const wanted = Math.ceil((opts.rate ?? 5000) * (opts.durationSec + (opts.rate ? 1 : 0)));
      const codes = await mintCodes(http, f, wanted, opts.concurrency, Date.now() + 25_000);
      return {
        exhausted: () => codes.length === 0,
        iteration: async () => {
          const code = codes.pop();
          if (!code) return;
          await exchangeCode(http, f, code);
        },
      };
    }
    case 'refresh': {
      // rotation: each refresh token works once; the new one goes back into the pool
      const pool = await tokens(http, f, 'refresh', opts.concurrency * 2, opts.concurrency);
      const auth = basicAuth(f.web.clientId, f.web.clientSecret);
      return {
        exhausted: () => pool.length === 0,
        iteration: async () => {
          const token = pool.shift();
          if (!token) return;
          const body = json<{ refresh_token: string }>(await http.postForm('/token', { grant_type: 'refresh_token', refresh_token: token }, { authorization: auth }), 'refresh');
          if (!body.refresh_token || body.refresh_token === token) throw new Error('refresh: not rotated');
          pool.push(body.refresh_token);
        },
      };
    }
    case 'signin':
    case 'signin-remembered': {
      if (f.mintPath) return { ...forever, iteration: () => bareSignIn(http, f) };
      const remembered = scenario === 'signin-remembered';
      const users = new TotpUsers(f.users!);
      return { ...forever, iteration: () => signIn(http, f, users.next(!remembered), remembered) };
    }
  }
}

/** One access token for the wrk runs of userinfo and introspection. */
export async function accessToken(http: Client, f: Fixture): Promise<string> {
  const [token] = await tokens(http, f, 'access', 1, 1);
  return token!;
}
