// The protocol-layer ceiling: bare oidc-provider with an in-memory adapter, a trivial
// account and the same two clients and token lifetimes as ours. Nothing of ours runs
// here. Authorization codes and tokens for the code, refresh, userinfo and introspection
// scenarios are minted in-process (GET /bench/mint), since the bare provider has no
// sign-in pages; the exchange, refresh and userinfo requests are then real HTTP.
// Its sign-in is oidc-provider's part of one, without pages or password: /auth, an
// interaction that signs the account in and grants the scopes at once, the resumed
// /auth, the code exchange — the floor under any sign-in built on oidc-provider.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';

const port = Number(process.env.PORT ?? 0);
const [webSecret, serviceSecret] = [process.env.BENCH_WEB_SECRET!, process.env.BENCH_SERVICE_SECRET!];
const redirectUri = 'http://127.0.0.1:9/callback';
const VERIFIER = 'bench-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz';
const SCOPE = 'openid profile email offline_access';

/**
 * oidc-provider's own MemoryAdapter, less its 1,000-entry LRU bound (minting thousands
 * of codes would evict the grant they belong to): a plain Map, with the same uid index
 * (a code exchange looks its session up by uid; a scan over every stored token would make
 * the floor grow with the tokens minted before it).
 */
const store = new Map<string, AdapterPayload>();
const uids = new Map<string, string>();
class MapAdapter implements Adapter {
  constructor(private readonly model: string) {}
  private key = (id: string) => `${this.model}:${id}`;
  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    store.set(this.key(id), payload);
    if (payload.uid) uids.set(`${this.model}:${payload.uid}`, id);
    if (payload.grantId) store.set(`grant:${payload.grantId}:${this.key(id)}`, {} as AdapterPayload);
  }
  async find(id: string) {
    return store.get(this.key(id));
  }
  async findByUid(uid: string) {
    const id = uids.get(`${this.model}:${uid}`);
    return id === undefined ? undefined : store.get(this.key(id));
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id: string): Promise<void> {
    const v = store.get(this.key(id));
    if (v) v.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string): Promise<void> {
    store.delete(this.key(id));
  }
  async revokeByGrantId(grantId: string): Promise<void> {
    for (const k of store.keys()) {
      if (!k.startsWith(`grant:${grantId}:`)) continue;
      store.delete(k.slice(`grant:${grantId}:`.length));
      store.delete(k);
    }
  }
}

const configuration: Configuration = {
  adapter: MapAdapter,
  clients: [
    { client_id: 'bench-web', client_secret: webSecret, redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
    { client_id: 'bench-service', client_secret: serviceSecret, redirect_uris: [], grant_types: ['client_credentials'], response_types: [] },
  ],
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: 'Bench User', email: 'bench@example.com' }) }),
  claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  features: { devInteractions: { enabled: false }, introspection: { enabled: true }, clientCredentials: { enabled: true }, userinfo: { enabled: true } },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: { AccessToken: 3600, AuthorizationCode: 60, ClientCredentials: 600, IdToken: 3600, RefreshToken: 14 * 24 * 3600, Grant: 14 * 24 * 3600 },
};

const provider = new Provider(`http://localhost:${port}`, configuration);

async function mint(kind: string, n: number): Promise<string[]> {
  const client = await provider.Client.find('bench-web');
  const grant = new provider.Grant({ clientId: 'bench-web', accountId: 'bench-user' });
  grant.addOIDCScope(SCOPE);
  const grantId = await grant.save();
  const common = { accountId: 'bench-user', client: client!, grantId, scope: SCOPE, expiresWithSession: false };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (kind === 'code') {
      const challenge = createHash('sha256').update(VERIFIER).digest('base64url');
      out.push(await new provider.AuthorizationCode({ ...common, redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000), nonce: 'bench-nonce' }).save());
    } else if (kind === 'refresh') {
      out.push(await new provider.RefreshToken({ ...common, gty: 'authorization_code', rotations: 0, authTime: Math.floor(Date.now() / 1000) }).save());
    } else {
      out.push(await new provider.AccessToken({ ...common, gty: 'authorization_code' }).save());
    }
  }
  return out;
}

provider.use(async (ctx, next) => {
  if (ctx.path !== '/bench/mint') return next();
  ctx.body = { items: await mint(String(ctx.query.kind), Number(ctx.query.n)) };
});

// Forget everything stored, before each measurement: this process lives through the whole
// bench (its ceilings are measured again next to each of ours), and a heap holding every
// token minted before would make its garbage collection, so its ceiling, drift down.
provider.use(async (ctx, next) => {
  if (ctx.path !== '/bench/reset' || ctx.method !== 'POST') return next();
  store.clear();
  uids.clear();
  ctx.status = 204;
});

// the interaction: no page, no password; signed in and consented in one step
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/interaction/')) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const grant = new provider.Grant({ clientId: String(details.params.client_id), accountId: 'bench-user' });
  grant.addOIDCScope(String(details.params.scope));
  const grantId = await grant.save();
  ctx.status = 303;
  ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: 'bench-user' }, consent: { grantId } }, { mergeWithLastSubmission: false }));
});

const server = createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
