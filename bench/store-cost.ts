// What short-lived storage and throttling cost on PostgreSQL (and SQLite) against Redis,
// and how much of a sign-in or a token request Redis could save at most.
// `npm run bench:stores [-- --seconds=1 --concurrency=1,16]`: ~80 s; prints tables and
// writes bench/results/store-cost.json. Never part of `npm test`; needs PostgreSQL
// (IDP_BENCH_DATABASE_URL, a database of its own is created and dropped) and Redis
// (IDP_BENCH_REDIS_URL; only keys under a random prefix are written, and deleted after).
//
// 1. Per operation, with 1 and 16 concurrent callers, interleaved (PostgreSQL, PostgreSQL
//    with synchronous_commit=off, SQLite, Redis back to back for every cell, so a
//    neighbour's load hits all of them alike):
//    - oidc-provider payloads: upsert / find / consume / destroy through our real
//      repository (createOidcPayloadRepository over knex) against what a Redis adapter does
//      (MULTI SET…EX [+ grant index]; MGET; a Lua consume that wins once; DEL);
//    - the throttle of a sign-in: check (`get([account, address])`), clear (a success),
//      fail (`recordFailure` on both keys, as passwordLogin does) through createThrottle,
//      against rate-limiter-flexible's RateLimiterRedis (get ×2, delete, consume ×2).
// 2. A census: the real server (in this process, on PostgreSQL) serves complete sign-ins
//    (password + TOTP + code exchange), code exchanges, refreshes, client credentials,
//    userinfo and introspection; every call to the payload and throttle repositories is
//    counted by model, and each request is timed alone and under load.
// 3. The bound: Σ calls × (PostgreSQL − Redis) per operation, against the request's time —
//    for every model moved, and for the short-lived ones only (Session, Grant and
//    RefreshToken staying on PostgreSQL, the source of truth).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import knexFactory, { type Knex } from 'knex';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { defaults } from '../config/defaults.js';
import { loadConfig } from '../config/load.js';
import { createThrottle } from '../src/auth/throttle.js';
import { connect, migrate } from '../src/db/connect.js';
import { createOidcPayloadRepository } from '../src/db/oidc-payloads.js';
import { createThrottleRepository } from '../src/db/throttles.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/server.js';
import { createClient } from './load/client.js';
import type { Fixture } from './load/fixture.js';
import { prepare, type Runner } from './load/scenarios.js';
import { Latencies } from './load/stats.js';
import { freePortFor } from './ports.js';
import { BENCH_SECRET_KEY, createDatabase, seed } from './seed.js';

// ---------------------------------------------------------------- options

