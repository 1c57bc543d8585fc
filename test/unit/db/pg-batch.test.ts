import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { keyedLookup, runBatched } from '../../../src/db/pg-batch.js';
import { createOidcPayloadRepository } from '../../../src/db/oidc-payloads.js';
import { createUserRepository } from '../../../src/db/users.js';
import { Registry } from 'prom-client';
import { observeDatabase } from '../../../src/http/db-metrics.js';
import { openDatabase, type OpenDatabase } from './open-db.js';

const lookup = keyedLookup<{ id: string; payload: string }>('select id, payload from oidc_payloads where type = ? and id = any(?)', 'AccessToken', 'id', (ids) => ['AccessToken', ids]);

describe('pg-batch on SQLite: not used (no round trip to save)', () => {
  it('leaves the lookup to the caller', async () => {
    const db = await openDatabase('sqlite');
    try {
      assert.equal(runBatched(db.knex, lookup, 'a'), undefined);
    } finally {
      await db.close();
    }
  });
});

const pgOnly = process.env.IDP_TEST_DATABASE_URL ? describe : describe.skip;

pgOnly('pg-batch: lookups of one event-loop turn share one statement (PostgreSQL)', () => {
  let db: OpenDatabase;
  let knex: Knex;
  /** the statements knex reports (the statement metrics count the same events) */
  let statements: string[] = [];
  const listen = (_r: unknown, q: { sql: string }) => statements.push(q.sql);

  before(async () => {
    db = await openDatabase('postgres');
    knex = db.knex;
    const payloads = createOidcPayloadRepository(knex);
    for (const id of ['a', 'b', 'c']) await payloads.upsert('AccessToken', id, { id, kind: 'AccessToken' }, 600);
    await payloads.upsert('Grant', 'a', { id: 'a', kind: 'Grant' }, 600); // same id, other model
    await payloads.upsert('AccessToken', 'old', { id: 'old' }, 600);
    for (const id of ['s1', 's2', 's3']) await payloads.upsert('Session', id, { id, uid: `uid-${id}` }, 600);
    await knex('oidc_payloads').where({ type: 'Session', id: 's3' }).update({ expires_at: Date.now() - 1 });
    await knex('oidc_payloads').where({ type: 'AccessToken', id: 'old' }).update({ expires_at: Date.now() - 1 });
    knex.on('query-response', listen);
  });
  after(async () => {
    knex?.off('query-response', listen);
    await db?.close();
  });

  it('concurrent finds of one model: one statement, each caller its own row (or none)', async () => {
    const payloads = createOidcPayloadRepository(knex);
    statements = [];
    const found = await Promise.all(['a', 'b', 'missing', 'c', 'a', 'old'].map((id) => payloads.find('AccessToken', id)));
    assert.deepEqual(
      found.map((f) => f?.payload.id),
      ['a', 'b', undefined, 'c', 'a', undefined],
      'rows go to the callers that asked for them; expired and missing ones are not found',
    );
    assert.equal(found[0]?.payload.kind, 'AccessToken');
    assert.notEqual(found[0], found[4], 'two callers of one key get their own objects');
    assert.equal(statements.length, 1, `one statement for six lookups: ${statements.join(' | ')}`);
    assert.match(statements[0]!, /id = any\(\?\)/);
  });

  it('concurrent finds of sessions by uid (each code exchange makes one): one statement, each caller its own row', async () => {
    const payloads = createOidcPayloadRepository(knex);
    statements = [];
    const found = await Promise.all(['uid-s1', 'uid-s2', 'uid-s3', 'uid-none', 'uid-s1'].map((uid) => payloads.findBy('Session', 'uid', uid)));
    assert.deepEqual(
      found.map((f) => f?.payload.id),
      ['s1', 's2', undefined, undefined, 's1'],
      'sessions go to the callers that asked for their uid; expired and missing ones are not found',
    );
    assert.equal(statements.length, 1, `one statement for five lookups: ${statements.join(' | ')}`);
    assert.match(statements[0]!, /uid = any\(\?\)/);
    assert.equal(await payloads.findBy('AccessToken', 'uid', 'uid-s1'), undefined, 'a uid of one model never answers for another');
  });

  it('different models are different statements: a grant id never answers for an access token', async () => {
    const payloads = createOidcPayloadRepository(knex);
    statements = [];
    const [token, grant, noGrant] = await Promise.all([payloads.find('AccessToken', 'a'), payloads.find('Grant', 'a'), payloads.find('Grant', 'b')]);
    assert.equal(token?.payload.kind, 'AccessToken');
    assert.equal(grant?.payload.kind, 'Grant');
    assert.equal(noGrant, undefined);
    assert.equal(statements.length, 2);
  });

  it('a lookup asked for in a later turn goes in a statement of its own', async () => {
    const payloads = createOidcPayloadRepository(knex);
    statements = [];
    const first = payloads.find('AccessToken', 'a');
    await new Promise((resolve) => setImmediate(resolve));
    const second = payloads.find('AccessToken', 'b');
    assert.deepEqual([(await first)?.payload.id, (await second)?.payload.id], ['a', 'b']);
    assert.equal(statements.length, 2);
  });

  it("a key the server refuses fails only its own lookup, not the others' in its statement", async () => {
    const payloads = createOidcPayloadRepository(knex);
    const results = await Promise.allSettled([payloads.find('AccessToken', 'a'), payloads.find('AccessToken', 'bad\u0000key'), payloads.find('AccessToken', 'c')]);
    assert.equal(results[0].status === 'fulfilled' && results[0].value?.payload.id, 'a');
    assert.equal(results[1].status, 'rejected');
    assert.match(String((results[1] as PromiseRejectedResult).reason), /0x00/);
    assert.equal(results[2].status === 'fulfilled' && results[2].value?.payload.id, 'c');
  });

  it('more keys than one statement takes are split over several', async () => {
    statements = [];
    const keys = Array.from({ length: 450 }, (_, i) => (i === 7 ? 'b' : `none-${i}`));
    const rows = await Promise.all(keys.map((k) => runBatched(knex, lookup, k)!));
    assert.deepEqual(rows[7]?.map((r) => r.id), ['b']);
    assert.equal(rows.filter((r) => r.length > 0).length, 1);
    assert.equal(statements.length, 3, '200 + 200 + 50 keys');
  });

  it('inside a transaction: no batching, the statement runs on the transaction', async () => {
    await knex.transaction(async (trx) => {
      assert.equal(runBatched(trx, lookup, 'a'), undefined);
      await trx('oidc_payloads').insert({ type: 'AccessToken', id: 'in-trx', payload: '{"id":"in-trx"}' });
      const found = await createOidcPayloadRepository(trx).find('AccessToken', 'in-trx');
      assert.equal(found?.payload.id, 'in-trx', 'sees its own uncommitted row');
      await trx.rollback();
    }).catch(() => undefined);
    assert.equal(await createOidcPayloadRepository(knex).find('AccessToken', 'in-trx'), undefined);
  });

  it('users with their organisation: batched the same way', async () => {
    const [org] = await knex('organisations').insert({ id: 'o1', code: 'o1', name: 'Org', settings: '{}', created_at: 1, updated_at: 1 }).returning('id');
    assert.ok(org);
    const users = createUserRepository(knex);
    const u1 = await users.create({ orgId: 'o1', username: 'one', passwordHash: 'x' });
    const u2 = await users.create({ orgId: 'o1', username: 'two', passwordHash: 'x' });
    statements = [];
    const [a, b, none] = await Promise.all([users.findByIdWithOrg(u1.id), users.findByIdWithOrg(u2.id), users.findByIdWithOrg('nobody')]);
    assert.deepEqual([a?.user.username, b?.user.username, none], ['one', 'two', undefined]);
    assert.equal(a?.org.code, 'o1');
    assert.equal(statements.length, 1);
  });

  it('writes of one turn: one statement each kind, every caller answered after the commit; rows counted per row', async () => {
    const payloads = createOidcPayloadRepository(knex);
    const registry = new Registry();
    observeDatabase(knex, registry);
    try {
      statements = [];
      await Promise.all([
        ...['w1', 'w2', 'w3'].map((id) => payloads.upsert('AccessToken', id, { id, grantId: 'g-w', accountId: 'acc' }, 600)),
        payloads.upsert('RefreshToken', 'w1', { id: 'w1', kind: 'RefreshToken' }),
      ]);
      assert.equal(statements.length, 1, `one insert for four rows of two models: ${statements.join(' | ')}`);
      const row = await knex('oidc_payloads').where({ type: 'AccessToken', id: 'w2' }).first();
      assert.equal(row.grant_id, 'g-w');
      assert.equal(row.account_id, 'acc');
      assert.ok(Number(row.expires_at) > Date.now());
      assert.equal((await knex('oidc_payloads').where({ type: 'RefreshToken', id: 'w1' }).first()).expires_at, null);

      statements = [];
      const [once, twice, other] = await Promise.all([payloads.consumeOnce('AccessToken', 'w1'), payloads.consumeOnce('AccessToken', 'w1'), payloads.consumeOnce('AccessToken', 'w2')]);
      assert.equal([once, twice].filter(Boolean).length, 1, 'of two racing uses of one token in one turn, exactly one wins');
      assert.equal(other, true);
      assert.equal(statements.length, 2, 'the repeated key went into a statement of its own');
      assert.equal(await payloads.consumeOnce('AccessToken', 'w1'), false);

      await Promise.all([payloads.consume('AccessToken', 'w3'), payloads.destroy('AccessToken', 'w2'), payloads.destroy('AccessToken', 'never')]);
      assert.ok((await payloads.find('AccessToken', 'w3'))?.consumedAt);
      assert.equal(await payloads.find('AccessToken', 'w2'), undefined);

      const text = await registry.metrics();
      // 4 upserted + 2 consumed + 1 consumed + 1 destroyed; the later lone consumeOnce changed nothing
      assert.match(text, /^idp_db_rows_written_total 8$/m);
    } finally {
      knex.removeAllListeners('query-response');
      knex.on('query-response', listen);
    }
  });

  it("a write the server refuses fails alone; the other writes of its statement are stored", async () => {
    const payloads = createOidcPayloadRepository(knex);
    const results = await Promise.allSettled([
      payloads.upsert('AccessToken', 'ok-1', { id: 'ok-1' }, 600),
      payloads.upsert('AccessToken', 'bad\u0000id', { id: 'x' }, 600),
      payloads.upsert('AccessToken', 'ok-2', { id: 'ok-2' }, 600),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.ok(await payloads.find('AccessToken', 'ok-1'));
    assert.ok(await payloads.find('AccessToken', 'ok-2'));
  });
});
