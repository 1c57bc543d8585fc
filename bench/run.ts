// npm run bench -- [--key=value …]: starts the servers itself, drives load from a
// separate process (wrk or bench/load.ts), prints one table and writes a JSON file.
// See docs/performance.md.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname } from 'node:path';
import { freePortFor } from './ports.js';
import { basicAuth, createClient } from './load/client.js';
import type { Fixture, JobResult, Scenario } from './load/fixture.js';
import { accessToken } from './load/scenarios.js';
import { type BenchOptions, parseOptions } from './options.js';
import { cpuMillis } from './load/cpu.js';
import { argon2Ceiling, benchTmp, type Child, runLoad, startBare, startIdp } from './processes.js';
import { rowsWritten } from './load/rows-written.js';
import { type Baselines, type BenchRun, type Ceiling, type Measured, checks, isSignIn, table } from './report.js';
import { BENCH_SECRET_KEY, createDatabase, seed } from './seed.js';
import { runWrk, type WrkRequest } from './wrk.js';

const WRK_SCENARIOS: Scenario[] = ['cc', 'userinfo', 'introspection'];
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

async function wrkRequest(s: Scenario, f: Fixture): Promise<WrkRequest> {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  if (s === 'cc') return { method: 'POST', path: '/token', headers: { ...form, authorization: basicAuth(f.service.clientId, f.service.clientSecret) }, body: 'grant_type=client_credentials' };
  const http = createClient(f.base, 1);
  const token = await accessToken(http, f);
  http.close();
  if (s === 'userinfo') return { method: 'GET', path: '/me', headers: { authorization: `Bearer ${token}` } };
  return { method: 'POST', path: '/token/introspection', headers: { ...form, authorization: basicAuth(f.web.clientId, f.web.clientSecret) }, body: `token=${token}` };
}

const n = (x: number | null | undefined) => (typeof x === 'number' ? x.toFixed(1) : '–');

/** TOTP codes work once per user: the peak and the half-rate run sign in disjoint halves of the users. */
function usersFor(f: Fixture, part: 0 | 1): Fixture {
  if (!f.users) return f;
  const mid = Math.floor(f.users.length / 2);
  return { ...f, users: part === 0 ? f.users.slice(0, mid) : f.users.slice(mid) };
}

async function measure(s: Scenario, f: Fixture, o: BenchOptions, halfRate: boolean, pid: number | undefined): Promise<Measured> {
  const concurrency = s.startsWith('signin') ? o.signinConcurrency : o.concurrency;
  let peak: JobResult;
  if (o.tool === 'wrk' && WRK_SCENARIOS.includes(s)) {
    const req = await wrkRequest(s, f);
    const before = f.mintPath ? undefined : await rowsWritten(f.base);
    const cpuBefore = cpuMillis(pid);
    peak = await runWrk(s, f.base, req, { threads: 2, connections: concurrency, durationSec: o.duration, tmpDir: benchTmp, cpus: o.loadCpus || undefined });
    const cpuAfter = cpuMillis(pid);
    if (cpuBefore !== undefined && cpuAfter !== undefined) peak.cpuMsPerOp = (cpuAfter - cpuBefore) / Math.max(1, peak.completed + peak.errors);
    if (before !== undefined) peak.writesPerOp = ((await rowsWritten(f.base)) - before) / Math.max(1, peak.completed);
  } else {
    // the generator reads the server's CPU around its timed part (not while it prepares codes or tokens)
    peak = await runLoad({ scenario: s, fixture: usersFor(f, 0), concurrency, durationSec: o.duration, ...(pid ? { serverPid: pid } : {}) }, o.loadCpus || undefined);
  }
  log(`${s}: ${peak.perSec.toFixed(0)}/s p50 ${n(peak.p50)} ms p99 ${n(peak.p99)} ms${peak.errors ? ` errors ${peak.errors} (${peak.errorSample})` : ''}`);
  if (!halfRate || peak.perSec <= 0) return { peak };
  const half = await runLoad({ scenario: s, fixture: usersFor(f, 1), concurrency: 256, durationSec: o.duration, rate: peak.perSec / 2, ...(pid ? { serverPid: pid } : {}) }, o.loadCpus || undefined);
  const busy = half.serverCores === undefined ? '' : `, server ${(half.serverCores * 100).toFixed(0)} % busy`;
  log(`${s} at ${(peak.perSec / 2).toFixed(0)}/s: p50 ${n(half.p50)} ms p99 ${n(half.p99)} ms${busy}, load generator ${n(half.generatorCores)} cores, its longest stall ${n(half.generatorMaxStallMs)} ms${half.errors ? ` errors ${half.errors} (${half.errorSample})` : ''}`);
  return { peak, half };
}


/** Bare oidc-provider, running for the whole bench so it can be measured again next to each of ours. */
interface Bare {
  child: Child;
  fixture: Fixture;
}

