/**
 * The production build (`dist/src/main.js`) run as a child process, for tests that send
 * it signals: SIGTERM (graceful shutdown) and SIGKILL (crash).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, createOrg, createUser, type FixtureClient, type FixtureUser } from './fixtures.js';
import { createTestDatabase, type Engine, startTestServer, type TestDatabase } from './server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TEST_SECRET_KEY = 'test-secret-key-that-is-long-enough-0123456789';

/** Compiles dist/ when a source is newer (as `npm start` does); fails with the compiler's output. */
export function buildProduction(): void {
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-if-needed.mjs')], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`cannot run: the production build failed\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? e.message}`);
  }
  if (!existsSync(join(ROOT, 'dist/src/main.js'))) throw new Error('cannot run: the build produced no dist/src/main.js');
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the exit was seen */
  at: number;
}

export interface ChildServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** stdout and stderr so far (pino JSON lines and start-up messages) */
  output(): string;
  /** set once the process has exited */
  exit: ChildExit | undefined;
  exited: Promise<ChildExit>;
  /** SIGTERM and wait; SIGKILL if it has not exited after 15 s */
  stop(): Promise<ChildExit>;
}

export interface ChildOptions {
  databaseUrl: string;
  port: number;
  env?: Record<string, string>;
}

/** Starts `node dist/src/main.js` and resolves when /readyz answers 200; fails with its output otherwise. */
export async function startChild(opts: ChildOptions): Promise<ChildServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-child-'));
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/main.js')], {
    cwd: ROOT,
    // only what the server needs: a developer's own IDP_* settings must not leak in
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'test',
      PORT: String(opts.port),
      IDP_HOST: '127.0.0.1',
      IDP_ISSUER: `http://localhost:${opts.port}`,
      IDP_DATABASE_URL: opts.databaseUrl,
      IDP_DATA_DIR: dataDir,
      IDP_SECRET_KEY: TEST_SECRET_KEY,
      IDP_LOG_LEVEL: 'info',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const server: ChildServer = {
    url: `http://localhost:${opts.port}`,
    port: opts.port,
    process: child,
    output: () => output,
    exit: undefined,
    exited: new Promise<ChildExit>((resolve) => {
      child.once('exit', (code, signal) => {
        server.exit = { code, signal, at: performance.now() };
        rmSync(dataDir, { recursive: true, force: true });
        resolve(server.exit);
      });
    }),
    async stop() {
      if (server.exit) return server.exit;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const exit = await server.exited;
      clearTimeout(killer);
      return exit;
    },
  };

  const deadline = Date.now() + 30_000;
  while (!server.exit) {
    try {
      const res = await fetch(`http://127.0.0.1:${opts.port}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await server.exited;
      throw new Error(`cannot run: the server did not become ready in 30 s\n${tail(output)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`cannot run: the server exited at start-up (code ${server.exit.code}, signal ${server.exit.signal})\n${tail(output)}`);
}

export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export interface SeededDatabase {
  database: TestDatabase;
  client: FixtureClient;
  user: FixtureUser;
}

/**
 * A fresh database with an organisation, a user and one client allowed the code,
 * refresh and client-credentials grants: written by an in-process server that is then
 * stopped, so only the child uses the database afterwards.
 */
export async function seedDatabase(engine: Engine, env: Record<string, string> = {}): Promise<SeededDatabase> {
  const database = await createTestDatabase(engine);
  const seeder = await startTestServer({ database, secretKey: TEST_SECRET_KEY, env }).catch(async (err: unknown) => {
    await database.drop();
    throw err;
  });
  try {
    const org = await createOrg(seeder.services, 'ACME');
    const user = await createUser(seeder.services, org, { username: 'alice' });
    const client = await createClient(seeder.services, {
      orgId: org.id,
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
    return { database, client, user };
  } finally {
    await seeder.stop();
  }
}
