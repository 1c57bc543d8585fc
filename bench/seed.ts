import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { loadConfig } from '../config/load.js';
import { connect, isSqlite, migrate } from '../src/db/connect.js';
import { createLogger } from '../src/logger.js';
import { createServices } from '../src/services.js';
import type { Fixture } from './load/fixture.js';

export type Engine = 'sqlite' | 'postgres';
export const BENCH_SECRET_KEY = 'bench-secret-key-that-is-long-enough-0123456789';
const PASSWORD = 'bench-password-Kq8#xv';
/** every seeded user shares this TOTP secret; the server seals it per user and refuses replays per user */
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createDatabase(engine: Engine, pgAdminUrl: string): Promise<BenchDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'idp-bench-'));
    return { url: `sqlite:${join(dir, 'idp.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `idp_bench_${randomBytes(5).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: pgAdminUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = knexFactory({ client: 'pg', connection: pgAdminUrl, pool: { min: 0, max: 1 } });
      await again.raw(`drop database if exists ${name} with (force)`);
      await again.destroy();
    },
  };
}

/**
 * `count` users in one INSERT … SELECT over a generated series: 1 M rows take seconds,
 * not 1 M argon2 calls. They share one real argon2id hash of PASSWORD, so verifying any
 * of them costs what a real sign-in costs.
 */
async function insertUsers(knex: Knex, orgId: string, count: number, passwordHash: string): Promise<void> {
  const now = Date.now();
  if (isSqlite(knex)) {
    await knex.raw(
      `with recursive s(g) as (select 1 union all select g + 1 from s where g < ?)
       insert into users (id, org_id, username, username_key, password_hash, email, email_verified, role,
                          must_change_password, disabled, password_changed_at, created_at, updated_at)
       select 'bench' || printf('%08d', g), ?, 'user' || printf('%08d', g), 'user' || printf('%08d', g), ?,
              'user' || printf('%08d', g) || '@example.com', 1, 'user', 0, 0, ?, ?, ?
       from s`,
      [count, orgId, passwordHash, now, now, now],
    );
  } else {
    await knex.raw(
      `insert into users (id, org_id, username, username_key, password_hash, email, email_verified, role,
                          must_change_password, disabled, password_changed_at, created_at, updated_at)
       select 'bench' || lpad(g::text, 8, '0'), ?, 'user' || lpad(g::text, 8, '0'), 'user' || lpad(g::text, 8, '0'), ?,
              'user' || lpad(g::text, 8, '0') || '@example.com', true, 'user', false, false, ?, ?, ?
       from generate_series(1, ?) g`,
      [orgId, passwordHash, now, now, now, count],
    );
  }
}

/** Seeds an organisation requiring TOTP, two clients, `users` users, and TOTP + a remembered browser for `signInUsers` of them. */
export async function seed(databaseUrl: string, users: number, signInUsers: number, base: string): Promise<Omit<Fixture, 'base'>> {
  const config = loadConfig({ NODE_ENV: 'test', IDP_DATABASE_URL: databaseUrl, IDP_SECRET_KEY: BENCH_SECRET_KEY, IDP_DATA_DIR: tmpdir(), IDP_ISSUER: base });
  const knex = connect(databaseUrl, 4);
  try {
    await migrate(knex);
    const services = createServices(config, knex, createLogger('silent'));
    const org = await services.repos.orgs.create({ code: 'BENCH', name: 'Bench Inc.', settings: { mfa: 'required', methods: ['totp'], rememberHours: 8 } });
    const web = { clientId: 'bench-web', clientSecret: randomBytes(18).toString('base64url'), redirectUri: 'http://127.0.0.1:9/callback' };
    await services.repos.clients.create({
      name: 'bench web',
      orgId: org.id,
      firstParty: true,
      requireMfa: false,
      metadata: {
        client_id: web.clientId,
        client_secret: web.clientSecret,
        redirect_uris: [web.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    });
    const service = { clientId: 'bench-service', clientSecret: randomBytes(18).toString('base64url') };
    await services.repos.clients.create({
      name: 'bench service',
      orgId: null,
      firstParty: true,
      requireMfa: false,
      metadata: {
        client_id: service.clientId,
        client_secret: service.clientSecret,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    });

    await insertUsers(knex, org.id, users, await services.hasher.hash(PASSWORD));

    // sign-in users spread over the whole table, so a large table is really searched
    const stride = Math.max(1, Math.floor(users / signInUsers));
    const now = Date.now();
    const chosen = Array.from({ length: Math.min(signInUsers, users) }, (_, i) => {
      const n = String(i * stride + 1).padStart(8, '0');
      return { id: `bench${n}`, username: `user${n}`, rememberToken: randomBytes(24).toString('base64url') };
    });
    for (let i = 0; i < chosen.length; i += 200) {
      const batch = chosen.slice(i, i + 200);
      await knex('factors').insert(
        batch.map((u) => ({
          id: `f-${u.id}`,
          user_id: u.id,
          type: 'totp',
          label: 'Authenticator',
          secret_encrypted: services.box.seal(TOTP_SECRET, `totp:${u.id}`),
          period: 30,
          digits: 6,
          confirmed_at: now,
          created_at: now,
        })),
      );
      await knex('remembered_browsers').insert(
        batch.map((u) => ({
          id: `rb-${u.id}`,
          user_id: u.id,
          token_hash: createHash('sha256').update(u.rememberToken).digest('hex'),
          amr: JSON.stringify(['otp']),
          user_agent: 'bench',
          created_at: now,
          expires_at: now + 8 * 3600_000,
        })),
      );
    }
    if (!isSqlite(knex)) {
      // A production table of a million users is not freshly bulk-loaded: vacuum now
      // (visibility map, hint bits, statistics) and checkpoint, so neither autovacuum's pass
      // over the new rows nor the load's dirty pages compete with the measurement.
      await knex.raw('vacuum (analyze)');
      await knex.raw('checkpoint').catch(() => undefined); // needs superuser or pg_checkpoint: best effort
    }
    return { web, service, password: PASSWORD, totpSecret: TOTP_SECRET, users: chosen.map(({ username, rememberToken }) => ({ username, rememberToken })) };
  } finally {
    await knex.destroy();
  }
}
