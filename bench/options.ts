import { availableParallelism } from 'node:os';
import { z } from 'zod';

const list = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));

const SCENARIOS = ['cc', 'code', 'refresh', 'userinfo', 'introspection', 'signin', 'signin-remembered'] as const;
const twoCores = availableParallelism() >= 2;

const schema = z.object({
  engines: list(['sqlite', 'postgres'] as const).default(['sqlite', 'postgres']),
  users: z
    .string()
    .transform((s) => s.split(',').map((v) => Number(v.trim().replace(/k$/i, '000').replace(/m$/i, '000000'))))
    .pipe(z.array(z.number().int().min(10).max(10_000_000)).min(1))
    .default([1000, 1_000_000]),
  scenarios: list(SCENARIOS).default([...SCENARIOS]),
  duration: z.coerce.number().min(1).max(600).default(10),
  concurrency: z.coerce.number().int().min(1).max(1024).default(32),
  signinConcurrency: z.coerce.number().int().min(1).max(256).default(8),
  signinUsers: z.coerce.number().int().min(10).default(3000),
  halfRate: z.enum(['true', 'false']).transform((v) => v === 'true').default(true),
  baselines: z.enum(['true', 'false']).transform((v) => v === 'true').default(true),
  adjacent: z.enum(['true', 'false']).transform((v) => v === 'true').default(true),
  tool: z.enum(['wrk', 'node']).default('wrk'),
  serverCpus: z.string().regex(/^[\d,-]*$/).default(twoCores ? '0' : ''),
  loadCpus: z.string().regex(/^[\d,-]*$/).default(twoCores ? '1' : ''),
  pgUrl: z.string().default(process.env.IDP_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'),
  out: z.string().default('bench/results/latest.json'),
});

export type BenchOptions = z.infer<typeof schema>;
export const HELP = `npm run bench -- [--key=value …]
  --engines=sqlite,postgres     databases to run on
  --users=1k,1m                 users in the database (seeded in bulk)
  --scenarios=${SCENARIOS.join(',')}
  --duration=10                 seconds per measurement
  --concurrency=32              connections for token, userinfo and introspection load
  --signin-concurrency=8        sign-ins in flight
  --signin-users=3000           users with TOTP and a remembered browser (each TOTP code works once per user)
  --half-rate=true              also measure latency at half the peak rate (open loop)
  --baselines=true              bare oidc-provider and raw argon2id ceilings
  --adjacent=true               measure the ceiling again right before each of ours (ratios from the same moment)
  --tool=wrk                    wrk (Debian) or node for single-request scenarios
  --server-cpus=0 --load-cpus=1 taskset pinning (empty: no pinning)
  --pg-url=postgres://…         where to create the PostgreSQL benchmark database
  --out=bench/results/latest.json`;

/** `--key=value` pairs (kebab-case) into validated options; unknown keys are an error. */
export function parseOptions(argv: string[]): BenchOptions {
  const raw: Record<string, string> = {};
  for (const arg of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!m) throw new Error(`unexpected argument ${arg}\n${HELP}`);
    raw[m[1]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = m[2]!;
  }
  const parsed = schema.strict().safeParse(raw);
  if (!parsed.success) throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n${HELP}`);
  return parsed.data;
}
