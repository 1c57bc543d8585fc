/** What the orchestrator seeded (or the bare provider offers), passed to the load generator. */
export interface Fixture {
  base: string;
  /** confidential client for the code flow, refresh, userinfo and introspection */
  web: { clientId: string; clientSecret: string; redirectUri: string };
  /** client allowed the client_credentials grant */
  service: { clientId: string; clientSecret: string };
  /** our server: sign-in users; the bare provider: none (tokens come from `mintPath`) */
  password?: string;
  totpSecret?: string;
  users?: { username: string; rememberToken: string }[];
  /** bare provider only: mints codes and tokens in-process, GET mintPath?kind=code|refresh|access&n= */
  mintPath?: string;
}

export type Scenario = 'cc' | 'code' | 'refresh' | 'userinfo' | 'introspection' | 'signin' | 'signin-remembered';

export interface Job {
  scenario: Scenario;
  fixture: Fixture;
  concurrency: number;
  durationSec: number;
  /** open loop at this many arrivals per second; closed loop (as fast as possible) when absent */
  rate?: number;
  /** the server's process: its CPU time is read at the start and end of the timed part */
  serverPid?: number;
}

export interface JobResult {
  scenario: Scenario;
  completed: number;
  errors: number;
  errorSample?: string;
  elapsedSec: number;
  perSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** database writes per completed operation during the timed part (our server only) */
  writesPerOp?: number;
  /** the server's CPU time (all threads) per operation during the timed part, ms */
  cpuMsPerOp?: number;
  /** the server's CPU use during the timed part, in cores: at half the peak rate on one pinned core, about half */
  serverCores?: number;
  /** the Node load generator's own CPU use during the timed part, in cores (near 1: it, not the server, may be the limit) */
  generatorCores?: number;
  /** the longest the load generator's own event loop was held up (a stall there delays every request due meanwhile) */
  generatorMaxStallMs?: number;
}
