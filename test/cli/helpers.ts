import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { connect } from '../../src/db/connect.js';
import type { TestDatabase } from '../helpers/server.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'idp.js');

/** The key startTestServer uses by default: a server on the same database can decrypt what the CLI stored. */
export const SECRET_KEY = 'test-secret-key-that-is-long-enough-0123456789';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliTarget {
  database: TestDatabase;
  dataDir: string;
  env: Record<string, string>;
  /** a direct handle on the same database, to check what the CLI wrote */
  knex: Knex;
  close(): Promise<void>;
}

/** Environment of a CLI run: only what the test sets, so a developer's IDP_* settings do not leak in. */
export function cliEnvironment(database: TestDatabase, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    NODE_ENV: 'test',
    IDP_DATABASE_URL: database.url,
    IDP_DATA_DIR: dataDir,
    IDP_SECRET_KEY: SECRET_KEY,
    IDP_LOG_LEVEL: 'silent',
    ...extra,
  };
}

export function cliTarget(database: TestDatabase): CliTarget {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-cli-data-'));
  const knex = connect(database.url, 2);
  return {
    database,
    dataDir,
    env: cliEnvironment(database, dataDir),
    knex,
    async close() {
      await knex.destroy();
      rmSync(dataDir, { recursive: true, force: true });
      await database.drop();
    },
  };
}

/** Runs the real `node bin/idp.js …` and collects its output. */
export function idp(env: Record<string, string>, args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/**
 * Strips the lines a build or the oidc-provider runtime notice may add to stderr (the
 * tree is compiled on demand, so a build's output can appear in any run).
 */
export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l && !l.startsWith('oidc-provider WARNING') && !l.startsWith('building (tsc)'));
}

/** Asserts success and that stdout is exactly one JSON object; returns it. */
export function parseJson(result: CliResult): Record<string, unknown> {
  assert.equal(result.status, 0, `exit 0 expected; stderr: ${result.stderr}`);
  assert.ok(!errorLines(result.stderr).some((l) => l.startsWith('idp: ') && !l.startsWith('idp: warning')), result.stderr);
  assert.ok(result.stdout.endsWith('\n'), 'one line, newline-terminated');
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1, `exactly one line on stdout, got: ${result.stdout}`);
  const value: unknown = JSON.parse(lines[0]!);
  assert.ok(value && typeof value === 'object' && !Array.isArray(value), 'a JSON object');
  return value as Record<string, unknown>;
}

export async function idpJson(env: Record<string, string>, args: string[], input?: string): Promise<Record<string, unknown>> {
  return parseJson(await idp(env, [...args, '--json'], input));
}

/** Asserts success with human-readable (non-JSON) output; returns stdout. */
export async function idpText(env: Record<string, string>, args: string[], input?: string): Promise<string> {
  const result = await idp(env, args, input);
  assert.equal(result.status, 0, `exit 0 expected; stderr: ${result.stderr}`);
  assert.ok(result.stdout.trim().length > 0, 'some output');
  assert.ok(!result.stdout.trimStart().startsWith('{'), 'human text, not JSON');
  return result.stdout;
}

/**
 * Compiles once before the suites spawn bin/idp.js (which would otherwise compile on its
 * first run); a lock keeps test files running in parallel from compiling at the same time.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), `idp-cli-build-${Buffer.from(root).toString('hex').slice(-32)}.lock`);
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      if (i > 1200) throw new Error(`build lock ${lock} is held too long`);
      await sleep(250);
    }
  }
  try {
    const r = spawnSync(process.execPath, ['scripts/build-if-needed.mjs'], { cwd: root, encoding: 'utf8' });
    // tsc emits even with type errors elsewhere in the tree; the CLI needs only its output
    if (r.status !== 0 && !existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) {
      throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Every row the CLI could write, to prove a failed command wrote nothing. */
export async function snapshot(knex: Knex): Promise<Record<string, unknown[]>> {
  const tables: [string, string][] = [
    ['organisations', 'id'],
    ['users', 'id'],
    ['clients', 'client_id'],
    ['keys', 'kid'],
    ['throttles', 'key'],
    ['audit_events', 'id'],
  ];
  const out: Record<string, unknown[]> = {};
  for (const [table, key] of tables) out[table] = await knex(table).orderBy(key);
  return out;
}

export async function auditTypes(knex: Knex): Promise<string[]> {
  return (await knex('audit_events').orderBy('id').select('type')).map((r: { type: string }) => r.type);
}
