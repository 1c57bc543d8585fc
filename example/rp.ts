// A small relying party that signs in through the IdP and shows what it got back.
// Run the IdP first (`npm start`), then `npm run example:rp` and open http://localhost:3001.
//
// Environment: IDP_ISSUER (http://localhost:3000), RP_PORT (3001), RP_CLIENT_ID (demo-rp),
// RP_CLIENT_SECRET (demo-rp-secret). The demo client only accepts the redirect URI
// http://localhost:3001/callback: another port needs a client registered for it
// (`idp clients add --redirect-uri http://localhost:PORT/callback --post-logout-redirect-uri http://localhost:PORT/`).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import * as oidc from 'openid-client';

const issuer = process.env.IDP_ISSUER ?? 'http://localhost:3000';
const port = Number(process.env.RP_PORT ?? 3001);
const clientId = process.env.RP_CLIENT_ID ?? 'demo-rp';
const clientSecret = process.env.RP_CLIENT_SECRET ?? 'demo-rp-secret';
const base = `http://localhost:${port}`;
const redirectUri = `${base}/callback`;
const postLogoutRedirectUri = `${base}/`;

/** What this RP remembers per browser. It lives here, server-side; the browser holds only a random id. */
interface RpSession {
  seenAt: number;
  pending?: { codeVerifier: string; state: string; nonce: string };
  tokens?: oidc.TokenEndpointResponse;
  claims?: oidc.IDToken;
  userinfo?: oidc.UserInfoResponse;
  refreshed?: number;
}
const sessions = new Map<string, RpSession>();
const SESSION_COOKIE = 'rp_sid';
const SESSION_MS = 60 * 60 * 1000;

let configuration: Promise<oidc.Configuration> | undefined;

/** Discovery, retried on the next request when it failed, so the RP can start before the IdP. */
function getConfiguration(): Promise<oidc.Configuration> {
  configuration ??= oidc
    .discovery(
      new URL(issuer),
      clientId,
      clientSecret,
      // clients registered with `idp clients add` authenticate with HTTP Basic; openid-client would default to client_secret_post
      oidc.ClientSecretBasic(clientSecret),
      // a plain-http issuer is fine on localhost, never in production
      issuer.startsWith('http://') ? { execute: [oidc.allowInsecureRequests] } : undefined,
    )
    .catch((err: unknown) => {
      configuration = undefined;
      throw err;
    });
  return configuration;
}

const escapeHtml = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const json = (value: unknown) => `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;

function page(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example relying party</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}a,button{margin-right:1rem}</style>
</head><body><h1>Example relying party</h1>${body}</body></html>`);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location });
  res.end();
}

/** The browser's session, created on first sight; expired ones are dropped as new ones appear. */
function sessionOf(req: IncomingMessage): { id: string; session: RpSession; cookie?: string } {
  const id = /(?:^|;\s*)rp_sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
  const found = id ? sessions.get(id) : undefined;
  const now = Date.now();
  if (id && found && now - found.seenAt < SESSION_MS) {
    found.seenAt = now;
    return { id, session: found };
  }
  for (const [key, s] of sessions) if (now - s.seenAt >= SESSION_MS) sessions.delete(key);
  const fresh = randomBytes(24).toString('base64url');
  const session: RpSession = { seenAt: now };
  sessions.set(fresh, session);
  // HttpOnly: scripts never see it. SameSite=Lax: still sent on the top-level redirect back from the IdP.
  return { id: fresh, session, cookie: `${SESSION_COOKIE}=${fresh}; Path=/; HttpOnly; SameSite=Lax` };
}

