import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import type { FixtureClient, FixtureUser } from './fixtures.js';
import { HttpSession, formAction, formField } from './http-session.js';

/** A real relying party (openid-client) configured against the test server by discovery. */
export async function relyingParty(issuer: string, client: FixtureClient): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(issuer),
    client.clientId,
    client.clientSecret ? { client_secret: client.clientSecret } : undefined,
    client.clientSecret ? oidc.ClientSecretBasic(client.clientSecret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

export interface AuthorizationStart {
  url: URL;
  codeVerifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(
  config: oidc.Configuration,
  client: FixtureClient,
  params: Record<string, string> = {},
): Promise<AuthorizationStart> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: client.redirectUri,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, codeVerifier, state, nonce };
}

/** Opens the authorization URL and returns the sign-in page (HTML and its URL). */
export async function openSignIn(session: HttpSession, start: AuthorizationStart): Promise<{ html: string; url: string; status: number }> {
  const first = await session.get(start.url.toString());
  const { res, url } = await session.follow(first, start.url.toString());
  return { html: await res.text(), url, status: res.status };
}

/** Submits the password form of a sign-in page and follows on; returns where it ended. */
export async function submitPassword(
  session: HttpSession,
  page: { html: string; url: string },
  user: Pick<FixtureUser, 'orgCode' | 'username' | 'password'>,
  stopAt: string,
): Promise<{ res: Response; url: string }> {
  const action = formAction(page.html)!;
  const form: Record<string, string> = { csrf: formField(page.html, 'csrf')!, username: user.username, password: user.password };
  if (page.html.includes('name="org"')) form.org = user.orgCode;
  const res = await session.post(action, form);
  return session.follow(res, new URL(action, page.url).toString(), stopAt);
}

/**
 * One password attempt of a whole sign-in on the instance at `base` (the authorization URL
 * moved to its port, for tests with several instances on one issuer's data): "signed-in"
 * when it reached the relying party, otherwise the HTTP status of the answer.
 */
export async function passwordAttempt(
  base: string,
  config: oidc.Configuration,
  client: FixtureClient,
  user: Pick<FixtureUser, 'orgCode' | 'username' | 'password'>,
): Promise<'signed-in' | number> {
  const session = new HttpSession(base, { 'accept-language': 'en' });
  const start = await startAuthorization(config, client);
  const onServer = { ...start, url: new URL(start.url.pathname + start.url.search, base) };
  const page = await openSignIn(session, onServer);
  const { res, url } = await submitPassword(session, page, user, client.redirectUri);
  return url.startsWith(client.redirectUri) ? 'signed-in' : res.status;
}

/** The whole code flow without a browser: authorize → password → code → tokens. */
export async function signIn(
  issuer: string,
  config: oidc.Configuration,
  client: FixtureClient,
  user: Pick<FixtureUser, 'orgCode' | 'username' | 'password'>,
  params: Record<string, string> = {},
  session = new HttpSession(issuer),
) {
  const start = await startAuthorization(config, client, params);
  const page = await openSignIn(session, start);
  const end = await submitPassword(session, page, user, client.redirectUri);
  if (!end.url.startsWith(client.redirectUri)) {
    throw new Error(`sign-in did not reach the redirect URI; ended at ${end.url} (${end.res.status})`);
  }
  const tokens = await oidc.authorizationCodeGrant(config, new URL(end.url), {
    pkceCodeVerifier: start.codeVerifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
  });
  return { tokens, session, start };
}

/**
 * Authorizes with the browser's existing IdP session and no sign-in. `completed` is
 * false when the IdP showed a page (sign-in, MFA…) instead of returning a code.
 */
export async function authorizeSilently(session: HttpSession, config: oidc.Configuration, client: FixtureClient) {
  const start = await startAuthorization(config, client);
  const { url } = await session.follow(await session.get(start.url.toString()), start.url.toString(), client.redirectUri);
  return { start, url, completed: url.startsWith(client.redirectUri) };
}

/** The silent authorization redeemed for tokens; throws when a page was shown instead. */
export async function signInSilently(session: HttpSession, config: oidc.Configuration, client: FixtureClient) {
  const { start, url, completed } = await authorizeSilently(session, config, client);
  if (!completed) throw new Error(`did not complete silently: ended at ${url}`);
  return oidc.authorizationCodeGrant(config, new URL(url), {
    pkceCodeVerifier: start.codeVerifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
  });
}

/** A form POST with the client's Basic credentials (token endpoint by default): status and JSON body. */
export async function tokenRequest(server: { url: string }, client: FixtureClient, form: Record<string, string>, path = '/token') {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * Four wrong passwords, alternating between two instances, lock the account on both (the
 * fixtures' lockout threshold is four): the counters are shared, not kept per instance.
 */
export async function assertLockedAcrossInstances<S>(attempt: (server: S, password: string) => Promise<'signed-in' | number>, a: S, b: S, password: string): Promise<void> {
  assert.equal(await attempt(a, 'wrong-1'), 401);
  assert.equal(await attempt(b, 'wrong-2'), 401);
  assert.equal(await attempt(a, 'wrong-3'), 401);
  assert.equal(await attempt(b, 'wrong-4'), 429, 'the fourth failure, on the other instance, locks');
  assert.equal(await attempt(a, password), 429, 'locked on the first instance too');
  assert.equal(await attempt(b, password), 429, 'and on the second');
}
