import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import knexFactory from 'knex';
import { createClient, createOrg, type FixtureClient } from '../helpers/fixtures.js';
import { basicAuth, clientCredentialsGrant, loadLoop, until } from '../helpers/load-loop.js';
import { createPgCluster, type PgCluster } from '../helpers/pg-cluster.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Runs on a PostgreSQL server of its own (never the shared one): the test stops,
// crashes and restarts it under load.

describe('resilience: the database goes away under load (own PostgreSQL server)', () => {
  let cluster: PgCluster;
  let server: TestServer;
  let client: FixtureClient;

  before(async () => {
    cluster = await createPgCluster();
    const admin = knexFactory({ client: 'pg', connection: cluster.url(), pool: { min: 0, max: 1 } });
    await admin.raw('create database idp');
    await admin.destroy();
    server = await startTestServer({ database: { url: cluster.url('idp'), drop: async () => {} }, env: { IDP_DATABASE_POOL_MAX: '4' } });
    const org = await createOrg(server.services, 'ACME');
    client = await createClient(server.services, { orgId: org.id, grantTypes: ['client_credentials'] });
  });
  after(async () => {
    await server?.stop();
    await cluster?.destroy();
  });

  it('answers 503 with a clear message while the database is down, and recovers by itself', async () => {
    const load = loadLoop(() => clientCredentialsGrant(server.url, client));
    await until('first grants', () => load.outcomes.some((o) => o.status === 200));
    await cluster.stop('fast');
    const downFrom = load.outcomes.length;
    await until('503 answers', () => load.outcomes.slice(downFrom).filter((o) => o.status === 503).length >= 5);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503, '/readyz reports the database down');
    const page = await fetch(`${server.url}/interaction/whatever`, { headers: { accept: 'text/html' } });
    assert.ok([503, 410].includes(page.status), `hosted page during the outage: ${page.status}`);
    await cluster.start();
    const upFrom = load.outcomes.length;
    await until('grants again', () => load.outcomes.slice(upFrom).filter((o) => o.status === 200).length >= 5);
    await load.stop();

    const during = load.outcomes.slice(downFrom, upFrom);
    const unavailable = during.filter((o) => o.status === 503);
    assert.ok(unavailable.length >= 5, 'requests during the outage get 503');
    for (const o of unavailable) {
      const body = JSON.parse(o.body) as { error: string; error_description: string };
      assert.equal(body.error, 'temporarily_unavailable');
      assert.match(body.error_description, /database is unavailable/);
    }
    const others = load.outcomes.filter((o) => o.status !== 200 && o.status !== 503);
    assert.deepEqual(others, [], 'no 500s, no dropped connections');
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200, 'ready again without a restart');
  });

  it('loses no acknowledged write when the database is killed (-9) under load', async () => {
    const load = loadLoop(() => clientCredentialsGrant(server.url, client), { concurrency: 6 });
    await until('grants', () => load.outcomes.filter((o) => o.status === 200).length >= 50);
    await cluster.stop('kill');
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();
    await cluster.start();
    const acknowledged = load.outcomes.filter((o) => o.token).map((o) => o.token!);
    assert.ok(acknowledged.length >= 50);
    // every token the client was given is still stored after crash recovery
    const check = knexFactory({ client: 'pg', connection: cluster.url('idp'), pool: { min: 0, max: 1 } });
    try {
      const stored = new Set<string>();
      for (let i = 0; i < acknowledged.length; i += 500) {
        const rows = await check('oidc_payloads').where({ type: 'ClientCredentials' }).whereIn('id', acknowledged.slice(i, i + 500)).select('id');
        for (const r of rows) stored.add(r.id as string);
      }
      const lost = acknowledged.filter((t) => !stored.has(t));
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged tokens lost`);
    } finally {
      await check.destroy();
    }
    // and the server serves again by itself
    await until('grants after the crash', async () => {
      const res = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      return res.status === 200;
    });
  });
});