function home(res: ServerResponse, s: RpSession): void {
  const signIn = `<form action="/login" method="get">
<label>Language <select name="ui_locales"><option value="ja">日本語</option><option value="en">English</option></select></label>
<button type="submit">Sign in</button></form>`;
  if (!s.claims) {
    return page(res, 200, `<p>Sign in with the identity provider at <code>${escapeHtml(issuer)}</code> as client <code>${escapeHtml(clientId)}</code>.</p>${signIn}`);
  }
  const tokens = s.tokens!;
  page(
    res,
    200,
    `<p>Signed in as <strong>${escapeHtml(s.userinfo?.preferred_username ?? s.claims.sub)}</strong>.</p>
<p><a href="/refresh">Refresh tokens</a><a href="/logout">Sign out</a></p>
<h2>ID token claims</h2>${json(s.claims)}
<h2>UserInfo response</h2>${json(s.userinfo ?? null)}
<h2>Tokens</h2>${json({
      token_type: tokens.token_type,
      scope: tokens.scope,
      expires_in: tokens.expires_in,
      refresh_token: tokens.refresh_token ? 'present' : 'absent',
      refreshed: s.refreshed ?? 0,
    })}`,
  );
}

/** Stores a token response and its ID token claims, then fetches userinfo with the new access token. */
async function keepTokens(config: oidc.Configuration, s: RpSession, tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers) {
  s.tokens = tokens;
  s.claims = tokens.claims() ?? s.claims; // a refresh response may carry no new ID token
  s.userinfo = await oidc.fetchUserInfo(config, tokens.access_token, s.claims!.sub);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', base);
  const { session: s, cookie } = sessionOf(req);
  if (cookie) res.setHeader('set-cookie', cookie);
  if (url.pathname === '/') return home(res, s);
  const config = await getConfiguration();

  if (url.pathname === '/login') {
    // PKCE, state and nonce stay on the server, tied to this browser by the cookie.
    const pending = { codeVerifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    s.pending = pending;
    const locale = url.searchParams.get('ui_locales');
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
      ...(locale === 'ja' || locale === 'en' ? { ui_locales: locale } : {}),
    });
    return redirect(res, authorizationUrl.href);
  }

  if (url.pathname === '/callback') {
    const pending = s.pending;
    if (!pending) return page(res, 400, '<p>No sign-in was started in this browser. <a href="/">Start again</a>.</p>');
    delete s.pending; // one attempt per state: a replayed callback is refused
    const tokens = await oidc.authorizationCodeGrant(config, url, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
    });
    await keepTokens(config, s, tokens);
    // redirect so the one-time code leaves the address bar and a reload does not replay it
    return redirect(res, '/');
  }

  if (url.pathname === '/refresh' && s.tokens?.refresh_token) {
    // rotation: the response carries a new refresh token and the old one stops working
    await keepTokens(config, s, await oidc.refreshTokenGrant(config, s.tokens.refresh_token));
    s.refreshed = (s.refreshed ?? 0) + 1;
    return redirect(res, '/');
  }

  if (url.pathname === '/logout' && s.tokens?.id_token) {
    const endSession = oidc.buildEndSessionUrl(config, {
      id_token_hint: s.tokens.id_token,
      post_logout_redirect_uri: postLogoutRedirectUri,
    });
    for (const key of Object.keys(s) as (keyof RpSession)[]) if (key !== 'seenAt') delete s[key];
    return redirect(res, endSession.href);
  }

  if (url.pathname === '/refresh' || url.pathname === '/logout') return redirect(res, '/');
  page(res, 404, '<p>Not found. <a href="/">Home</a></p>');
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    const e = err as { error?: string; error_description?: string; message?: string };
    const unreachable = /fetch failed|ECONNREFUSED/.test(String(e.message));
    const what = unreachable
      ? `The identity provider at ${issuer} is not reachable: start the IdP first (npm start).`
      : `${e.error ?? 'error'}: ${e.error_description ?? e.message ?? String(err)}`;
    console.error(`example RP: ${what}`);
    if (!res.headersSent) page(res, unreachable ? 503 : 400, `<p>${escapeHtml(what)}</p><p><a href="/">Start again</a></p>`);
  });
});

server.listen(port, () => {
  console.log(`Example relying party on ${base} (IdP ${issuer}, client ${clientId}): open it and press "Sign in"`);
  getConfiguration().catch(() => {
    console.error(`example RP: cannot reach the IdP at ${issuer}; start the IdP first: npm start (discovery is retried on the next request)`);
  });
});