function option(name: string, fallback: string): string {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}
const known = ['pg-url', 'redis-url', 'seconds', 'concurrency', 'out'];
for (const a of process.argv.slice(2)) {
  if (!known.some((k) => a.startsWith(`--${k}=`))) {
    process.stderr.write(
      `unknown option ${a}\noptions: --pg-url=postgres://… (IDP_BENCH_DATABASE_URL) --redis-url=redis://… (IDP_BENCH_REDIS_URL)\n` +
        '         --seconds=1 (per cell) --concurrency=1,16 --out=bench/results/store-cost.json\n',
    );
    process.exit(2);
  }
}
const PG_URL = option('pg-url', process.env.IDP_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const REDIS_URL = option('redis-url', process.env.IDP_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
const SECONDS = Number(option('seconds', '1'));
const CONCURRENCY = option('concurrency', '1,16').split(',').map(Number);
const OUT = option('out', 'bench/results/store-cost.json');
if (!(SECONDS > 0) || CONCURRENCY.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('bad --seconds or --concurrency');

// ---------------------------------------------------------------- timing

interface Cell {
  n: number;
  perSec: number;
  p50: number;
  p99: number;
}

/**
 * `concurrency` callers run `op(i)` until `seconds` pass or `op` returns undefined (no more
 * work, e.g. every stored id consumed); latency per call, throughput over the wall time.
 */
async function drive(concurrency: number, seconds: number, op: (i: number) => Promise<unknown> | undefined): Promise<Cell> {
  const lat = new Latencies();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let i = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && performance.now() < deadline) {
      const t = performance.now();
      const p = op(i++);
      if (!p) {
        stop = true;
        break;
      }
      await p;
      lat.add(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  const s = lat.summary();
  return { n: lat.count, perSec: lat.count / elapsed, p50: s.p50, p99: s.p99 };
}

// ---------------------------------------------------------------- the stores compared

/** What a sign-in's code looks like to the adapter (≈ 700 bytes of JSON). */
function codePayload(id: string, grantId: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iat: now,
    exp: now + 60,
    accountId: 'bench00000001',
    acr: 'urn:mace:incommon:iap:silver',
    amr: ['pwd', 'otp'],
    authTime: now,
    claims: { id_token: { auth_time: { essential: true } } },
    clientId: 'bench-web',
    codeChallenge: randomBytes(32).toString('base64url'),
    codeChallengeMethod: 'S256',
    expiresWithSession: true,
    grantId,
    jti: id,
    kind: 'AuthorizationCode',
    nonce: randomBytes(16).toString('base64url'),
    redirectUri: 'https://rp.example.com/callback',
    scope: 'openid profile email offline_access',
    sessionUid: randomBytes(16).toString('base64url'),
    sid: randomBytes(16).toString('base64url'),
    dpopJkt: randomBytes(32).toString('base64url'),
  };
}

interface PayloadStore {
  upsert(type: string, id: string, payload: Record<string, unknown>, expiresIn: number): Promise<void>;
  find(type: string, id: string): Promise<{ payload: Record<string, unknown>; consumed: boolean } | undefined>;
  consume(type: string, id: string): Promise<unknown>;
  destroy(type: string, id: string): Promise<void>;
}

/**
 * What an IDP_REDIS_URL adapter would do per call (after oidc-provider's example Redis
 * adapter, with an atomic consume): one round trip each.
 */
function redisPayloadStore(redis: Redis, prefix: string): PayloadStore {
  const key = (type: string, id: string) => `${prefix}${type}:${id}`;
  const consumedKey = (type: string, id: string) => `${prefix}consumed:${type}:${id}`;
  // marks a live payload consumed unless it already is (of two racing uses one wins); the
  // marker lives exactly as long as the payload
  redis.defineCommand('benchConsume', {
    numberOfKeys: 2,
    lua: `local ttl = redis.call('pttl', KEYS[1])
if ttl == -2 then return 0 end
local ok
if ttl > 0 then ok = redis.call('set', KEYS[2], ARGV[1], 'NX', 'PX', ttl) else ok = redis.call('set', KEYS[2], ARGV[1], 'NX') end
if ok then return 1 end
return 0`,
  });
  const consume = (redis as unknown as { benchConsume(a: string, b: string, now: string): Promise<number> }).benchConsume.bind(redis);
  return {
    async upsert(type, id, payload, expiresIn) {
      const k = key(type, id);
      const m = redis.multi().set(k, JSON.stringify(payload), 'EX', expiresIn);
      if (typeof payload.grantId === 'string') {
        // revokeByGrantId needs every key of a grant; the list lives as long as its longest member
        const g = `${prefix}grant:${payload.grantId}`;
        m.rpush(g, k).expire(g, expiresIn, 'GT').expire(g, expiresIn, 'NX');
      }
      if (typeof payload.uid === 'string') m.set(`${prefix}uid:${type}:${payload.uid}`, id, 'EX', expiresIn);
      await m.exec();
    },
    async find(type, id) {
      const [data, consumed] = await redis.mget(key(type, id), consumedKey(type, id));
      if (!data) return undefined;
      // what the adapter hands oidc-provider: the payload, with `consumed` once consumed
      const payload = JSON.parse(data) as Record<string, unknown>;
      return { payload: consumed ? { ...payload, consumed: Number(consumed) } : payload, consumed: consumed !== null };
    },
    consume: (type, id) => consume(key(type, id), consumedKey(type, id), String(Math.floor(Date.now() / 1000))),
    async destroy(type, id) {
      await redis.del(key(type, id), consumedKey(type, id));
    },
  };
}

function knexPayloadStore(knex: Knex): PayloadStore {
  const repo = createOidcPayloadRepository(knex);
  return {
    upsert: repo.upsert,
    async find(type, id) {
      const stored = await repo.find(type, id);
      return stored && { payload: stored.payload, consumed: stored.consumedAt !== null };
    },
    consume: repo.consume,
    destroy: repo.destroy,
  };
}

/** One sign-in's throttle calls: check both keys, clear the account (success), count a failure on both. */
interface ThrottleStore {
  check(account: string, address: string): Promise<unknown>;
  clear(account: string): Promise<unknown>;
  fail(account: string, address: string): Promise<unknown>;
  /** consecutive failures counted on an account key (for the self-check) */
  failures(account: string): Promise<number>;
}

function knexThrottleStore(knex: Knex): ThrottleStore {
  const repo = createThrottleRepository(knex);
  const throttle = createThrottle(repo, defaults.throttle);
  return {
    check: (a, ip) => throttle.lockedUntil([a, ip]),
    clear: (a) => throttle.succeed(a),
    fail: (a, ip) => throttle.fail([a, ip]),
    failures: async (a) => (await repo.get([a]))[0]?.failures ?? 0,
  };
}

/** rate-limiter-flexible as its brute-force recipe uses it: a limiter per key kind. */
function redisThrottleStore(redis: Redis, prefix: string): ThrottleStore {
  const t = defaults.throttle;
  const account = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}acct`,
    points: t.accountFailures,
    duration: t.failureResetSeconds,
    blockDuration: t.baseDelaySeconds,
  });
  const address = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}ip`,
    points: t.addressFailures,
    duration: t.failureResetSeconds,
    blockDuration: t.baseDelaySeconds,
  });
  // a consume past the limit rejects with the limiter's answer: that is a lock, not an error
  const counted = (p: Promise<RateLimiterRes>) =>
    p.catch((err: unknown) => {
      if (err instanceof RateLimiterRes) return err;
      throw err;
    });
  return {
    check: (a, ip) => Promise.all([account.get(a), address.get(ip)]),
    clear: (a) => account.delete(a),
    fail: (a, ip) => Promise.all([counted(account.consume(a)), counted(address.consume(ip))]),
    failures: async (a) => (await account.get(a))?.consumedPoints ?? 0,
  };
}

