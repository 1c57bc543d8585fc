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
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Every cell runs in ROUNDS slices per store, the stores taking turns in a rotating order:
 * a burst of a neighbour's load on this shared machine then lands on all of them alike.
 */
const ROUNDS = 5;

async function perOperation(
  payloads: Record<StoreName, PayloadStore>,
  throttles: Record<StoreName, ThrottleStore>,
  cpus: Record<StoreName, ServerCpu>,
): Promise<PerOp> {
  const out = {} as PerOp;
  const TYPE = 'AuthorizationCode';
  const cell = async (op: OpName, c: number, work: (s: StoreName) => () => Promise<unknown> | undefined) => {
    const ops = Object.fromEntries(STORES.map((s) => [s, work(s)])) as Record<StoreName, () => Promise<unknown> | undefined>;
    const tallies = Object.fromEntries(STORES.map((s) => [s, new Tally()])) as Record<StoreName, Tally>;
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < STORES.length; k++) {
        const s = STORES[(r + k) % STORES.length]!;
        await drive(c, SECONDS / ROUNDS, ops[s], tallies[s], cpus[s]);
      }
    }
    (out[op] ??= {})[String(c)] = Object.fromEntries(STORES.map((s) => [s, tallies[s].cell()])) as Record<StoreName, Cell>;
  };

  // every store does what it is timed for: a broken one would look fast
  for (const s of STORES) await selfCheck(s, payloads[s], throttles[s]);

  // warm-up: connections opened, statements prepared, code paths compiled
  for (const s of STORES) {
    await drive(4, 0.3, counting((i) => payloads[s].upsert(TYPE, `warm-${i}`, codePayload(`warm-${i}`, 'warm'), 60)));
    await drive(4, 0.2, counting((i) => payloads[s].find(TYPE, `warm-${i % 50}`)));
    await drive(4, 0.2, counting((i) => throttles[s].check(`pwd:acct:W:${i % 50}`, `pwd:ip:w${i % 5}`)));
  }

  for (const c of CONCURRENCY) {
    const ids: Record<StoreName, string[]> = { postgres: [], pgAsync: [], sqlite: [], redis: [] };
    const run = randomBytes(4).toString('hex');
    await cell('payload.upsert', c, (s) =>
      counting((i) => {
        const id = `${run}-${i}`;
        ids[s].push(id);
        // ten codes per grant, as a busy grant's tokens would share it
        return payloads[s].upsert(TYPE, id, codePayload(id, `grant-${run}-${Math.floor(i / 10)}`), 600);
      }),
    );
    await cell('payload.find', c, (s) => counting((i) => payloads[s].find(TYPE, ids[s][i % ids[s].length]!)));
    await cell('payload.consume', c, (s) => counting((i) => (i < ids[s].length ? payloads[s].consume(TYPE, ids[s][i]!) : undefined)));
    await cell('payload.destroy', c, (s) => counting((i) => (i < ids[s].length ? payloads[s].destroy(TYPE, ids[s][i]!) : undefined)));

    // throttle: failures first (so checks meet real rows), spread over 5,000 accounts and 500 addresses
    const acct = (i: number) => `pwd:acct:BENCH:user${(i * 7919) % 5000}`;
    const addr = (i: number) => `pwd:ip:10.0.${((i * 31) % 500) >> 8}.${((i * 31) % 500) & 255}`;
    await cell('throttle.fail', c, (s) => counting((i) => throttles[s].fail(acct(i), addr(i))));
    await cell('throttle.check', c, (s) => counting((i) => throttles[s].check(acct(i), addr(i))));
    await cell('throttle.clear', c, (s) => counting((i) => throttles[s].clear(acct(i))));
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
  /** many callers: throughput and the CPU per request of this process (server and load generator) and of its PostgreSQL backends */
  loaded?: { concurrency: number; perSec: number; p50: number; cpuMs: { process: number; postgres: number | null } };
  /** the same requests alone with the server's connections at synchronous_commit=off */
  asyncCommit?: { meanMs: number; storageMs: Record<string, number> };
}