/** One bare measurement on an empty store (bench/bare-provider.ts, /bench/reset). */
async function measureBare(s: Scenario, o: BenchOptions, bare: Bare): Promise<JobResult> {
  const reset = await fetch(`${bare.fixture.base}/bench/reset`, { method: 'POST' });
  if (reset.status !== 204) throw new Error(`bare oidc-provider: reset answered ${reset.status}`);
  return (await measure(s, bare.fixture, o, false, bare.child.process.pid)).peak;
}

async function startBareProvider(o: BenchOptions): Promise<Bare> {
  const secrets = { web: randomBytes(12).toString('hex'), service: randomBytes(12).toString('hex') };
  const child = await startBare(await freePortFor(), secrets, o.serverCpus || undefined);
  const fixture: Fixture = {
    base: child.url.replace('localhost', '127.0.0.1'),
    web: { clientId: 'bench-web', clientSecret: secrets.web, redirectUri: 'http://127.0.0.1:9/callback' },
    service: { clientId: 'bench-service', clientSecret: secrets.service },
    mintPath: '/bench/mint',
  };
  await runLoad({ scenario: 'cc', fixture, concurrency: o.concurrency, durationSec: 3 }, o.loadCpus || undefined); // warm-up
  return { child, fixture };
}

/** bare oidc-provider's counterpart of a scenario: its sign-in (no pages, no password) for both of ours */
const bareScenario = (s: Scenario): Scenario => (isSignIn(s) ? 'signin' : s);

async function argon2(o: BenchOptions) {
  const a = await argon2Ceiling(Math.min(o.duration, 10), o.serverCpus || undefined);
  log(`argon2id ceiling: ${a.perSec.toFixed(1)}/s with ${a.concurrency} in flight`);
  return a;
}

async function baselines(o: BenchOptions, bare: Bare | undefined): Promise<Baselines> {
  const b: Baselines = { bare: {} };
  if (!bare) return b;
  const a = await argon2(o);
  b.argon2PerSec = a.perSec;
  b.argon2CpuMs = a.cpuMsPerHash;
  for (const s of [...new Set(o.scenarios.map(bareScenario))]) {
    log(`bare oidc-provider ${s}`);
    b.bare[s] = await measureBare(s, o, bare);
  }
  return b;
}

/**
 * The ceilings again, right before one of our measurements: this machine's speed drifts
 * (the same run of ours gave 3,089 and 1,770 userinfo/s twenty minutes apart, nothing else
 * running), so a ratio is only as good as the moment its two halves share.
 */
async function adjacentCeiling(s: Scenario, o: BenchOptions, bare: Bare): Promise<Ceiling> {
  const own = await measureBare(bareScenario(s), o, bare);
  log(`  next to it, bare oidc-provider ${bareScenario(s)}: ${own.perSec.toFixed(0)}/s, ${n(own.cpuMsPerOp)} ms CPU`);
  if (!isSignIn(s)) return { perSec: own.perSec, cpuMsPerOp: own.cpuMsPerOp };
  const a = await argon2(o);
  return { perSec: a.perSec, cpuMsPerOp: a.cpuMsPerHash, floorCpuMs: own.cpuMsPerOp };
}

async function benchOne(engine: 'sqlite' | 'postgres', users: number, o: BenchOptions, bare: Bare | undefined): Promise<BenchRun> {
  const db = await createDatabase(engine, o.pgUrl);
  let server: Child | undefined;
  try {
    const port = await freePortFor();
    const base = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    const seeded = await seed(db.url, users, o.signinUsers, `http://localhost:${port}`);
    log(`${engine}: seeded ${users} users in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    server = await startIdp(port, db.url, BENCH_SECRET_KEY, o.serverCpus || undefined, { IDP_LOG_LEVEL: process.env.IDP_BENCH_LOG_LEVEL ?? 'info' });
    const f: Fixture = { base, ...seeded };
    await runLoad({ scenario: 'cc', fixture: f, concurrency: o.concurrency, durationSec: 3 }, o.loadCpus || undefined); // warm-up
    const run: BenchRun = { engine, users, results: {} };
    for (const s of o.scenarios) {
      const ceiling = bare && o.adjacent ? await adjacentCeiling(s, o, bare) : undefined;
      log(`${engine}/${users} ${s}`);
      run.results[s] = { ...(await measure(s, f, o, o.halfRate, server.process.pid)), ...(ceiling ? { ceiling } : {}) };
    }
    return run;
  } finally {
    await server?.stop();
    await db.drop();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const started = new Date();
  const bare = o.baselines ? await startBareProvider(o) : undefined;
  const runs: BenchRun[] = [];
  let b: Baselines;
  try {
    b = await baselines(o, bare);
    for (const engine of o.engines) for (const users of o.users) runs.push(await benchOne(engine, users, o, bare));
  } finally {
    await bare?.child.stop();
  }
  const result = {
    date: started.toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: availableParallelism(),
    options: o,
    baselines: b,
    runs,
    checks: checks(runs, b),
  };
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(table(runs, b));
  console.log('');
  for (const c of result.checks) console.log(`${c.ok ? 'PASS' : 'MISS'}  ${c.what}`);
  console.log(`\nJSON: ${o.out}`);
  rmSync(benchTmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).message}`);
  rmSync(benchTmp, { recursive: true, force: true });
  process.exit(1);
});