// ---------------------------------------------------------------- part 1: per operation

/**
 * `pgAsync`: the same PostgreSQL database through connections with synchronous_commit=off —
 * a commit returns before its WAL is flushed, so a crash of the database server loses the
 * last fraction of a second of writes (never consistency). That is the durability Redis
 * offers without an fsync'ed append-only file: the like-for-like alternative.
 */
type StoreName = 'postgres' | 'pgAsync' | 'sqlite' | 'redis';
const STORES: StoreName[] = ['postgres', 'pgAsync', 'sqlite', 'redis'];
type OpName = `payload.${'upsert' | 'find' | 'consume' | 'destroy'}` | `throttle.${'check' | 'clear' | 'fail'}`;
type PerOp = Record<OpName, Record<string /* concurrency */, Record<StoreName, Cell>>>;

async function selfCheck(name: StoreName, p: PayloadStore, t: ThrottleStore): Promise<void> {
  const fail = (what: string) => {
    throw new Error(`${name}: ${what}`);
  };
  const id = `check-${randomBytes(6).toString('hex')}`;
  await p.upsert('AuthorizationCode', id, codePayload(id, 'check-grant'), 60);
  const found = await p.find('AuthorizationCode', id);
  if (found?.payload.jti !== id || found.consumed) fail('find after upsert');
  await p.consume('AuthorizationCode', id);
  if (!(await p.find('AuthorizationCode', id))?.consumed) fail('find after consume');
  await p.destroy('AuthorizationCode', id);
  if (await p.find('AuthorizationCode', id)) fail('find after destroy');
  const account = `pwd:acct:CHECK:${id}`;
  await t.fail(account, `pwd:ip:check-${id}`);
  await t.fail(account, `pwd:ip:check-${id}`);
  if ((await t.failures(account)) !== 2) fail('two failures counted');
  await t.clear(account);
  if ((await t.failures(account)) !== 0) fail('failures cleared');
}

