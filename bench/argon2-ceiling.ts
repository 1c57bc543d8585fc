// The password sign-in ceiling: raw argon2id verifications per second at our parameters
// (the server's defaults or IDP_ARGON2_*), with as many in flight as the server allows
// (one per core available to this process). Prints one JSON line.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { hash, verify, Algorithm } from '@node-rs/argon2';
import { defaults } from '../config/defaults.js';

const seconds = Number(process.argv[2] ?? 5);
const params = {
  algorithm: Algorithm.Argon2id,
  memoryCost: Number(process.env.IDP_ARGON2_MEMORY_KIB ?? defaults.argon2.memoryKiB),
  timeCost: Number(process.env.IDP_ARGON2_ITERATIONS ?? defaults.argon2.iterations),
  parallelism: Number(process.env.IDP_ARGON2_PARALLELISM ?? defaults.argon2.parallelism),
};
const concurrency = availableParallelism();
const stored = await hash('bench-password-Kq8#xv', params);
let done = 0;
const cpu0 = process.cpuUsage();
const start = performance.now();
const deadline = start + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      if (!(await verify(stored, 'bench-password-Kq8#xv'))) throw new Error('verify failed');
      done++;
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuMsPerHash = (cpu.user + cpu.system) / 1000 / Math.max(1, done);
process.stdout.write(`${JSON.stringify({ perSec: done / elapsed, cpuMsPerHash, concurrency, params: { memoryKiB: params.memoryCost, iterations: params.timeCost, parallelism: params.parallelism } })}\n`);