type ScenarioName = 'signin' | 'code' | 'refresh' | 'cc' | 'userinfo' | 'introspection';
const SCENARIOS: ScenarioName[] = ['signin', 'code', 'refresh', 'cc', 'userinfo', 'introspection'];

/**
 * The real server on `db` (PostgreSQL) in this process, its repositories counted, then each
 * scenario: `alone` requests one at a time, then (`loadSeconds` > 0) as many as possible.
 * Run twice: on ordinary connections, and on connections whose commits skip the WAL flush.
 */
async function censusPass(
  db: { url: string },
  f: Fixture,
  knex: Knex,
  admin: Knex,
  opts: { port: number; dataDir: string; loadSeconds: number; errors: string[] },
): Promise<{ scenarios: Record<ScenarioName, Scenario>; argon2VerifyMs: number }> {
  let statements = 0;
  knex.on('query', () => void statements++);
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(opts.port),
    IDP_HOST: '127.0.0.1',
    IDP_ISSUER: f.base,
    IDP_DATABASE_URL: db.url,
    IDP_SECRET_KEY: BENCH_SECRET_KEY,
    IDP_DATA_DIR: opts.dataDir,
    IDP_DEMO: 'false',
    IDP_LOG_LEVEL: 'silent',
  });
  const running = await startServer(config, createLogger('silent'), { knex });
  const http = createClient(f.base, 16);
  try {
    const counts: Counts = new Map();
    const clock = new StorageClock();
    countCalls(running.services.repos.payloads, 'payloads', counts, clock);
    countCalls(running.services.repos.throttles, 'throttles', counts, clock);
    const pgCpu = postgresCpu(admin, new URL(db.url).pathname.slice(1));

    const hash = await running.services.hasher.hash(f.password!);
    const argon = await drive(1, 60, counting((i) => (i < 12 ? running.services.hasher.verify(hash, f.password!) : undefined)));

    const scenario = async (runner: Runner, n: number, concurrency: number, seconds: number): Promise<Scenario> => {
      counts.clear();
      clock.times.clear();
      const before = statements;
      const tally = new Tally();
      // a rare failure (a TOTP code that crossed a 30 s window edge) is counted, not fatal
      const attempt = () =>
        runner.iteration().catch((err: unknown) => {
          opts.errors.push((err as Error).message.slice(0, 120));
          if (opts.errors.length > 5) throw err;
        });
      const one = await drive(1, 60, counting((i) => (i < n && !runner.exhausted() ? attempt() : undefined)), tally);
      const per = (m: Counts) => Object.fromEntries([...m].sort().map(([k, v]) => [k, v / one.n]));
      const result: Scenario = {
        calls: per(counts),
        storageMs: per(clock.times),
        statements: (statements - before) / one.n,
        alone: { n: one.n, meanMs: (tally.seconds * 1000) / one.n, p50: one.p50, p99: one.p99 },
      };
      if (seconds > 0) {
        const many = await drive(concurrency, seconds, () => (runner.exhausted() ? undefined : attempt()), new Tally(), pgCpu);
        result.loaded = { concurrency, perSec: many.perSec, p50: many.p50, cpuMs: { process: many.clientCpuMs, postgres: many.serverCpuMs } };
      }
      return result;
    };

    const load = opts.loadSeconds;
    const signin = await scenario(await prepare('signin', http, f, { concurrency: 8, durationSec: 3 }), 16, 8, load * 2);
    // codes minted by silent authorizations (prompt=none), then exchanged: 40 alone, the rest by 16 callers
    const code = await scenario(await prepare('code', http, f, { concurrency: 16, durationSec: load ? 4 : 1, rate: 500 }), 40, 16, load * 1.5);
    const refresh = await scenario(await prepare('refresh', http, f, { concurrency: 16, durationSec: 3 }), 40, 16, load * 1.5);
    const cc = await scenario(await prepare('cc', http, f, { concurrency: 16, durationSec: 2 }), 40, 16, load);
    const userinfo = await scenario(await prepare('userinfo', http, f, { concurrency: 16, durationSec: 2 }), 40, 16, load);
    const introspection = await scenario(await prepare('introspection', http, f, { concurrency: 16, durationSec: 2 }), 40, 16, load);
    return { scenarios: { signin, code, refresh, cc, userinfo, introspection }, argon2VerifyMs: argon.p50 };
  } finally {
    http.close();
    await running.close();
  }
}

