import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { type Config, loadConfig } from '../../config/load.js';
import { createLogger } from '../../src/logger.js';
import { type RunningServer, startServer } from '../../src/server.js';

export type Engine = 'sqlite' | 'postgres';

/** Engines to run a suite on: SQLite always, PostgreSQL when IDP_TEST_DATABASE_URL is set. */
export function engines(): Engine[] {
  return process.env.IDP_TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database: a temporary SQLite file, or a new PostgreSQL database. */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'idp-test-'));
    return { url: `sqlite:${join(dir, 'idp.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.IDP_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('IDP_TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)');
  const name = `idp_test_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
      await again.raw(`drop database if exists ${name} with (force)`);
      await again.destroy();
    },
  };
}

export interface TestServer extends RunningServer {
  config: Config;
  database: TestDatabase;
  /** stops the server; keeps the database unless `dropDatabase` */
  stop(opts?: { dropDatabase?: boolean }): Promise<void>;
}

export interface TestServerOptions {
  engine?: Engine;
  database?: TestDatabase;
  env?: Record<string, string>;
  secretKey?: string;
  port?: number;
}

/** Starts the real server on a free port with a temporary database and quiet logs. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const database = opts.database ?? (await createTestDatabase(opts.engine ?? 'sqlite'));
  const port = opts.port ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-data-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    IDP_HOST: '127.0.0.1',
    IDP_ISSUER: `http://localhost:${port}`,
    IDP_DATABASE_URL: database.url,
    IDP_DATA_DIR: dataDir,
    IDP_SECRET_KEY: opts.secretKey ?? 'test-secret-key-that-is-long-enough-0123456789',
    IDP_LOG_LEVEL: process.env.IDP_TEST_LOG_LEVEL ?? 'silent',
    ...opts.env,
  });
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, logger);
  return {
    ...running,
    config,
    database,
    async stop(stopOpts = {}) {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (stopOpts.dropDatabase) await database.drop();
    },
  };
}