async function perOperation(payloads: Record<StoreName, PayloadStore>, throttles: Record<StoreName, ThrottleStore>): Promise<PerOp> {
  const out = {} as PerOp;
  const put = (op: OpName, c: number, store: StoreName, cell: Cell) => {
    ((out[op] ??= {})[String(c)] ??= {} as Record<StoreName, Cell>)[store] = cell;
  };
  const TYPE = 'AuthorizationCode';

  // every store does what it is timed for: a broken one would look fast
  for (const s of STORES) await selfCheck(s, payloads[s], throttles[s]);

  // warm-up: connections opened, statements prepared, code paths compiled
  for (const s of STORES) {
    await drive(4, 0.3, (i) => payloads[s].upsert(TYPE, `warm-${i}`, codePayload(`warm-${i}`, 'warm'), 60));
    await drive(4, 0.2, (i) => payloads[s].find(TYPE, `warm-${i % 50}`));
    await drive(4, 0.2, (i) => throttles[s].check(`pwd:acct:W:${i % 50}`, `pwd:ip:w${i % 5}`));
  }

  for (const c of CONCURRENCY) {
    const ids: Record<StoreName, string[]> = { postgres: [], pgAsync: [], sqlite: [], redis: [] };
    for (const s of STORES) {
      const run = randomBytes(4).toString('hex');
      put('payload.upsert', c, s, await drive(c, SECONDS, (i) => {
        const id = `${run}-${i}`;
        ids[s].push(id);
        // ten codes per grant, as a busy grant's tokens would share it
        return payloads[s].upsert(TYPE, id, codePayload(id, `grant-${run}-${Math.floor(i / 10)}`), 600);
      }));
    }
    for (const s of STORES) put('payload.find', c, s, await drive(c, SECONDS, (i) => payloads[s].find(TYPE, ids[s][i % ids[s].length]!)));
    for (const s of STORES) put('payload.consume', c, s, await drive(c, SECONDS, (i) => (i < ids[s].length ? payloads[s].consume(TYPE, ids[s][i]!) : undefined)));
    for (const s of STORES) put('payload.destroy', c, s, await drive(c, SECONDS, (i) => (i < ids[s].length ? payloads[s].destroy(TYPE, ids[s][i]!) : undefined)));

    // throttle: failures first (so checks meet real rows), spread over 5,000 accounts and 500 addresses
    const acct = (i: number) => `pwd:acct:BENCH:user${(i * 7919) % 5000}`;
    const addr = (i: number) => `pwd:ip:10.0.${(i * 31) % 500 >> 8}.${((i * 31) % 500) & 255}`;
    for (const op of ['fail', 'check', 'clear'] as const) {
      for (const s of STORES) {
        const t = throttles[s];
        put(`throttle.${op}`, c, s, await drive(c, SECONDS, (i) => (op === 'clear' ? t.clear(acct(i)) : t[op](acct(i), addr(i)))));
      }
    }
    process.stderr.write(`per-operation figures with ${c} concurrent caller(s) done\n`);
  }
  return out;
}

// ---------------------------------------------------------------- part 2: census of real requests

type Counts = Map<string, number>;

