import type { JobResult, Scenario } from './load/fixture.js';

/** A ceiling measured right before one of our scenarios (`--adjacent`). */
export interface Ceiling {
  /** bare oidc-provider's rate for the same scenario, or argon2id verifications for a sign-in */
  perSec: number;
  cpuMsPerOp?: number | undefined;
  /** sign-ins: bare oidc-provider's own sign-in CPU, the floor under any sign-in on it */
  floorCpuMs?: number | undefined;
}

export interface Measured {
  peak: JobResult;
  half?: JobResult | undefined;
  ceiling?: Ceiling | undefined;
}

export interface BenchRun {
  engine: string;
  users: number;
  results: Partial<Record<Scenario, Measured>>;
}

export interface Baselines {
  argon2PerSec?: number;
  /** CPU time per verification in the ceiling run, ms */
  argon2CpuMs?: number;
  bare: Partial<Record<Scenario, JobResult>>;
}

/** Per-scenario targets from the issue (one core, SQLite, keep-alive). */
const MIN_RATE: Partial<Record<Scenario, number>> = { cc: 2500, code: 900, refresh: 900, userinfo: 3000, introspection: 3000 };
const MAX_WRITES: Partial<Record<Scenario, number>> = { signin: 10, 'signin-remembered': 10, refresh: 3 };

export const isSignIn = (s: Scenario) => s === 'signin' || s === 'signin-remembered';

/** The ceiling measured next to this scenario, else the one from the start of the run. */
function ceiling(s: Scenario, b: Baselines, m: Measured): number | undefined {
  return m.ceiling?.perSec ?? (isSignIn(s) ? b.argon2PerSec : b.bare[s]?.perSec);
}

/** CPU per operation of the ceiling (argon2id verification, or bare oidc-provider's request). */
function ceilingCpu(s: Scenario, b: Baselines, m: Measured): number | undefined {
  return m.ceiling ? m.ceiling.cpuMsPerOp : isSignIn(s) ? b.argon2CpuMs : b.bare[s]?.cpuMsPerOp;
}
const ms3 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(n >= 10 ? 1 : 3));

const f0 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(1));
const pct = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : `${(n * 100).toFixed(0)} %`);

export interface Check {
  what: string;
  ok: boolean;
}

/**
 * The most any password sign-in on oidc-provider could reach of the argon2id ceiling on
 * one core: a verification's CPU over that plus bare oidc-provider's own sign-in (no
 * pages, no password, in-memory storage).
 */
function reachable(b: Baselines, m: Measured): string {
  const floor = m.ceiling ? m.ceiling.floorCpuMs : b.bare.signin?.cpuMsPerOp;
  const hash = m.ceiling ? m.ceiling.cpuMsPerOp : b.argon2CpuMs;
  if (!floor || !hash) return '';
  return `; bare oidc-provider's sign-in alone, ${ms3(floor)} ms CPU, caps it at ${pct(hash / (hash + floor))}`;
}

