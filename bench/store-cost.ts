// What short-lived storage and throttling cost on PostgreSQL (and SQLite) against Redis,
// and how much of a sign-in or a token request Redis saves — modelled per call, and
// measured on the server with and without IDP_REDIS_URL.
// `npm run bench:stores [-- --seconds=0.6 --concurrency=1,16]`: ~2 min; prints tables and
// writes bench/results/store-cost.json. Never part of `npm test`; needs PostgreSQL
// (IDP_BENCH_DATABASE_URL: databases of its own are created and dropped) and Redis
// (IDP_BENCH_REDIS_URL: only keys under a random prefix are written, and deleted after).
//
// 1. Per operation, with 1 and 16 concurrent callers, interleaved in rounds (PostgreSQL,
//    PostgreSQL with synchronous_commit=off, SQLite, Redis take turns, so a neighbour's
//    load hits all of them alike); latency, throughput, and CPU of this process and of the
//    server process(es):
//    - oidc-provider payloads: upsert / find / consume / destroy through our payload
//      repository over knex, and through the one IDP_REDIS_URL uses (src/db/redis.ts);
//    - the throttle of a sign-in through createThrottle: check (`get([account, address])`),
//      clear (a success), fail (`recordFailure` on both keys, as passwordLogin does), over
//      the database's repository and the Redis one; rate-limiter-flexible's
//      RateLimiterRedis (get ×2, delete, consume ×2) alongside for reference.
// 2. A census: the real server (in this process) serves complete sign-ins (password + TOTP +
//    code exchange), code exchanges, refreshes, client credentials, userinfo and
//    introspection; every call to the payload and throttle repositories is counted by
//    model and timed inside the requests; each request is timed alone and under load.
//    Three passes: PostgreSQL; PostgreSQL with synchronous_commit=off; PostgreSQL + Redis.
// 3. The bound (calls × per-call differences) and the direct comparison of passes 1 and 3.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import knexFactory, { type Knex } from 'knex';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { defaults } from '../config/defaults.js';
import { loadConfig } from '../config/load.js';
import { createPasswordHasher } from '../src/auth/passwords.js';
import { createThrottle } from '../src/auth/throttle.js';
import { connect, migrate } from '../src/db/connect.js';
import { createOidcPayloadRepository, type OidcPayloadRepository } from '../src/db/oidc-payloads.js';
import { createRedisPayloadStore, createRedisThrottleRepository } from '../src/db/redis.js';
import { createThrottleRepository, type ThrottleRepository } from '../src/db/throttles.js';
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
        '         --seconds=0.6 (per cell) --concurrency=1,16 --out=bench/results/store-cost.json\n',
    );
    process.exit(2);
  }
}
const PG_URL = option('pg-url', process.env.IDP_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const REDIS_URL = option('redis-url', process.env.IDP_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
const SECONDS = Number(option('seconds', '0.6'));
const CONCURRENCY = option('concurrency', '1,16').split(',').map(Number);
const OUT = option('out', 'bench/results/store-cost.json');
if (!(SECONDS > 0) || CONCURRENCY.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('bad --seconds or --concurrency');

// ---------------------------------------------------------------- timing and CPU

/**
 * CPU time of server processes on this machine (/proc, 10 ms ticks): the PostgreSQL
 * backends serving one database, or redis-server. CPU time counts only those processes,
 * so a neighbour's load on the shared cores inflates it far less than it does latencies.
 */
interface ServerCpu {
  /** CPU ms since the last call, or undefined when the server is not a local process */
  sample(): Promise<number | undefined>;
}

function ticksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined;
  }
}
const TICK_MS = 10; // USER_HZ is 100 on Linux

function serverCpu(pids: () => Promise<number[]>, comm: string): ServerCpu {
  let last = new Map<number, number>();
  return {
    async sample() {
      const now = new Map<number, number>();
      for (const pid of await pids()) {
        const name = (() => {
          try {
            return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
          } catch {
            return '';
          }
        })();
        const t = name === comm ? ticksOf(pid) : undefined;
        if (t !== undefined) now.set(pid, t);
      }
      if (!now.size) return undefined;
      // a backend that started since the last sample counts from zero
      let ticks = 0;
      for (const [pid, t] of now) ticks += t - (last.get(pid) ?? 0);
      last = now;
      return ticks * TICK_MS;
    },
  };
}

/** CPU of the PostgreSQL backends connected to `database`, found through pg_stat_activity on `admin`. */
function postgresCpu(admin: Knex, database: string): ServerCpu {
  return serverCpu(async () => {
    const rows: { pid: number }[] = await admin('pg_stat_activity').select('pid').where({ datname: database });
    return rows.map((r) => Number(r.pid));
  }, 'postgres');
}

const noServer: ServerCpu = { sample: async () => 0 };

interface Cell {
  n: number;
  perSec: number;
  p50: number;
  p99: number;
  /** CPU ms per operation: this process (client, knex or ioredis, and for SQLite the database itself) */
  clientCpuMs: number;
  /** CPU ms per operation: the database server's processes (null when not measurable) */
  serverCpuMs: number | null;
}

/** Latencies, wall time and CPU of one store in one cell, added up over rounds. */
class Tally {
  readonly lat = new Latencies();
  seconds = 0;
  clientMs = 0;
  serverMs: number | null = 0;
  cell(): Cell {
    const s = this.lat.summary();
    const n = this.lat.count;
    return { n, perSec: n / this.seconds, p50: s.p50, p99: s.p99, clientCpuMs: this.clientMs / n, serverCpuMs: this.serverMs === null ? null : this.serverMs / n };
  }
}

/**
 * `concurrency` callers run `op()` until `seconds` pass or `op` returns undefined (no more
 * work, e.g. every stored id consumed); latency per call, throughput over the wall time,
 * CPU of this process and of the server (`cpu`) over the same span.
 */
async function drive(concurrency: number, seconds: number, op: () => Promise<unknown> | undefined, tally = new Tally(), cpu: ServerCpu = noServer): Promise<Cell> {
  await cpu.sample();
  const client = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let stop = false;
  const worker = async () => {
    while (!stop && performance.now() < deadline) {
      const t = performance.now();
      const p = op();
      if (!p) {
        stop = true;
        break;
      }
      await p;
      tally.lat.add(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  tally.seconds += (performance.now() - start) / 1000;
  const used = process.cpuUsage(client);
  tally.clientMs += (used.user + used.system) / 1000;
  const server = await cpu.sample();
  tally.serverMs = server === undefined || tally.serverMs === null ? null : tally.serverMs + server;
  return tally.cell();
}

/** Calls op(0), op(1), … across rounds. */
function counting(op: (i: number) => Promise<unknown> | undefined): () => Promise<unknown> | undefined {
  let i = 0;
  return () => op(i++);
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

/** The four calls timed, through a payload repository: ours on knex, or the one IDP_REDIS_URL uses. */
function repoPayloadStore(repo: Pick<OidcPayloadRepository, 'upsert' | 'find' | 'consume' | 'destroy'>): PayloadStore {
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

/** The sign-in's throttle through createThrottle, over the database's repository or the one IDP_REDIS_URL uses. */
function repoThrottleStore(repo: ThrottleRepository): ThrottleStore {
  const throttle = createThrottle(repo, defaults.throttle);
  return {
    check: (a, ip) => throttle.lockedUntil([a, ip]),
    clear: (a) => throttle.succeed(a),
    fail: (a, ip) => throttle.fail([a, ip]),
    failures: async (a) => (await repo.get([a]))[0]?.failures ?? 0,
  };
}

/** For reference, rate-limiter-flexible as its brute-force recipe uses it: a limiter per key kind. */
function rateLimiterFlexibleStore(redis: Redis, prefix: string): ThrottleStore {
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
type PayloadStoreName = 'postgres' | 'pgAsync' | 'sqlite' | 'redis';
/** `redis`: the repositories IDP_REDIS_URL uses (src/db/redis.ts); `rlf`: rate-limiter-flexible, for the throttle only */
type StoreName = PayloadStoreName | 'rlf';
const PAYLOAD_STORES: PayloadStoreName[] = ['postgres', 'pgAsync', 'sqlite', 'redis'];
const THROTTLE_STORES: StoreName[] = [...PAYLOAD_STORES, 'rlf'];
type OpName = `payload.${'upsert' | 'find' | 'consume' | 'destroy'}` | `throttle.${'check' | 'clear' | 'fail'}`;
type Cells = Record<PayloadStoreName, Cell> & { rlf?: Cell };
type PerOp = Record<OpName, Record<string /* concurrency */, Cells>>;

function failCheck(name: StoreName, what: string): never {
  throw new Error(`${name}: ${what}`);
}

async function checkPayloads(name: StoreName, p: PayloadStore): Promise<void> {
  const fail = (what: string) => failCheck(name, what);
  const id = `check-${randomBytes(6).toString('hex')}`;
  await p.upsert('AuthorizationCode', id, codePayload(id, 'check-grant'), 60);
  const found = await p.find('AuthorizationCode', id);
  if (found?.payload.jti !== id || found.consumed) fail('find after upsert');
  await p.consume('AuthorizationCode', id);
  if (!(await p.find('AuthorizationCode', id))?.consumed) fail('find after consume');
  await p.destroy('AuthorizationCode', id);
  if (await p.find('AuthorizationCode', id)) fail('find after destroy');
}

async function checkThrottle(name: StoreName, t: ThrottleStore): Promise<void> {
  const fail = (what: string) => failCheck(name, what);
  const id = randomBytes(6).toString('hex');
  const account = `pwd:acct:CHECK:${id}`;
  await t.fail(account, `pwd:ip:check-${id}`);
  await t.fail(account, `pwd:ip:check-${id}`);
  if ((await t.failures(account)) !== 2) fail('two failures counted');
  await t.clear(account);
  if ((await t.failures(account)) !== 0) fail('failures cleared');
}

/**
 * Every cell runs in ROUNDS slices per store, the stores taking turns in a rotating order:
 * a burst of a neighbour's load on this shared machine then lands on all of them alike.
 */
const ROUNDS = 5;

async function perOperation(
  payloads: Record<PayloadStoreName, PayloadStore>,
  throttles: Record<StoreName, ThrottleStore>,
  cpus: Record<StoreName, ServerCpu>,
): Promise<PerOp> {
  const out = {} as PerOp;
  const TYPE = 'AuthorizationCode';
  const cell = async <S extends StoreName>(op: OpName, c: number, stores: S[], work: (s: S) => () => Promise<unknown> | undefined) => {
    const ops = new Map(stores.map((s) => [s, work(s)]));
    const tallies = new Map(stores.map((s) => [s, new Tally()]));
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < stores.length; k++) {
        const s = stores[(r + k) % stores.length]!;
        await drive(c, SECONDS / ROUNDS, ops.get(s)!, tallies.get(s), cpus[s]);
      }
    }
    (out[op] ??= {})[String(c)] = Object.fromEntries(stores.map((s) => [s, tallies.get(s)!.cell()])) as Cells;
  };

  // every store does what it is timed for: a broken one would look fast
  for (const s of PAYLOAD_STORES) await checkPayloads(s, payloads[s]);
  for (const s of THROTTLE_STORES) await checkThrottle(s, throttles[s]);

  // warm-up: connections opened, statements prepared, code paths compiled
  for (const s of PAYLOAD_STORES) {
    await drive(4, 0.3, counting((i) => payloads[s].upsert(TYPE, `warm-${i}`, codePayload(`warm-${i}`, 'warm'), 60)));
    await drive(4, 0.2, counting((i) => payloads[s].find(TYPE, `warm-${i % 50}`)));
  }
  for (const s of THROTTLE_STORES) await drive(4, 0.2, counting((i) => throttles[s].check(`pwd:acct:W:${i % 50}`, `pwd:ip:w${i % 5}`)));

  for (const c of CONCURRENCY) {
    const ids: Record<PayloadStoreName, string[]> = { postgres: [], pgAsync: [], sqlite: [], redis: [] };
    const run = randomBytes(4).toString('hex');
    await cell('payload.upsert', c, PAYLOAD_STORES, (s) =>
      counting((i) => {
        const id = `${run}-${i}`;
        ids[s].push(id);
        // ten codes per grant, as a busy grant's tokens would share it
        return payloads[s].upsert(TYPE, id, codePayload(id, `grant-${run}-${Math.floor(i / 10)}`), 600);
      }),
    );
    await cell('payload.find', c, PAYLOAD_STORES, (s) => counting((i) => payloads[s].find(TYPE, ids[s][i % ids[s].length]!)));
    await cell('payload.consume', c, PAYLOAD_STORES, (s) => counting((i) => (i < ids[s].length ? payloads[s].consume(TYPE, ids[s][i]!) : undefined)));
    await cell('payload.destroy', c, PAYLOAD_STORES, (s) => counting((i) => (i < ids[s].length ? payloads[s].destroy(TYPE, ids[s][i]!) : undefined)));

    // throttle: failures first (so checks meet real rows), spread over 5,000 accounts and 500 addresses
    const acct = (i: number) => `pwd:acct:BENCH:user${(i * 7919) % 5000}`;
    const addr = (i: number) => `pwd:ip:10.0.${((i * 31) % 500) >> 8}.${((i * 31) % 500) & 255}`;
    await cell('throttle.fail', c, THROTTLE_STORES, (s) => counting((i) => throttles[s].fail(acct(i), addr(i))));
    await cell('throttle.check', c, THROTTLE_STORES, (s) => counting((i) => throttles[s].check(acct(i), addr(i))));
    await cell('throttle.clear', c, THROTTLE_STORES, (s) => counting((i) => throttles[s].clear(acct(i))));
    process.stderr.write(`per-operation figures with ${c} concurrent caller(s) done\n`);
  }
  return out;
}

// ---------------------------------------------------------------- part 2: census of real requests

type Counts = Map<string, number>;

/**
 * Wall time spent waiting on the counted repositories, by call: oidc-provider runs some
 * lookups side by side (introspection tries three token models at once), so each moment
 * with k calls in flight is shared k ways — the parts add up to the time the request
 * actually waited, never more.
 */
class StorageClock {
  readonly times: Counts = new Map();
  private readonly inFlight = new Map<number, string>();
  private last = 0;
  private next = 0;
  private advance(): void {
    const now = performance.now();
    if (this.inFlight.size) {
      const share = (now - this.last) / this.inFlight.size;
      for (const key of this.inFlight.values()) this.times.set(key, (this.times.get(key) ?? 0) + share);
    }
    this.last = now;
  }
  start(key: string): number {
    this.advance();
    const id = this.next++;
    this.inFlight.set(id, key);
    return id;
  }
  end(id: number): void {
    this.advance();
    this.inFlight.delete(id);
  }
}

/** Replaces each method of `repo` by one that counts its calls (by model for payloads) and times them. */
function countCalls(repo: object, name: string, counts: Counts, clock: StorageClock): void {
  const r = repo as Record<string, unknown>;
  for (const [method, fn] of Object.entries(r)) {
    if (typeof fn !== 'function') continue;
    r[method] = (...args: unknown[]) => {
      const key = name === 'payloads' && typeof args[0] === 'string' && method !== 'revokeByGrantId' && method !== 'purgeExpired' ? `${name}.${method}:${args[0]}` : `${name}.${method}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const id = clock.start(key);
      const out = (fn as (...a: unknown[]) => unknown)(...args);
      if (out instanceof Promise) return out.finally(() => clock.end(id));
      clock.end(id);
      return out;
    };
  }
}

interface Scenario {
  /** repository calls per request, e.g. "payloads.upsert:Interaction" → 2 */
  calls: Record<string, number>;
  /** ms per request spent waiting on those calls, with one caller (measured inside the real requests; overlaps shared) */
  storageMs: Record<string, number>;
  /** SQL statements per request, all tables */
  statements: number;
  /** one caller: requests timed, mean and percentiles in ms */
  alone: { n: number; meanMs: number; p50: number; p99: number };
  /** many callers: throughput and the CPU per request of this process (server and load generator) and of the servers behind it */
  loaded: { concurrency: number; perSec: number; p50: number; cpuMs: { process: number; servers: number | null } };
}

type ScenarioName = 'signin' | 'code' | 'refresh' | 'cc' | 'userinfo' | 'introspection';
const SCENARIOS: ScenarioName[] = ['signin', 'code', 'refresh', 'cc', 'userinfo', 'introspection'];
/** The three servers of the census: PostgreSQL; PostgreSQL with synchronous_commit=off; PostgreSQL + Redis (IDP_REDIS_URL). */
type Setup = 'pg' | 'pgAsync' | 'pgRedis';
const SETUPS: Setup[] = ['pg', 'pgAsync', 'pgRedis'];

/** One running server of the census, its repositories counted and timed. */
interface Instance {
  f: Fixture;
  http: ReturnType<typeof createClient>;
  counts: Counts;
  clock: StorageClock;
  statements: () => number;
  cpu: ServerCpu;
  close(): Promise<void>;
}

async function startInstance(db: { url: string }, f: Fixture, knex: Knex, cpu: ServerCpu, dataDir: string, env: Record<string, string> = {}): Promise<Instance> {
  let statements = 0;
  knex.on('query', () => void statements++);
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: new URL(f.base).port,
    IDP_HOST: '127.0.0.1',
    IDP_ISSUER: f.base,
    IDP_DATABASE_URL: db.url,
    IDP_SECRET_KEY: BENCH_SECRET_KEY,
    IDP_DATA_DIR: dataDir,
    IDP_DEMO: 'false',
    IDP_LOG_LEVEL: 'silent',
    ...env,
  });
  const running = await startServer(config, createLogger('silent'), { knex });
  const counts: Counts = new Map();
  const clock = new StorageClock();
  countCalls(running.services.repos.payloads, 'payloads', counts, clock);
  countCalls(running.services.repos.throttles, 'throttles', counts, clock);
  const http = createClient(f.base, 16);
  return {
    f,
    http,
    counts,
    clock,
    statements: () => statements,
    cpu,
    async close() {
      http.close();
      await running.close();
    },
  };
}

/**
 * The real server on PostgreSQL three times over (the setups above) in this process, all on
 * one database. Every scenario runs on the three in rounds, taking turns — alone (one
 * request at a time), then under load — so the neighbours' load on this shared machine
 * falls on all three alike.
 */
async function census(admin: Knex, redisCpu: ServerCpu): Promise<{ bySetup: Record<Setup, Record<ScenarioName, Scenario>>; argon2VerifyMs: number; errors: string[] }> {
  const db = await createDatabase('postgres', PG_URL);
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-store-cost-'));
  const ports = await Promise.all(SETUPS.map(() => freePortFor()));
  const bases = ports.map((p) => `http://localhost:${p}`);
  const errors: string[] = [];
  const pools: Knex[] = [];
  const instances: Partial<Record<Setup, Instance>> = {};
  const prefix = `idp-store-cost:${randomBytes(4).toString('hex')}:`;
  try {
    const seeded = await seed(db.url, 1000, 900, bases[0]!);
    const users = seeded.users!;
    const third = Math.floor(users.length / 3);
    const pool = (k: Knex) => (pools.push(k), k);
    const pgCpu = postgresCpu(admin, new URL(db.url).pathname.slice(1));
    const withRedisCpu: ServerCpu = {
      async sample() {
        const [a, b] = await Promise.all([pgCpu.sample(), redisCpu.sample()]);
        return a === undefined || b === undefined ? undefined : a + b;
      },
    };
    // each setup signs in users of its own: a TOTP code is accepted once per user
    const fixture = (i: number): Fixture => ({ ...seeded, base: bases[i]!, users: users.slice(i * third, (i + 1) * third) });
    instances.pg = await startInstance(db, fixture(0), pool(connect(db.url, defaults.databasePoolMax)), pgCpu, dataDir);
    instances.pgAsync = await startInstance(db, fixture(1), pool(connectAsyncCommit(db.url)), pgCpu, dataDir);
    instances.pgRedis = await startInstance(db, fixture(2), pool(connect(db.url, defaults.databasePoolMax)), withRedisCpu, dataDir, {
      IDP_REDIS_URL: REDIS_URL,
      IDP_REDIS_PREFIX: prefix,
    });
    const all = instances as Record<Setup, Instance>;

    const hasher = createPasswordHasher(defaults.argon2);
    const hash = await hasher.hash(seeded.password!);
    const argon = await drive(1, 60, counting((i) => (i < 12 ? hasher.verify(hash, seeded.password!) : undefined)));

    const ROUNDS_E2E = 4;
    const scenario = async (name: ScenarioName, n: number, concurrency: number, seconds: number, prep: { concurrency: number; durationSec: number; rate?: number }) => {
      const runners = {} as Record<Setup, Runner>;
      for (const s of SETUPS) runners[s] = await prepare(name, all[s].http, all[s].f, prep);
      // a rare failure (a TOTP code that crossed a 30 s window edge) is counted, not fatal
      const attempt = (s: Setup) => () =>
        runners[s].exhausted()
          ? undefined
          : runners[s].iteration().catch((err: unknown) => {
              errors.push(`${s} ${name}: ${(err as Error).message.slice(0, 120)}`);
              if (errors.length > 50) throw err;
            });
      const alone = Object.fromEntries(SETUPS.map((s) => [s, new Tally()])) as Record<Setup, Tally>;
      const loaded = Object.fromEntries(SETUPS.map((s) => [s, new Tally()])) as Record<Setup, Tally>;
      const before = Object.fromEntries(SETUPS.map((s) => [s, all[s].statements()])) as Record<Setup, number>;
      for (const s of SETUPS) {
        all[s].counts.clear();
        all[s].clock.times.clear();
      }
      for (let r = 0; r < ROUNDS_E2E; r++) {
        for (let k = 0; k < SETUPS.length; k++) {
          const s = SETUPS[(r + k) % SETUPS.length]!;
          const next = attempt(s);
          await drive(1, 60, counting((i) => (i < n / ROUNDS_E2E ? next() : undefined)), alone[s]);
        }
      }
      const result = {} as Record<Setup, Scenario>;
      for (const s of SETUPS) {
        const count = alone[s].lat.count;
        const per = (m: Counts) => Object.fromEntries([...m].sort().map(([k, v]) => [k, v / count]));
        const cell = alone[s].cell();
        result[s] = {
          calls: per(all[s].counts),
          storageMs: per(all[s].clock.times),
          statements: (all[s].statements() - before[s]) / count,
          alone: { n: count, meanMs: (alone[s].seconds * 1000) / count, p50: cell.p50, p99: cell.p99 },
          loaded: { concurrency, perSec: 0, p50: 0, cpuMs: { process: 0, servers: null } },
        };
      }
      for (let r = 0; r < ROUNDS_E2E; r++) {
        for (let k = 0; k < SETUPS.length; k++) {
          const s = SETUPS[(r + k) % SETUPS.length]!;
          await drive(concurrency, seconds / ROUNDS_E2E, attempt(s), loaded[s], all[s].cpu);
        }
      }
      for (const s of SETUPS) {
        const cell = loaded[s].cell();
        result[s].loaded = { concurrency, perSec: cell.perSec, p50: cell.p50, cpuMs: { process: cell.clientCpuMs, servers: cell.serverCpuMs } };
      }
      process.stderr.write(`census: ${name} done\n`);
      return result;
    };

    const results = {
      signin: await scenario('signin', 24, 8, 4, { concurrency: 8, durationSec: 3 }),
      // codes minted by silent authorizations (prompt=none), then exchanged
      code: await scenario('code', 100, 16, 3, { concurrency: 16, durationSec: 3, rate: 500 }),
      refresh: await scenario('refresh', 100, 16, 3, { concurrency: 16, durationSec: 3 }),
      cc: await scenario('cc', 100, 16, 2, { concurrency: 16, durationSec: 2 }),
      userinfo: await scenario('userinfo', 100, 16, 2, { concurrency: 16, durationSec: 2 }),
      introspection: await scenario('introspection', 100, 16, 2, { concurrency: 16, durationSec: 2 }),
    };
    const bySetup = Object.fromEntries(SETUPS.map((s) => [s, Object.fromEntries(SCENARIOS.map((name) => [name, results[name][s]]))])) as Record<
      Setup,
      Record<ScenarioName, Scenario>
    >;
    return { bySetup, argon2VerifyMs: argon.p50, errors };
  } finally {
    for (const s of SETUPS) await instances[s]?.close();
    for (const k of pools) await k.destroy(); // the server does not end a pool it was handed
    rmSync(dataDir, { recursive: true, force: true });
    await db.drop();
    const redis = new Redis(REDIS_URL);
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}

// ---------------------------------------------------------------- part 3: the bound

/** Models a Redis deployment would take; Session, Grant and RefreshToken stay on PostgreSQL (source of truth). */
const SHORT_LIVED = new Set(['Interaction', 'AuthorizationCode', 'AccessToken', 'ClientCredentials']);

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
  /** one caller: ms the moved calls took inside the real requests, minus what Redis takes for them */
  latencyMs: number;
  /** … as a share of the request's mean time alone */
  latencyShare: number;
  /** under load: CPU ms per request, (knex + PostgreSQL backend) − (ioredis + redis-server) for the moved calls */
  cpuMs: number | null;
  /** … as a share of the request's CPU (this process + its PostgreSQL backends) */
  cpuShare: number | null;
}

/** What moving the calls of `s` (every model, or only `models`, and the throttle) from PostgreSQL to Redis saves. */
function saving(s: Scenario, perOp: PerOp, models?: Set<string>): Saving {
  const low = String(Math.min(...CONCURRENCY));
  const high = String(Math.max(...CONCURRENCY));
  let latencyMs = 0;
  let cpuMs: number | null = 0;
  for (const [call, perRequest] of Object.entries(s.calls)) {
    const o = opOf(call);
    if (!o || (models && o.model && !models.has(o.model))) continue;
    latencyMs += (s.storageMs[call] ?? 0) - perRequest * o.times * perOp[o.op][low]!.redis.p50;
    const pg = perOp[o.op][high]!.postgres;
    const r = perOp[o.op][high]!.redis;
    cpuMs = cpuMs === null || pg.serverCpuMs === null || r.serverCpuMs === null ? null : cpuMs + perRequest * o.times * (pg.clientCpuMs + pg.serverCpuMs - (r.clientCpuMs + r.serverCpuMs));
  }
  const cpu = s.loaded.cpuMs.servers !== null ? s.loaded.cpuMs.process + s.loaded.cpuMs.servers : null;
  return { latencyMs, latencyShare: latencyMs / s.alone.meanMs, cpuMs, cpuShare: cpuMs === null || cpu === null ? null : cpuMs / cpu };
}

/** The alternative without Redis: the same calls, alone, when commits skip the WAL flush (ms the moved calls took, minus what they took then). */
function savingByAsyncCommit(s: Scenario, async_: Scenario, models?: Set<string>): { ms: number; share: number } {
  let ms = 0;
  for (const call of Object.keys(s.calls)) {
    const o = opOf(call);
    if (!o || (models && o.model && !models.has(o.model))) continue;
    ms += (s.storageMs[call] ?? 0) - (async_.storageMs[call] ?? 0);
  }
  return { ms, share: ms / s.alone.meanMs };
}

// ---------------------------------------------------------------- main

const f1 = (x: number | null) => (x === null ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toFixed(3));
const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(0)} %`);

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
  const admin = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
  const pgDb = await createDatabase('postgres', PG_URL);
  const sqliteDb = await createDatabase('sqlite', PG_URL);
  const pg = connect(pgDb.url, defaults.databasePoolMax);
  const pgAsync = connectAsyncCommit(pgDb.url);
  const sqlite = connect(sqliteDb.url);
  let perOp: PerOp;
  let redisInfo: string;
  let redisCpu: ServerCpu = noServer;
  try {
    await migrate(pg);
    await migrate(sqlite);
    const server = await redis.info('server');
    const redisPid = Number(/process_id:(\d+)/.exec(server)?.[1]);
    redisInfo = `${/redis_version:(\S+)/.exec(server)?.[1] ?? '?'}, ${/aof_enabled:1/.test(await redis.info('persistence')) ? 'AOF on' : 'AOF off'}`;
    const pgCpu = postgresCpu(admin, new URL(pgDb.url).pathname.slice(1));
    redisCpu = serverCpu(async () => [redisPid], 'redis-server');
    perOp = await perOperation(
      {
        postgres: repoPayloadStore(createOidcPayloadRepository(pg)),
        pgAsync: repoPayloadStore(createOidcPayloadRepository(pgAsync)),
        sqlite: repoPayloadStore(createOidcPayloadRepository(sqlite)),
        redis: repoPayloadStore(createRedisPayloadStore(redis, prefix)),
      },
      {
        postgres: repoThrottleStore(createThrottleRepository(pg)),
        pgAsync: repoThrottleStore(createThrottleRepository(pgAsync)),
        sqlite: repoThrottleStore(createThrottleRepository(sqlite)),
        redis: repoThrottleStore(createRedisThrottleRepository(redis, prefix)),
        rlf: rateLimiterFlexibleStore(redis, `${prefix}rlf:`),
      },
      { postgres: pgCpu, pgAsync: pgCpu, sqlite: noServer, redis: redisCpu, rlf: redisCpu },
    );
  } finally {
    await pg.destroy();
    await pgAsync.destroy();
    await sqlite.destroy();
    await pgDb.drop();
    await sqliteDb.drop();
    // only this run's keys: the Redis may be shared
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }

  let census_: Awaited<ReturnType<typeof census>>;
  try {
    census_ = await census(admin, redisCpu);
  } finally {
    await admin.destroy();
  }
  const { bySetup, argon2VerifyMs, errors } = census_;
  const scenarios = bySetup.pg;
  const savings = Object.fromEntries(
    Object.entries(scenarios).map(([name, s]) => [
      name,
      { everyModel: saving(s, perOp), shortLived: saving(s, perOp, SHORT_LIVED), asyncCommitShortLived: savingByAsyncCommit(s, bySetup.pgAsync[name as ScenarioName], SHORT_LIVED) },
    ]),
  ) as Record<ScenarioName, { everyModel: Saving; shortLived: Saving; asyncCommitShortLived: { ms: number; share: number } }>;

  // ---- report
  const lines: string[] = [];
  lines.push(`store cost: PostgreSQL (synchronous_commit on, and off as "pg async") vs SQLite vs Redis ${redisInfo}; ${SECONDS} s per cell in ${ROUNDS} rounds; ${CONCURRENCY.join(' and ')} callers`);
  lines.push('redis = the repositories IDP_REDIS_URL uses (src/db/redis.ts); rlf = rate-limiter-flexible\'s RateLimiterRedis, for reference');
  lines.push('CPU ms per operation = this process (client library; SQLite itself) + the server process(es)');
  lines.push('');
  lines.push('| operation | callers | pg p50 ms | pg p99 ms | pg /s | pg CPU ms | pg async p50 | sqlite p50 | sqlite CPU ms | redis p50 ms | redis p99 ms | redis /s | redis CPU ms | redis/pg p50 | redis/pg CPU | rlf p50 | rlf CPU |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const cpuOf = (c: Cell) => (c.serverCpuMs === null ? null : c.clientCpuMs + c.serverCpuMs);
  for (const [op, byC] of Object.entries(perOp)) {
    for (const [c, cell] of Object.entries(byC)) {
      const { postgres: p, pgAsync: a, sqlite: s, redis: r, rlf } = cell;
      const cpuRatio = cpuOf(p) && cpuOf(r) !== null ? (cpuOf(r)! / cpuOf(p)!).toFixed(2) : '–';
      lines.push(
        `| ${op} | ${c} | ${f1(p.p50)} | ${f1(p.p99)} | ${p.perSec.toFixed(0)} | ${f1(cpuOf(p))} | ${f1(a.p50)} | ${f1(s.p50)} | ${f1(cpuOf(s))} | ${f1(r.p50)} | ${f1(r.p99)} | ${r.perSec.toFixed(0)} | ${f1(cpuOf(r))} | ${(r.p50 / p.p50).toFixed(2)} | ${cpuRatio} | ${rlf ? f1(rlf.p50) : '–'} | ${rlf ? f1(cpuOf(rlf)) : '–'} |`,
      );
    }
  }
  lines.push('');
  lines.push('census (the real server in this process, on PostgreSQL): repository calls per request');
  for (const [name, s] of Object.entries(scenarios)) {
    const calls = Object.entries(s.calls).map(([k, v]) => `${k.replace(/^payloads\./, '').replace(/^throttles\./, 'throttle.')}×${+v.toFixed(2)}`);
    lines.push(`- ${name}: ${s.statements.toFixed(1)} SQL statements in all; ${calls.join(', ')}`);
  }
  lines.push(`argon2id verify p50 (in the same process): ${f1(argon2VerifyMs)} ms; failed requests: ${errors.length}${errors.length ? ` (e.g. ${errors[0]}; a TOTP code generated at a 30 s window's edge)` : ''}`);
  lines.push('');
  lines.push('What Redis would save per request. Alone: ms the moved calls took inside the real requests (one caller) minus Redis p50 for them,');
  lines.push('against the mean request time. Under load: CPU ms per request (knex + PostgreSQL backend − ioredis + redis-server, from the');
  lines.push('per-operation cells), against the request\'s CPU (this process incl. the load generator + its PostgreSQL backends).');
  lines.push('"short-lived": Interaction, AuthorizationCode, AccessToken, ClientCredentials and the throttle move; Session, Grant, RefreshToken stay.');
  lines.push('');
  lines.push('"pg async": the same requests alone on connections with synchronous_commit=off — what the short-lived calls gain without Redis.');
  lines.push('');
  lines.push('| request | alone ms (mean) | payload + throttle calls, ms | saved alone, every model | saved alone, short-lived | pg async instead, short-lived | under load /s | CPU ms/request | CPU saved, every model | CPU saved, short-lived |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  const both = (ms: number | null, share: number | null) => (ms === null ? '–' : `${f1(ms)} ms = ${pct(share)}`);
  for (const [name, s] of Object.entries(scenarios) as [ScenarioName, Scenario][]) {
    const v = savings[name];
    const storage = Object.entries(s.storageMs).reduce((sum, [k, ms]) => sum + (opOf(k) ? ms : 0), 0);
    const cpu = s.loaded.cpuMs.servers !== null ? s.loaded.cpuMs.process + s.loaded.cpuMs.servers : null;
    lines.push(
      `| ${name} | ${f1(s.alone.meanMs)} | ${f1(storage)} | ${both(v.everyModel.latencyMs, v.everyModel.latencyShare)} | ${both(v.shortLived.latencyMs, v.shortLived.latencyShare)} | ${both(v.asyncCommitShortLived.ms, v.asyncCommitShortLived.share)} | ${s.loaded.perSec.toFixed(0)} @${s.loaded.concurrency} | ${f1(cpu)} | ${both(v.everyModel.cpuMs, v.everyModel.cpuShare)} | ${both(v.shortLived.cpuMs, v.shortLived.cpuShare)} |`,
    );
  }
  lines.push('');
  lines.push('Measured directly: the same requests on three servers taking turns in rounds — PostgreSQL; PostgreSQL with synchronous_commit=off');
  lines.push('("pg async", every write); PostgreSQL + Redis (IDP_REDIS_URL). Alone: mean ms, one request at a time. CPU: ms per request under load,');
  lines.push('this process (server + load generator) + PostgreSQL backends (+ redis-server). Saved: against PostgreSQL.');
  lines.push('');
  lines.push('| request | alone, pg | alone, pg async | alone, pg + redis | CPU, pg | CPU, pg async | CPU, pg + redis | CPU saved, pg async | CPU saved, pg + redis | /s pg | /s pg async | /s pg + redis |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const cpuPer = (s: Scenario) => (s.loaded.cpuMs.servers !== null ? s.loaded.cpuMs.process + s.loaded.cpuMs.servers : null);
  const saved = (base: number | null, x: number | null) => (base !== null && x !== null ? (base - x) / base : null);
  const direct: Record<string, Record<'pgAsync' | 'pgRedis', { latencyShare: number; cpuShare: number | null }>> = {};
  for (const name of SCENARIOS) {
    const [p, a, r] = SETUPS.map((s) => bySetup[s][name]) as [Scenario, Scenario, Scenario];
    const [cp, ca, cr] = [cpuPer(p), cpuPer(a), cpuPer(r)];
    direct[name] = {
      pgAsync: { latencyShare: (p.alone.meanMs - a.alone.meanMs) / p.alone.meanMs, cpuShare: saved(cp, ca) },
      pgRedis: { latencyShare: (p.alone.meanMs - r.alone.meanMs) / p.alone.meanMs, cpuShare: saved(cp, cr) },
    };
    lines.push(
      `| ${name} | ${f1(p.alone.meanMs)} | ${f1(a.alone.meanMs)} | ${f1(r.alone.meanMs)} | ${f1(cp)} | ${f1(ca)} | ${f1(cr)} | ${pct(saved(cp, ca))} | ${pct(saved(cp, cr))} | ${p.loaded.perSec.toFixed(0)} | ${a.loaded.perSec.toFixed(0)} | ${r.loaded.perSec.toFixed(0)} |`,
    );
  }
  lines.push('');
  lines.push(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(`${lines.join('\n')}\n`);

  mkdirSync(join(OUT, '..'), { recursive: true });
  writeFileSync(
    OUT,
    JSON.stringify(
      { date: new Date().toISOString(), node: process.version, redis: redisInfo, seconds: SECONDS, rounds: ROUNDS, concurrency: CONCURRENCY, perOperation: perOp, census: bySetup, argon2VerifyMs, errors, savings, direct },
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