/** Replaces each method of `repo` by one that counts its calls (by model for payloads). */
function countCalls(repo: object, name: string, counts: Counts): void {
  const r = repo as Record<string, unknown>;
  for (const [method, fn] of Object.entries(r)) {
    if (typeof fn !== 'function') continue;
    r[method] = (...args: unknown[]) => {
      const key = name === 'payloads' && typeof args[0] === 'string' && method !== 'revokeByGrantId' && method !== 'purgeExpired' ? `${name}.${method}:${args[0]}` : `${name}.${method}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
  }
}

interface Scenario {
  /** calls per operation, e.g. "payloads.upsert:Interaction" → 2 */
  calls: Record<string, number>;
  /** SQL statements per operation, all tables */
  statements: number;
  latency: { n: number; p50: number; p99: number };
  saturated?: { concurrency: number; perSec: number; p50: number };
}

async function census(): Promise<{ scenarios: Record<'signin' | 'code' | 'refresh' | 'cc' | 'userinfo' | 'introspection', Scenario>; argon2VerifyMs: number }> {
  const db = await createDatabase('postgres', PG_URL);
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-store-cost-'));
  const port = await freePortFor();
  const base = `http://localhost:${port}`;
  let knex: Knex | undefined;
  let close: (() => Promise<void>) | undefined;
  try {
    const seeded = await seed(db.url, 1000, 400, base);
    const f: Fixture = { ...seeded, base };
    knex = connect(db.url, defaults.databasePoolMax);
    let statements = 0;
    knex.on('query', () => void statements++);
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: String(port),
      IDP_HOST: '127.0.0.1',
      IDP_ISSUER: base,
      IDP_DATABASE_URL: db.url,
      IDP_SECRET_KEY: BENCH_SECRET_KEY,
      IDP_DATA_DIR: dataDir,
      IDP_DEMO: 'false',
      IDP_LOG_LEVEL: 'silent',
    });
    const running = await startServer(config, createLogger('silent'), { knex });
    close = running.close;
    const counts: Counts = new Map();
    countCalls(running.services.repos.payloads, 'payloads', counts);
    countCalls(running.services.repos.throttles, 'throttles', counts);
    const http = createClient(base, 16);

    const hash = await running.services.hasher.hash(f.password!);
    const argon = await drive(1, 60, (i) => (i < 12 ? running.services.hasher.verify(hash, f.password!) : undefined));

    const scenario = async (runner: Runner, n: number, saturate?: { concurrency: number; seconds: number }): Promise<Scenario> => {
      counts.clear();
      const before = statements;
      const one = await drive(1, 60, (i) => (i < n && !runner.exhausted() ? runner.iteration() : undefined));
      const calls = Object.fromEntries([...counts].sort().map(([k, v]) => [k, v / one.n]));
      const result: Scenario = { calls, statements: (statements - before) / one.n, latency: { n: one.n, p50: one.p50, p99: one.p99 } };
      if (saturate) {
        const many = await drive(saturate.concurrency, saturate.seconds, () => (runner.exhausted() ? undefined : runner.iteration()));
        result.saturated = { concurrency: saturate.concurrency, perSec: many.perSec, p50: many.p50 };
      }
      return result;
    };

    const signinRunner = await prepare('signin', http, f, { concurrency: 8, durationSec: 3 });
    const signin = await scenario(signinRunner, 12, { concurrency: 8, seconds: 4 });
    process.stderr.write('census: sign-ins done\n');
    // codes minted for 4 s by silent authorizations (prompt=none), then exchanged: 40 alone, the rest by 16 callers
    const code = await scenario(await prepare('code', http, f, { concurrency: 16, durationSec: 4, rate: 500 }), 40, { concurrency: 16, seconds: 3 });
    process.stderr.write('census: code exchanges done\n');
    const refresh = await scenario(await prepare('refresh', http, f, { concurrency: 16, durationSec: 3 }), 40, { concurrency: 16, seconds: 3 });
    process.stderr.write('census: refreshes done\n');
    const cc = await scenario(await prepare('cc', http, f, { concurrency: 16, durationSec: 2 }), 40, { concurrency: 16, seconds: 2 });
    const userinfo = await scenario(await prepare('userinfo', http, f, { concurrency: 16, durationSec: 2 }), 40, { concurrency: 16, seconds: 2 });
    const introspection = await scenario(await prepare('introspection', http, f, { concurrency: 16, durationSec: 2 }), 40, { concurrency: 16, seconds: 2 });
    process.stderr.write('census: client credentials, userinfo, introspection done\n');
    http.close();
    return { scenarios: { signin, code, refresh, cc, userinfo, introspection }, argon2VerifyMs: argon.p50 };
  } finally {
    await close?.();
    await knex?.destroy(); // the server does not end a pool it was handed
    rmSync(dataDir, { recursive: true, force: true });
    await db.drop();
  }
}

// ---------------------------------------------------------------- part 3: the bound

/** Models a Redis deployment would take; Session, Grant and RefreshToken stay on PostgreSQL (source of truth). */
const SHORT_LIVED = new Set(['Interaction', 'AuthorizationCode', 'AccessToken', 'ClientCredentials']);
const WRITES = new Set<OpName>(['payload.upsert', 'payload.consume', 'payload.destroy', 'throttle.clear', 'throttle.fail']);