export function checks(runs: BenchRun[], b: Baselines): Check[] {
  const out: Check[] = [];
  for (const run of runs) {
    const tag = `${run.engine}/${run.users}`;
    for (const [s, m] of Object.entries(run.results) as [Scenario, Measured][]) {
      const min = MIN_RATE[s];
      if (min !== undefined && run.engine === 'sqlite') out.push({ what: `${tag} ${s} ≥ ${min}/s (${f0(m.peak.perSec)})`, ok: m.peak.perSec >= min });
      const c = ceiling(s, b, m);
      if (c && s === 'cc' && run.engine === 'sqlite') out.push({ what: `${tag} cc ≥ 60 % of bare oidc-provider (${pct(m.peak.perSec / c)})`, ok: m.peak.perSec >= 0.6 * c });
      if (c && isSignIn(s) && run.engine === 'sqlite') {
        out.push({ what: `${tag} ${s} ≥ 85 % of argon2id ceiling (${pct(m.peak.perSec / c)}${reachable(b, m)})`, ok: m.peak.perSec >= 0.85 * c });
      }
      if (m.half) {
        const busy = m.half.serverCores === undefined ? '' : `, server ${pct(m.half.serverCores)} busy`;
        out.push({ what: `${tag} ${s} p99 ≤ 50 ms at half peak (${f0(m.half.p99)} ms${busy})`, ok: m.half.p99 <= 50 });
      }
      const maxW = MAX_WRITES[s];
      if (maxW !== undefined && m.peak.writesPerOp !== undefined) out.push({ what: `${tag} ${s} ≤ ${maxW} writes (${m.peak.writesPerOp.toFixed(1)})`, ok: m.peak.writesPerOp <= maxW });
    }
  }
  // 1 M users within 10 % of 1 k (sign-in latency at half peak, p50); PostgreSQL ≥ 70 % of SQLite
  for (const big of runs) {
    const small = runs.find((r) => r.engine === big.engine && r.users < big.users);
    const a = small?.results.signin?.half?.p50;
    const z = big.results.signin?.half?.p50;
    if (small && a && z) out.push({ what: `${big.engine} sign-in p50 with ${big.users} users within 10 % of ${small.users} (${f0(a)} → ${f0(z)} ms)`, ok: z <= a * 1.1 });
    if (big.engine !== 'postgres') continue;
    const lite = runs.find((r) => r.engine === 'sqlite' && r.users === big.users);
    if (!lite) continue;
    for (const [s, m] of Object.entries(big.results) as [Scenario, Measured][]) {
      const l = lite.results[s];
      if (!l) continue;
      const raw = m.peak.perSec / l.peak.perSec;
      // minutes apart on a drifting machine: each engine's rate as a share of the ceiling
      // measured next to it, so that the machine's speed at the two moments cancels out
      const pc = m.ceiling?.perSec;
      const lc = l.ceiling?.perSec;
      const same = pc && lc ? m.peak.perSec / pc / (l.peak.perSec / lc) : undefined;
      const what = `postgres/${big.users} ${s} ≥ 70 % of SQLite (${pct(raw)}${same === undefined ? '' : `; ${pct(same)} as shares of the ceiling measured next to each`})`;
      out.push({ what, ok: (same ?? raw) >= 0.7 });
    }
  }
  return out;
}

export function table(runs: BenchRun[], b: Baselines): string {
  // CPU ms/op: the server's CPU time (all threads) per operation; "CPU vs ceiling" is the
  // ceiling's CPU per operation over ours — the same ratio as "vs ceiling", steadier on a busy machine
  const head = ['engine', 'users', 'scenario', 'per s', 'p50 ms', 'p99 ms', 'p99 ms @½', 'writes/op', 'vs ceiling', 'ceiling/s', 'CPU ms/op', 'CPU vs ceiling', 'errors'];
  const rows: string[][] = [];
  for (const [s, r] of Object.entries(b.bare) as [Scenario, JobResult][]) {
    rows.push(['bare oidc-provider', '–', s, f0(r.perSec), f0(r.p50), f0(r.p99), '–', '–', '100 %', f0(r.perSec), ms3(r.cpuMsPerOp), '100 %', String(r.errors)]);
  }
  if (b.argon2PerSec) rows.push(['argon2id verify', '–', 'hash', f0(b.argon2PerSec), '–', '–', '–', '–', '100 %', f0(b.argon2PerSec), ms3(b.argon2CpuMs), '100 %', '0']);
  for (const run of runs) {
    for (const [s, m] of Object.entries(run.results) as [Scenario, Measured][]) {
      const c = ceiling(s, b, m);
      const cc = ceilingCpu(s, b, m);
      rows.push([
        run.engine,
        String(run.users),
        s,
        f0(m.peak.perSec),
        f0(m.peak.p50),
        f0(m.peak.p99),
        f0(m.half?.p99),
        m.peak.writesPerOp === undefined ? '–' : m.peak.writesPerOp.toFixed(1),
        c ? pct(m.peak.perSec / c) : '–',
        f0(c),
        ms3(m.peak.cpuMsPerOp),
        cc && m.peak.cpuMsPerOp ? pct(cc / m.peak.cpuMsPerOp) : '–',
        String(m.peak.errors + (m.half?.errors ?? 0)),
      ]);
    }
  }
  const all = [head, ...rows];
  return all.map((r) => `| ${r.join(' | ')} |`).join('\n').replace(/\n/, `\n|${head.map(() => '---').join('|')}|\n`);
}
