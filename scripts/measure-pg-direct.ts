// CPU per statement of the token endpoints' hot SELECT on PostgreSQL: knex.raw against
// src/db/pg-direct.ts (named prepared statement on a pooled connection) and, to show
// where the time goes, pg directly with an unnamed statement on one connection.
// Client CPU from process.cpuUsage(); server CPU from /proc/<pid>/stat of the backends
// serving this script's connections (so the server must be local).
//
//   IDP_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx scripts/measure-pg-direct.ts [count] [concurrency]
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { connect, migrate } from '../src/db/connect.js';
import { runPgDirect } from '../src/db/pg-direct.js';

const url = process.env.IDP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const count = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 4);
const knex = connect(url, concurrency + 1);
await migrate(knex);
await knex.raw("insert into oidc_payloads (type, id, payload) values ('Measure', 'm1', '{}') on conflict do nothing");
const sql = 'select payload, consumed_at from oidc_payloads where type = ? and id = ? and (expires_at is null or expires_at > ?) limit 1';

const TICK_US = 1e6 / 100; // USER_HZ
/** CPU time (µs) of the backends serving the pool's connections. */
function serverCpu(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
  }
  return ticks * TICK_US;
}
const poolPids = () => (knex.client as { pool: { free: { resource: pg.Client & { processID: number } }[] } }).pool.free.map((f) => f.resource.processID);

async function run(one: () => Promise<unknown>, n: number, concurrency: number): Promise<void> {
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await one();
    }),
  );
}

async function measure(label: string, one: () => Promise<unknown>, concurrency: number): Promise<void> {
  await run(one, 2000, concurrency); // warm-up: JIT, connections, prepared statements
  const pids = [...new Set([...poolPids(), conn.processID])];
  const server = serverCpu(pids);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await run(one, count, concurrency);
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const us = (used.user + used.system) / count;
  const serverUs = (serverCpu(pids) - server) / count;
  console.log(
    `${label.padEnd(30)} client ${us.toFixed(1).padStart(5)} µs CPU/statement, server ${serverUs.toFixed(1).padStart(5)} µs, ${((count / wall) * 1000).toFixed(0).padStart(6)} statements/s (concurrency ${concurrency})`,
  );
}

const direct = () => runPgDirect(knex, sql, ['Measure', 'm1', Date.now()])!;
const viaKnex = () => knex.raw(sql, ['Measure', 'm1', Date.now()]);
// one raw pg connection, unnamed statement: what is left without knex and without preparing
const conn = await (knex.client as { acquireConnection(): Promise<pg.Client & { processID: number }> }).acquireConnection();
const text = 'select payload, consumed_at from oidc_payloads where type = $1 and id = $2 and (expires_at is null or expires_at > $3) limit 1';
const unnamed = () => conn.query({ text, values: ['Measure', 'm1', Date.now()] });
const named = () => conn.query({ name: 'measure_named', text, values: ['Measure', 'm1', Date.now()] });

for (let round = 0; round < 2; round++) {
  await measure('knex.raw', viaKnex, concurrency);
  await measure('pg-direct (pool + named)', direct, concurrency);
}
// one connection: one statement at a time (pg would queue the others)
await measure('knex.raw', viaKnex, 1);
await measure('pg-direct (pool + named)', direct, 1);
await measure('pg client, unnamed, no pool', unnamed, 1);
await measure('pg client, named, no pool', named, 1);
await (knex.client as { releaseConnection(c: unknown): Promise<void> }).releaseConnection(conn);
await knex.raw("delete from oidc_payloads where type = 'Measure'");
await knex.destroy();