/** The micro-operation a repository call costs, and how many of them. */
function opOf(call: string): { op: OpName; times: number; model?: string } | undefined {
  const [what, model] = call.split(':') as [string, string | undefined];
  switch (what) {
    case 'payloads.upsert':
      return { op: 'payload.upsert', times: 1, model };
    case 'payloads.find':
    case 'payloads.findBy':
      return { op: 'payload.find', times: 1, model };
    case 'payloads.consume':
    case 'payloads.consumeOnce':
      return { op: 'payload.consume', times: 1, model };
    case 'payloads.destroy':
      return { op: 'payload.destroy', times: 1, model };
    case 'throttles.get':
      return { op: 'throttle.check', times: 1 };
    case 'throttles.clear':
      return { op: 'throttle.clear', times: 1 };
    case 'throttles.recordFailure':
      return { op: 'throttle.fail', times: 0.5 }; // the measured `fail` counts both keys
    default:
      return undefined; // listByAccount, revokeByGrantId, purges: not on these paths
  }
}

interface Saving {
  /** ms saved per request with one caller: Σ calls × (PostgreSQL p50 − target p50) */
  latencyMs: number;
  /** … as a share of the request's end-to-end p50 with one caller */
  latencyShare: number;
  /** ms of capacity saved per request under load: Σ calls × (1/throughput differences at the highest concurrency) */
  capacityMs?: number;
  /** … as a share of 1/throughput of the whole request under load */
  capacityShare?: number;
}

/**
 * What moving the calls of `s` from PostgreSQL to `target` saves: every payload model and
 * the throttle, or only `models` (and the throttle); `writesOnly` for pgAsync, where reads
 * are the same statements.
 */
function saving(s: Scenario, perOp: PerOp, target: StoreName, opts: { models?: Set<string>; writesOnly?: boolean } = {}): Saving {
  const low = String(Math.min(...CONCURRENCY));
  const high = String(Math.max(...CONCURRENCY));
  let latencyMs = 0;
  let capacityMs = 0;
  for (const [call, perRequest] of Object.entries(s.calls)) {
    const o = opOf(call);
    if (!o || (opts.models && o.model && !opts.models.has(o.model)) || (opts.writesOnly && !WRITES.has(o.op))) continue;
    const cells = perOp[o.op];
    latencyMs += perRequest * o.times * (cells[low]!.postgres.p50 - cells[low]![target].p50);
    capacityMs += perRequest * o.times * (1000 / cells[high]!.postgres.perSec - 1000 / cells[high]![target].perSec);
  }
  const out: Saving = { latencyMs, latencyShare: latencyMs / s.latency.p50 };
  if (s.saturated) {
    out.capacityMs = capacityMs;
    out.capacityShare = capacityMs / (1000 / s.saturated.perSec);
  }
  return out;
}

// ---------------------------------------------------------------- main

const f1 = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