async function census(admin: Knex): Promise<{ scenarios: Record<ScenarioName, Scenario>; argon2VerifyMs: number; errors: string[] }> {
  const db = await createDatabase('postgres', PG_URL);
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-store-cost-'));
  const port = await freePortFor();
  const base = `http://localhost:${port}`;
  const errors: string[] = [];
  const pools: Knex[] = [];
  try {
    const seeded = await seed(db.url, 1000, 600, base);
    // each pass signs in users of its own: a TOTP code is accepted once per user
    const users = seeded.users!;
    const half = Math.floor(users.length / 2);
    const pool = (k: Knex) => (pools.push(k), k);
    const sync = await censusPass(db, { ...seeded, base, users: users.slice(0, half) }, pool(connect(db.url, defaults.databasePoolMax)), admin, { port, dataDir, loadSeconds: 2, errors });
    process.stderr.write('census on PostgreSQL done\n');
    const async_ = await censusPass(db, { ...seeded, base, users: users.slice(half) }, pool(connectAsyncCommit(db.url)), admin, { port, dataDir, loadSeconds: 0, errors });
    process.stderr.write('census on PostgreSQL with synchronous_commit=off done\n');
    for (const name of SCENARIOS) sync.scenarios[name].asyncCommit = { meanMs: async_.scenarios[name].alone.meanMs, storageMs: async_.scenarios[name].storageMs };
    return { ...sync, errors };
  } finally {
    for (const k of pools) await k.destroy(); // the server does not end a pool it was handed
    rmSync(dataDir, { recursive: true, force: true });
    await db.drop();
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
  const cpu = s.loaded && s.loaded.cpuMs.postgres !== null ? s.loaded.cpuMs.process + s.loaded.cpuMs.postgres : null;
  return { latencyMs, latencyShare: latencyMs / s.alone.meanMs, cpuMs, cpuShare: cpuMs === null || cpu === null ? null : cpuMs / cpu };
}

/** The alternative without Redis: the same calls, alone, when commits skip the WAL flush (ms the moved calls took, minus what they took then). */
function savingByAsyncCommit(s: Scenario, models?: Set<string>): { ms: number; share: number } | null {
  if (!s.asyncCommit) return null;
  let ms = 0;
  for (const call of Object.keys(s.calls)) {
    const o = opOf(call);
    if (!o || (models && o.model && !models.has(o.model))) continue;
    ms += (s.storageMs[call] ?? 0) - (s.asyncCommit.storageMs[call] ?? 0);
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
  try {
    await migrate(pg);
    await migrate(sqlite);
    const server = await redis.info('server');
    const redisPid = Number(/process_id:(\d+)/.exec(server)?.[1]);
    redisInfo = `${/redis_version:(\S+)/.exec(server)?.[1] ?? '?'}, ${/aof_enabled:1/.test(await redis.info('persistence')) ? 'AOF on' : 'AOF off'}`;
    const pgCpu = postgresCpu(admin, new URL(pgDb.url).pathname.slice(1));
    perOp = await perOperation(
      { postgres: knexPayloadStore(pg), pgAsync: knexPayloadStore(pgAsync), sqlite: knexPayloadStore(sqlite), redis: redisPayloadStore(redis, prefix) },
      { postgres: knexThrottleStore(pg), pgAsync: knexThrottleStore(pgAsync), sqlite: knexThrottleStore(sqlite), redis: redisThrottleStore(redis, prefix) },
      { postgres: pgCpu, pgAsync: pgCpu, sqlite: noServer, redis: serverCpu(async () => [redisPid], 'redis-server') },
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
    census_ = await census(admin);
  } finally {
    await admin.destroy();
  }
  const { scenarios, argon2VerifyMs, errors } = census_;
  const savings = Object.fromEntries(
    Object.entries(scenarios).map(([name, s]) => [
      name,
      { everyModel: saving(s, perOp), shortLived: saving(s, perOp, SHORT_LIVED), asyncCommitShortLived: savingByAsyncCommit(s, SHORT_LIVED) },
    ]),
  ) as Record<ScenarioName, { everyModel: Saving; shortLived: Saving; asyncCommitShortLived: { ms: number; share: number } | null }>;

  // ---- report
  const lines: string[] = [];
  lines.push(`store cost: PostgreSQL (synchronous_commit on, and off as "pg async") vs SQLite vs Redis ${redisInfo}; ${SECONDS} s per cell in ${ROUNDS} rounds; ${CONCURRENCY.join(' and ')} callers`);
  lines.push('CPU ms per operation = this process (client library; SQLite itself) + the server process(es)');
  lines.push('');
  lines.push('| operation | callers | pg p50 ms | pg p99 ms | pg /s | pg CPU ms | pg async p50 | sqlite p50 | sqlite CPU ms | redis p50 ms | redis p99 ms | redis /s | redis CPU ms | redis/pg p50 | redis/pg CPU |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const cpuOf = (c: Cell) => (c.serverCpuMs === null ? null : c.clientCpuMs + c.serverCpuMs);
  for (const [op, byC] of Object.entries(perOp)) {
    for (const [c, cell] of Object.entries(byC)) {
      const { postgres: p, pgAsync: a, sqlite: s, redis: r } = cell;
      const cpuRatio = cpuOf(p) && cpuOf(r) !== null ? (cpuOf(r)! / cpuOf(p)!).toFixed(2) : '–';
      lines.push(
        `| ${op} | ${c} | ${f1(p.p50)} | ${f1(p.p99)} | ${p.perSec.toFixed(0)} | ${f1(cpuOf(p))} | ${f1(a.p50)} | ${f1(s.p50)} | ${f1(cpuOf(s))} | ${f1(r.p50)} | ${f1(r.p99)} | ${r.perSec.toFixed(0)} | ${f1(cpuOf(r))} | ${(r.p50 / p.p50).toFixed(2)} | ${cpuRatio} |`,
      );
    }
  }
  lines.push('');
  lines.push('census (the real server in this process, on PostgreSQL): repository calls per request');
  for (const [name, s] of Object.entries(scenarios)) {
    const calls = Object.entries(s.calls).map(([k, v]) => `${k.replace(/^payloads\./, '').replace(/^throttles\./, 'throttle.')}×${+v.toFixed(2)}`);
    lines.push(`- ${name}: ${s.statements.toFixed(1)} SQL statements in all; ${calls.join(', ')}`);
  }
  lines.push(`argon2id verify p50 (in the same process): ${f1(argon2VerifyMs)} ms; failed requests: ${errors.length}${errors.length ? ` (${errors[0]})` : ''}`);
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
    const cpu = s.loaded && s.loaded.cpuMs.postgres !== null ? s.loaded.cpuMs.process + s.loaded.cpuMs.postgres : null;
    lines.push(
      `| ${name} | ${f1(s.alone.meanMs)} | ${f1(storage)} | ${both(v.everyModel.latencyMs, v.everyModel.latencyShare)} | ${both(v.shortLived.latencyMs, v.shortLived.latencyShare)} | ${v.asyncCommitShortLived ? both(v.asyncCommitShortLived.ms, v.asyncCommitShortLived.share) : '–'} | ${s.loaded ? `${s.loaded.perSec.toFixed(0)} @${s.loaded.concurrency}` : '–'} | ${f1(cpu)} | ${both(v.everyModel.cpuMs, v.everyModel.cpuShare)} | ${both(v.shortLived.cpuMs, v.shortLived.cpuShare)} |`,
    );
  }
  lines.push('');
  lines.push(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(`${lines.join('\n')}\n`);

  mkdirSync(join(OUT, '..'), { recursive: true });
  writeFileSync(
    OUT,
    JSON.stringify(
      { date: new Date().toISOString(), node: process.version, redis: redisInfo, seconds: SECONDS, rounds: ROUNDS, concurrency: CONCURRENCY, perOperation: perOp, census: scenarios, argon2VerifyMs, errors, savings },
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
