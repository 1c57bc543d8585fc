/**
 * Browser tests drive the Debian Chromium package through playwright-core; no browser
 * is ever downloaded. The relying party is real (openid-client): it builds the
 * authorization URL with PKCE and redeems the code; the browser only carries the user
 * through the hosted pages.
 *
 * The fixture clients' redirect URIs live on http://127.0.0.1:9. Each test context
 * records the navigations to that origin (the callback URLs, with code or error).
 * Interception with page.route()/context.route() does not work for them: Chromium 156
 * with playwright-core 1.65 still sends a *redirected* navigation to the network while
 * the route handler fulfils it, so the navigation fails (ERR_UNSAFE_PORT, or
 * ERR_CONNECTION_REFUSED once port 9 is allowed). Instead the browser maps
 * 127.0.0.1:9 onto a small real callback server (callback-rp.ts), so the callback
 * page really loads and every navigation completes.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { type Browser, type BrowserContext, type Page, type Response, chromium } from 'playwright-core';
import type { FixtureClient } from './fixtures.js';
import { startCallbackServer } from './callback-rp.js';
import { type AuthorizationStart, startAuthorization } from './rp.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CALLBACK_ORIGIN = 'http://127.0.0.1:9';

/**
 * Launches the system Chromium, with the relying party's origin mapped onto a callback
 * server that lives as long as the browser. Fails (never skips) when Chromium is not installed.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} not found: the browser tests need the system Chromium; ` +
        'install Debian chromium: apt-get install -y --no-install-recommends chromium',
    );
  }
  const callbackServer = await startCallbackServer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Port 9 (discard) is on Chromium's unsafe-port list; the fixture clients'
      // redirect URIs use it precisely because nothing listens there.
      '--explicitly-allowed-ports=9',
      `--host-rules=MAP 127.0.0.1:9 127.0.0.1:${callbackServer.port}`,
    ],
  }).catch(async (err: unknown) => {
    await callbackServer.close();
    throw err;
  });
  browser.on('disconnected', () => void callbackServer.close());
  return browser;
}

export type BrowserLocale = 'ja-JP' | 'en-US';

export type CallbackMatch = string | ((url: URL) => boolean);

export interface TestContext {
  context: BrowserContext;
  page: Page;
  /** every URL the pages asked for, in order (navigations, assets, fetches) */
  requests: string[];
  /** URLs on the relying party's origin that the browser was sent to */
  callbacks: URL[];
  /** resolves with the first callback (already seen or still to come) with that path (default /callback) or matching */
  waitForCallback(match?: CallbackMatch): Promise<URL>;
  close(): Promise<void>;
}

/**
 * A fresh context (own cookies, own Accept-Language through `locale`) that records
 * where the IdP sends the browser on the relying party's origin.
 */
export async function newTestContext(
  browser: Browser,
  opts: { locale: BrowserLocale; viewport?: { width: number; height: number }; isMobile?: boolean },
): Promise<TestContext> {
  const context = await browser.newContext({
    locale: opts.locale,
    viewport: opts.viewport ?? { width: 1024, height: 768 },
    ...(opts.isMobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const requests: string[] = [];
  const callbacks: URL[] = [];
  const waiters: { test: (url: URL) => boolean; resolve: (url: URL) => void }[] = [];
  context.on('request', (request) => {
    requests.push(request.url());
    const url = new URL(request.url());
    if (url.origin !== CALLBACK_ORIGIN || !request.isNavigationRequest()) return;
    callbacks.push(url);
    for (const w of waiters.filter((x) => x.test(url))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(url);
    }
  });
  const page = await context.newPage();
  const waitForCallback = (match: CallbackMatch = '/callback', timeoutMs = 15_000): Promise<URL> => {
    const test = typeof match === 'string' ? (url: URL) => url.pathname === match : match;
    const seen = callbacks.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (url: URL) => {
          clearTimeout(timer);
          resolve(url);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`the browser was not sent to the relying party (${String(match)}) within ${timeoutMs} ms; it is at ${page.url()}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };
  return { context, page, requests, callbacks, waitForCallback, close: () => context.close() };
}

/** Builds an authorization request with the real RP and opens it in the page. */
export async function openAuthorization(
  page: Page,
  config: oidc.Configuration,
  client: FixtureClient,
  params: Record<string, string> = {},
): Promise<{ start: AuthorizationStart; response: Response | null }> {
  const start = await startAuthorization(config, client, params);
  const response = await page.goto(start.url.toString());
  return { start, response };
}

/** Redeems the code in a callback URL with the real RP (PKCE, state and nonce checked). */
export async function redeem(config: oidc.Configuration, start: AuthorizationStart, callback: URL) {
  return oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: start.codeVerifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
  });
}

/** Labels of the sign-in form in each language (from the message catalogues). */
export const LABELS = {
  ja: { org: '組織コード', username: 'ユーザーID', password: 'パスワード', submit: 'ログイン' },
  en: { org: 'Organisation code', username: 'User ID', password: 'Password', submit: 'Sign in' },
} as const;

/** Fills the sign-in form by its visible labels and submits it. */
export async function fillSignIn(
  page: Page,
  lang: 'ja' | 'en',
  user: { username: string; password: string; org?: string | undefined },
): Promise<void> {
  const l = LABELS[lang];
  if (user.org !== undefined) await page.getByLabel(l.org, { exact: true }).fill(user.org);
  await page.getByLabel(l.username, { exact: true }).fill(user.username);
  await page.getByLabel(l.password, { exact: true }).fill(user.password);
  await page.getByRole('button', { name: l.submit, exact: true }).click();
}

/** A temporary folder for screenshots humans may want to look at. */
let shotDir: string | undefined;
export function screenshotPath(name: string): string {
  shotDir ??= mkdtempSync(join(tmpdir(), 'idp-browser-shots-'));
  return join(shotDir, name);
}
