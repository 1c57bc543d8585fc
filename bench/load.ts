// The load generator: a separate process from the server under test. Reads one job
// (JSON file named on the command line), prints one JSON result line on stdout.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createClient } from './load/client.js';
import { cpuMillis } from './load/cpu.js';
import type { Job, JobResult } from './load/fixture.js';
import { rowsWritten } from './load/rows-written.js';
import { prepare } from './load/scenarios.js';
import { Latencies } from './load/stats.js';

/** Writes the server counted so far (our server only; the bare provider has no such metric). */
/** Our server's rows written so far; the bare provider has no database. */
const dbWrites = (f: Job['fixture']): Promise<number> | undefined => (f.mintPath ? undefined : rowsWritten(f.base));

const WARM_UP_MS = 1000;

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Job;
  const http = createClient(job.fixture.base, job.concurrency);
  const runner = await prepare(job.scenario, http, job.fixture, job);
  const latencies = new Latencies();
  let errors = 0;
  let errorSample: string | undefined;
  // Open loop: the schedule runs WARM_UP_MS before the recorded window, unrecorded, so the
  // generator's JIT and its connections (opened as the schedule needs them) are ready:
  // otherwise the first cold milliseconds queue up and land in the p99 of a short run.
  const warmUpMs = job.rate ? WARM_UP_MS : 0;
  const writesBefore = await dbWrites(job.fixture);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  const scheduleStart = performance.now();
  const started = scheduleStart + warmUpMs;
  const deadline = started + job.durationSec * 1000;
  let lastDone = started;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  // the server's CPU from the first timed completion on, so preparing codes and tokens is not counted
  let serverCpuAtStart: number | undefined;

  // one timed iteration; `since` is when it was due (open loop), so queueing counts
  const run = async (since: number) => {
    // the prepared codes ran out: nothing to send (the check and the take are one synchronous step)
    if (runner.exhausted()) return;
    try {
      await runner.iteration();
      const now = performance.now();
      if (since < started) return;
      if (!cpuAtStart) {
        cpuAtStart = process.cpuUsage();
        serverCpuAtStart = cpuMillis(job.serverPid);
        loopDelay.enable();
      }
      latencies.add(now - since);
      lastDone = now;
    } catch (err) {
      errors++;
      errorSample ??= (err as Error).message;
    }
  };

  if (job.rate) {
    // open loop: arrivals on a fixed schedule, at most `concurrency` in flight
    let due = 0;
    let inFlight = 0;
    const waiting: number[] = [];
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (inFlight < job.concurrency && waiting.length) {
          const since = waiting.shift()!;
          inFlight++;
          void run(since).finally(() => {
            inFlight--;
            pump();
            if ((performance.now() >= deadline || runner.exhausted()) && inFlight === 0 && !waiting.length) resolve();
          });
        }
      };
      const tick = setInterval(() => {
        const now = performance.now();
        if (now >= deadline || runner.exhausted()) {
          clearInterval(tick);
          waiting.length = 0;
          if (inFlight === 0) resolve();
          return;
        }
        while (scheduleStart + (due * 1000) / job.rate! <= now) waiting.push(scheduleStart + (due++ * 1000) / job.rate!);
        pump();
      }, 1);
    });
  } else {
    // closed loop: `concurrency` workers, each starting the next request when one ends
    const worker = async () => {
      while (performance.now() < deadline && !runner.exhausted()) await run(performance.now());
    };
    await Promise.all(Array.from({ length: job.concurrency }, worker));
  }
  const elapsedSec = ((runner.exhausted() ? lastDone : performance.now()) - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const serverCpuAtEnd = cpuMillis(job.serverPid);
  http.close();
  const writes = await dbWrites(job.fixture);
  const result: JobResult = {
    scenario: job.scenario,
    completed: latencies.count,
    errors,
    ...(errorSample ? { errorSample } : {}),
    elapsedSec,
    perSec: latencies.count / elapsedSec,
    ...latencies.summary(),
    generatorCores: (cpu.user + cpu.system) / 1e6 / Math.max(0.001, elapsedSec),
    generatorMaxStallMs: loopDelay.max / 1e6,
    ...(serverCpuAtStart !== undefined && serverCpuAtEnd !== undefined
      ? { cpuMsPerOp: (serverCpuAtEnd - serverCpuAtStart) / Math.max(1, latencies.count + errors), serverCores: (serverCpuAtEnd - serverCpuAtStart) / 1000 / Math.max(0.001, elapsedSec) }
      : {}),
    ...(writes !== undefined && writesBefore !== undefined ? { writesPerOp: (writes - writesBefore) / Math.max(1, latencies.count) } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  console.error(`load generator: ${(err as Error).stack}`);
  process.exit(1);
});
