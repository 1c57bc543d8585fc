import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server.js';

/**
 * A throwaway PostgreSQL server of the test's own (initdb into a temporary directory, its
 * own port and socket directory), so a test may stop, kill and restart it without
 * touching the shared server on 5432.
 */
export interface PgCluster {
  url(database?: string): string;
  start(): Promise<void>;
  /** fast shutdown (SIGINT), or SIGKILL to the postmaster: a crash */
  stop(mode?: 'fast' | 'kill'): Promise<void>;
  destroy(): Promise<void>;
}

function binDir(): string {
  const candidates = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
  for (const dir of candidates) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  try {
    const initdb = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
    if (initdb) return initdb.replace(/\/initdb$/, '');
  } catch {
    // not on PATH either
  }
  throw new Error('PostgreSQL server binaries (initdb, postgres) not found: install them with `apt-get install postgresql` (Debian)');
}

export async function createPgCluster(): Promise<PgCluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'idp-pg-'));
  const data = join(dir, 'data');
  // PostgreSQL refuses to run as root: run it as the postgres user, owning the directory
  const asRoot = process.getuid?.() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const [c, a] = wrap(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  execFileSync(c, a, { stdio: 'pipe' });
  const port = await freePort();
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;

  async function ready(): Promise<void> {
    for (let i = 0; i < 150; i++) {
      const client = new pg.Client({ connectionString: url() });
      try {
        await client.connect();
        await client.query('select 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('the test PostgreSQL server did not start in 15 s');
  }
  const postmasterPid = () => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const running = () => existsSync(join(data, 'postmaster.pid'));

  let group = 0;
  const cluster: PgCluster = {
    url,
    async start() {
      const [cmd, args] = wrap(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on']);
      const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
      child.unref();
      group = child.pid!;
      await ready();
    },
    async stop(mode = 'fast') {
      if (!running()) return;
      const pid = postmasterPid();
      // a crash takes every server process at once (the whole process group), as a power cut would
      if (mode === 'kill') process.kill(-group, 'SIGKILL');
      else process.kill(pid, 'SIGINT');
      for (let i = 0; i < 200; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break; // gone
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (mode === 'kill') {
        await new Promise((r) => setTimeout(r, 300));
        rmSync(join(data, 'postmaster.pid'), { force: true });
      }
    },
    async destroy() {
      await cluster.stop('fast').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
