import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JobResult, Scenario } from './load/fixture.js';

const run = promisify(execFile);

export interface WrkRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const luaString = (s: string) => JSON.stringify(s); // a JSON string is a valid Lua string literal here (ASCII only)

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

/** Runs Debian's wrk (keep-alive, closed loop) against one fixed request; latency from its --latency table. */
export async function runWrk(
  scenario: Scenario,
  base: string,
  req: WrkRequest,
  opts: { threads: number; connections: number; durationSec: number; tmpDir: string; cpus?: string | undefined },
): Promise<JobResult> {
  const script = join(tmpDir(opts), `${scenario}.lua`);
  const lines = [`wrk.method = ${luaString(req.method)}`, `wrk.path = ${luaString(req.path)}`];
  for (const [k, v] of Object.entries(req.headers)) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
  if (req.body !== undefined) lines.push(`wrk.body = ${luaString(req.body)}`);
  writeFileSync(script, `${lines.join('\n')}\n`);
  const args = ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.durationSec}s`, '--latency', '-s', script, base];
  const [cmd, argv] = opts.cpus ? ['taskset', ['-c', opts.cpus, 'wrk', ...args]] : ['wrk', args];
  const { stdout } = await run(cmd, argv, { maxBuffer: 1 << 20 });
  const perSec = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const total = /(\d+) requests in ([\d.]+)(\w+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const pct = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const max = /Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const completed = Number(total?.[1] ?? 0);
  return {
    scenario,
    completed: completed - non2xx,
    errors,
    ...(errors ? { errorSample: `wrk: ${non2xx} non-2xx responses` } : {}),
    elapsedSec: opts.durationSec,
    // wrk's rate counts every response; only successful ones count here
    perSec: completed ? (perSec * (completed - non2xx)) / completed : 0,
    p50: pct('50'),
    p90: pct('90'),
    p99: pct('99'),
    max: max ? toMs(max[1]!, max[2]!) : NaN,
  };
}

function tmpDir(opts: { tmpDir: string }): string {
  return opts.tmpDir;
}
