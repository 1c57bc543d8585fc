import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Job, JobResult } from './load/fixture.js';

const exec = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
export const benchTmp = mkdtempSync(join(tmpdir(), 'idp-bench-run-'));

/** `taskset -c CPUS cmd …` when CPUs are given, so server and load generator do not share a core. */
function pinned(cpus: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return cpus ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args];
}

export interface Child {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

async function waitFor(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}): ${log()}`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer in 30 s: ${log()}`);
}

function startChild(cmd: string, args: string[], env: Record<string, string>, readyUrl: string, cpus: string | undefined): Promise<Child> {
  const [c, a] = pinned(cpus, cmd, args);
  const child = spawn(c, a, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = new URL(readyUrl).origin;
  return waitFor(readyUrl, child, () => stderr).then(() => ({
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  }));
}

/** Our server, built (`dist/`) and started as in production: `node dist/src/main.js`. */
export async function startIdp(port: number, databaseUrl: string, secretKey: string, cpus: string | undefined, env: Record<string, string> = {}): Promise<Child> {
  await exec(process.execPath, ['scripts/build-if-needed.mjs'], { cwd: root });
  // IDP_BENCH_PROFILE=<dir>: the server writes a V8 CPU profile there when it stops;
  // IDP_BENCH_SERVER_FLAGS: Node/V8 flags for the server (e.g. GC settings to compare)
  const profile = process.env.IDP_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.IDP_BENCH_PROFILE}`] : [];
  return startChild(
    process.execPath,
    [...profile, ...(process.env.IDP_BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []), 'dist/src/main.js'],
    {
      NODE_ENV: 'test',
      PORT: String(port),
      IDP_HOST: '127.0.0.1',
      IDP_ISSUER: `http://localhost:${port}`,
      IDP_DATABASE_URL: databaseUrl,
      IDP_SECRET_KEY: secretKey,
      IDP_DATA_DIR: mkdtempSync(join(benchTmp, 'data-')),
      IDP_DEMO: 'false',
      ...env,
    },
    `http://127.0.0.1:${port}/readyz`,
    cpus,
  );
}

export function startBare(port: number, secrets: { web: string; service: string }, cpus: string | undefined): Promise<Child> {
  return startChild(
    process.execPath,
    ['--import', 'tsx', 'bench/bare-provider.ts'],
    { NODE_ENV: 'production', PORT: String(port), BENCH_WEB_SECRET: secrets.web, BENCH_SERVICE_SECRET: secrets.service },
    `http://127.0.0.1:${port}/.well-known/openid-configuration`,
    cpus,
  );
}

let jobs = 0;
/** One load-generator run in its own process. */
export async function runLoad(job: Job, cpus: string | undefined): Promise<JobResult> {
  const file = join(benchTmp, `job-${jobs++}.json`);
  writeFileSync(file, JSON.stringify(job));
  const [c, a] = pinned(cpus, process.execPath, ['--import', 'tsx', 'bench/load.ts', file]);
  const { stdout } = await exec(c, a, { cwd: root, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as JobResult;
}

export async function argon2Ceiling(seconds: number, cpus: string | undefined): Promise<{ perSec: number; concurrency: number; cpuMsPerHash: number }> {
  const [c, a] = pinned(cpus, process.execPath, ['--import', 'tsx', 'bench/argon2-ceiling.ts', String(seconds)]);
  const { stdout } = await exec(c, a, { cwd: root });
  return JSON.parse(stdout.trim()) as { perSec: number; concurrency: number; cpuMsPerHash: number };
}

