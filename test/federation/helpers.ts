import type * as oidc from 'openid-client';
import { addUpstream } from '../../src/federation/upstreams.js';
import type { Organisation } from '../../src/model.js';
import { randomId } from '../../src/util/ids.js';
import { type FixtureClient, createClient, createOrg, createUser, type FixtureUser } from '../helpers/fixtures.js';
import { HttpSession, formAction, formField } from '../helpers/http-session.js';
import { relyingParty } from '../helpers/rp.js';
import { type Engine, freePort, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Two real instances of this IdP: `downstream` (the one under test, http://localhost:P)
 * and `upstream` (http://127.0.0.1:Q, another host name so the two keep separate
 * cookies). The downstream's organisation ACME trusts the upstream as "corp".
 */
export interface FederationSetup {
  downstream: TestServer;
  upstream: TestServer;
  org: Organisation;
  client: FixtureClient;
  rp: oidc.Configuration;
  /** the downstream's client registered at the upstream */
  upstreamClient: { clientId: string; clientSecret: string };
  upstreamId: string;
  upstreamUser(): Promise<FixtureUser>;
  localUser(): Promise<FixtureUser>;
  stop(): Promise<void>;
}

export async function startFederation(engine: Engine, orgSettings: Parameters<typeof createOrg>[2] = {}): Promise<FederationSetup> {
  const downstream = await startTestServer({ engine });
  const port = await freePort();
  const upstream = await startTestServer({ port, env: { IDP_ISSUER: `http://127.0.0.1:${port}` } });
  const upOrg = await createOrg(upstream.services, 'UP');
  const upstreamClient = { clientId: `down-${randomId(4)}`, clientSecret: randomId(24) };
  await upstream.services.repos.clients.create({
    name: 'Downstream portal',
    orgId: upOrg.id,
    firstParty: true,
    requireMfa: false,
    metadata: {
      client_id: upstreamClient.clientId,
      client_secret: upstreamClient.clientSecret,
      client_name: 'Downstream portal',
      redirect_uris: [`${downstream.config.issuer}/federation/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  });
  const org = await createOrg(downstream.services, 'ACME', orgSettings);
  const client = await createClient(downstream.services, { orgId: org.id, name: 'Billing' });
  const rp = await relyingParty(downstream.url, client);
  const added = await addUpstream(
    downstream.services,
    org,
    { slug: 'corp', issuer: upstream.config.issuer, client_id: upstreamClient.clientId, client_secret: upstreamClient.clientSecret, display_name: 'Corp ID' },
    'test',
  );
  return {
    downstream,
    upstream,
    org,
    client,
    rp,
    upstreamClient,
    upstreamId: added.id,
    upstreamUser: () => createUser(upstream.services, upOrg),
    localUser: () => createUser(downstream.services, org),
    async stop() {
      await downstream.stop({ dropDatabase: true });
      await upstream.stop({ dropDatabase: true });
    },
  };
}

/** A cookie-keeping client for both sites: each request goes with the cookies of its origin. */
export class TwoSites {
  private sessions: HttpSession[];
  constructor(...bases: string[]) {
    this.sessions = bases.map((b) => new HttpSession(b, { 'accept-language': 'en' }));
  }
  session(url: string): HttpSession {
    const origin = new URL(url).origin;
    const s = this.sessions.find((x) => new URL(x.base).origin === origin);
    if (!s) throw new Error(`no session for ${url}`);
    return s;
  }
  /** a fresh cookie jar for one of the sites (a new browser there) */
  reset(base: string): void {
    const i = this.sessions.findIndex((x) => new URL(x.base).origin === new URL(base).origin);
    this.sessions[i] = new HttpSession(base, { 'accept-language': 'en' });
  }
  get(url: string): Promise<Response> {
    return this.session(url).get(url);
  }
  post(url: string, form: Record<string, string>): Promise<Response> {
    return this.session(url).post(url, form);
  }
  /** Follows redirects across both sites; stops before a URL starting with `stopAt` or leaving both. */
  async follow(res: Response, url: string, stopAt?: string): Promise<{ res: Response; url: string; html: string }> {
    let current = res;
    let currentUrl = url;
    for (let i = 0; i < 15 && current.status >= 300 && current.status < 400; i++) {
      const location = new URL(current.headers.get('location')!, currentUrl).toString();
      currentUrl = location;
      if (stopAt && location.startsWith(stopAt)) return { res: current, url: location, html: '' };
      if (!this.sessions.some((s) => location.startsWith(new URL(s.base).origin))) return { res: current, url: location, html: '' };
      current = await this.get(location);
    }
    return { res: current, url: currentUrl, html: await current.text() };
  }
  async open(url: string, stopAt?: string) {
    return this.follow(await this.get(url), url, stopAt);
  }
}

/** The form whose action ends with `/step` on a page, with its CSRF token. */
export function stepForm(html: string, step: string): { action: string; csrf: string } {
  const forms = [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms.find((m) => m[1]!.replace(/&amp;/g, '&').endsWith(`/${step}`));
  if (!form) throw new Error(`no form for step ${step} on the page:\n${html.slice(0, 2000)}`);
  return { action: form[1]!.replace(/&amp;/g, '&'), csrf: formField(form[2]!, 'csrf')! };
}

export { formAction, formField };