/** A knex pool on `url` whose commits do not wait for the WAL flush. */
function connectAsyncCommit(url: string): Knex {
  return knexFactory({
    client: 'pg',
    connection: url,
    pool: {
      min: 0,
      max: defaults.databasePoolMax,
      afterCreate: (conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) =>
        conn.query('set synchronous_commit = off', (err) => done(err, conn)),
    },
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const prefix = `idp-store-cost:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const pgDb = await createDatabase('postgres', PG_URL);
  const sqliteDb = await createDatabase('sqlite', PG_URL);
  const pg = connect(pgDb.url, defaults.databasePoolMax);
  const pgAsync = connectAsyncCommit(pgDb.url);
  const sqlite = connect(sqliteDb.url);
  let perOp: PerOp;
  let redisInfo: string;
  try {
    await migrate(pg);
    await migrate(sqlite);
    redisInfo = (/redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?') + (/aof_enabled:1/.test(await redis.info('persistence')) ? ', AOF on' : ', AOF off');
    perOp = await perOperation(
      { postgres: knexPayloadStore(pg), pgAsync: knexPayloadStore(pgAsync), sqlite: knexPayloadStore(sqlite), redis: redisPayloadStore(redis, prefix) },
      { postgres: knexThrottleStore(pg), pgAsync: knexThrottleStore(pgAsync), sqlite: knexThrottleStore(sqlite), redis: redisThrottleStore(redis, prefix) },
    );
  } finally {
    await pg.destroy();
    await pgAsync.destroy();
    await sqlite.destroy();
    await pgDb.drop();
    await sqliteDb.drop();
    // only this run's keys: the Redis may be shared
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();

  const { scenarios, argon2VerifyMs } = await census();
  const savings = Object.fromEntries(
    Object.entries(scenarios).map(([name, s]) => [
      name,
      {
        redisEverything: saving(s, perOp, 'redis'),
        redisShortLived: saving(s, perOp, 'redis', { models: SHORT_LIVED }),
        pgAsyncShortLived: saving(s, perOp, 'pgAsync', { models: SHORT_LIVED, writesOnly: true }),
      },
    ]),
  );

  // ---- report
  const lines: string[] = [];
  lines.push(`store cost: PostgreSQL (synchronous_commit on / off) vs SQLite vs Redis ${redisInfo}; ${SECONDS} s per cell; ${CONCURRENCY.join(' and ')} callers`);
  lines.push('');
  lines.push('| operation | callers | pg p50 ms | pg p99 ms | pg /s | pg async p50 | pg async /s | sqlite p50 | sqlite /s | redis p50 ms | redis p99 ms | redis /s | redis/pg p50 | redis/pg per s |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [op, byC] of Object.entries(perOp)) {
    for (const [c, cell] of Object.entries(byC)) {
      const { postgres: p, pgAsync: a, sqlite: s, redis: r } = cell;
      lines.push(
        `| ${op} | ${c} | ${f1(p.p50)} | ${f1(p.p99)} | ${p.perSec.toFixed(0)} | ${f1(a.p50)} | ${a.perSec.toFixed(0)} | ${f1(s.p50)} | ${s.perSec.toFixed(0)} | ${f1(r.p50)} | ${f1(r.p99)} | ${r.perSec.toFixed(0)} | ${(r.p50 / p.p50).toFixed(2)} | ${(r.perSec / p.perSec).toFixed(1)}× |`,
      );
    }
  }
  lines.push('');
  lines.push('census (the real server in this process, PostgreSQL): repository calls per request');
  for (const [name, s] of Object.entries(scenarios)) {
    const calls = Object.entries(s.calls).map(([k, v]) => `${k.replace(/^payloads\./, '').replace(/^throttles\./, 'throttle.')}×${+v.toFixed(2)}`);
    lines.push(`- ${name}: ${s.statements.toFixed(1)} SQL statements in all; ${calls.join(', ')}`);
  }
  lines.push(`argon2id verify p50 (in the same process): ${f1(argon2VerifyMs)} ms`);
  lines.push('');
  lines.push('What moving storage off synchronous PostgreSQL would save per request (1 caller: p50 differences; under load: 1/throughput differences)');
  lines.push('');
  lines.push('| request | p50 ms, 1 caller | under load /s | Redis, every model + throttle | Redis, short-lived + throttle | pg sync-commit off, short-lived + throttle | Redis under load, every model | Redis under load, short-lived |');
  lines.push('|---|---|---|---|---|---|---|---|');
  const both = (v: Saving) => `${f1(v.latencyMs)} ms = ${pct(v.latencyShare)}`;
  const load = (v: Saving) => (v.capacityMs === undefined ? '–' : `${f1(v.capacityMs)} ms = ${pct(v.capacityShare!)}`);
  for (const [name, s] of Object.entries(scenarios)) {
    const v = savings[name]!;
    lines.push(
      `| ${name} | ${f1(s.latency.p50)} | ${s.saturated ? `${s.saturated.perSec.toFixed(0)} @${s.saturated.concurrency}` : '–'} | ${both(v.redisEverything)} | ${both(v.redisShortLived)} | ${both(v.pgAsyncShortLived)} | ${load(v.redisEverything)} | ${load(v.redisShortLived)} |`,
    );
  }
  lines.push('');
  lines.push(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(`${lines.join('\n')}\n`);

  mkdirSync(join(OUT, '..'), { recursive: true });
  writeFileSync(
    OUT,
    JSON.stringify(
      { date: new Date().toISOString(), node: process.version, redis: redisInfo, seconds: SECONDS, concurrency: CONCURRENCY, perOperation: perOp, census: scenarios, argon2VerifyMs, savings },
      null,
      2,
    ),
  );
  process.stderr.write(`written to ${OUT}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
