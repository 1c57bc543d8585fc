import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { connect, migrate } from '../../../src/db/connect.js';
import { runPgDirect, toPositional } from '../../../src/db/pg-direct.js';
import { execute, selectRows } from '../../../src/db/raw.js';
import { isDatabaseDown } from '../../../src/db/unavailable.js';
import { observeDatabase } from '../../../src/http/db-metrics.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/server.js';

describe('pg-direct: `?` placeholders to `$n`', () => {
  it('numbers the placeholders in order', () => {
    assert.deepEqual(toPositional('select * from t where a = ? and (b is null or b > ?) limit 1'), {
      text: 'select * from t where a = $1 and (b is null or b > $2) limit 1',
      params: 2,
    });
    assert.deepEqual(toPositional('select 1'), { text: 'select 1', params: 0 });
  });

  it('refuses SQL a plain scan could get wrong (knex runs it)', () => {
    for (const sql of [
      "select * from t where a = '?' and b = ?", // string literal
      'select "a?" from t where b = ?', // quoted identifier
      'select * from t where a = $1', // positional already / dollar quoting
      'select * from t where a \\? ?', // knex's escaped question mark
      'select ?? from t', // knex's identifier binding
      'select 1 -- why?\n',
      'select 1 /* why? */',
    ])
      assert.equal(toPositional(sql), undefined, sql);
  });
});

const pgOnly = process.env.IDP_TEST_DATABASE_URL ? describe : describe.skip;

pgOnly('pg-direct: raw.ts on PostgreSQL', () => {
  let database: TestDatabase;
  let knex: Knex;
  const sql = 'select payload, consumed_at from oidc_payloads where type = ? and id = ? and (expires_at is null or expires_at > ?) limit 1';
  const insert = 'insert into oidc_payloads (type, id, payload, grant_id) values (?, ?, ?, ?)';

  /** The pool's only connection (pool max 1), for looking at its session. */
  const onTheConnection = <T>(fn: (conn: pg.Client & { processID: number }) => Promise<T>) => onTheConnectionOf(knex, fn);
  async function onTheConnectionOf<T>(knex: Knex, fn: (conn: pg.Client & { processID: number }) => Promise<T>): Promise<T> {
    const client = knex.client as { acquireConnection(): Promise<pg.Client & { processID: number }>; releaseConnection(c: unknown): Promise<void> };
    const conn = await client.acquireConnection();
    try {
      return await fn(conn);
    } finally {
      await client.releaseConnection(conn);
    }
  }
  const prepared = () =>
    onTheConnection(async (conn) => (await conn.query<{ statement: string; runs: number }>('select statement, generic_plans + custom_plans as runs from pg_prepared_statements')).rows);

  before(async () => {
    database = await createTestDatabase('postgres');
    knex = connect(database.url, 1); // one connection: every statement lands on the same session
    await migrate(knex);
  });
  after(async () => {
    await knex?.destroy();
    await database?.drop();
  });

  it('runs the statements directly, prepared once per connection and reused', async () => {
    assert.ok(runPgDirect(knex, sql, ['T', 'x', 0]), 'the direct path takes it');
    assert.equal(await execute(knex, insert, ['T', 'a', '{"n":1}', 'g1']), 1);
    for (let i = 0; i < 3; i++) {
      const rows = await selectRows<{ payload: string; consumed_at: number | null }>(knex, sql, ['T', 'a', Date.now()]);
      assert.deepEqual(rows, [{ payload: '{"n":1}', consumed_at: null }]);
    }
    const statements = await prepared();
    const select = statements.find((s) => s.statement.startsWith('select payload'));
    assert.ok(select, 'the select is a prepared statement of the session');
    assert.match(select.statement, /type = \$1 and id = \$2 .* expires_at > \$3/);
    assert.ok(select.runs >= 3, `the one prepared statement ran ${select.runs} times`);
    assert.equal(statements.filter((s) => s.statement.startsWith('select payload')).length, 1);
  });

  it('keeps the statement metrics (query-response): reads, and writes that changed rows', async () => {
    const registry = new Registry();
    observeDatabase(knex, registry);
    const count = async (kind: string) => {
      const m = (await registry.getSingleMetric('idp_db_statements_total')!.get()).values.find((v) => v.labels.kind === kind);
      return m?.value ?? 0;
    };
    await selectRows(knex, sql, ['T', 'a', Date.now()]);
    await execute(knex, insert, ['T', 'b', '{}', 'g1']);
    await execute(knex, 'delete from oidc_payloads where type = ? and id = ?', ['T', 'nothing-here']);
    assert.equal(await count('write'), 1, 'the insert; the delete matched no row');
    assert.equal(await count('read'), 2);
    knex.removeAllListeners('query-response');
  });

  it('passes statement errors on with the SQL in front; the connection stays in use', async () => {
    const pid = await onTheConnection(async (conn) => conn.processID);
    const err = (await execute(knex, insert, ['T', 'a', '{}', null]).catch((e: unknown) => e)) as pg.DatabaseError;
    assert.equal(err.code, '23505', 'unique violation');
    assert.ok(err.message.startsWith(`${insert} - `), err.message);
    assert.equal(isDatabaseDown(err), false);
    assert.equal(await onTheConnection(async (conn) => conn.processID), pid, 'not replaced');
    await assert.rejects(selectRows(knex, 'select ? as a', []), /Expected 1 bindings, saw 0/);
    await assert.rejects(selectRows(knex, 'select ?::int as a', [undefined]), /Undefined binding/);
  });

  it('a connection the server ended while idle is replaced, and the statements prepared again', async () => {
    const pid = await onTheConnection(async (conn) => conn.processID);
    const other = connect(database.url, 1);
    try {
      await other.raw('select pg_terminate_backend(?)', [pid]);
    } finally {
      await other.destroy();
    }
    await new Promise((r) => setTimeout(r, 100)); // pg sees the connection end (knex marks it disposed)
    const rows = await selectRows(knex, sql, ['T', 'a', Date.now()]);
    assert.equal(rows.length, 1, 'the statement runs on a new connection');
    assert.notEqual(await onTheConnection(async (conn) => conn.processID), pid);
    assert.ok((await prepared()).some((s) => s.statement.startsWith('select payload')), 'prepared again on the new connection');
  });

  it('a connection lost during a statement is a database-down error, and is not handed out again', async () => {
    const pid = await onTheConnection(async (conn) => conn.processID);
    // the statement ends its own session, as a server shutdown would
    const err = await selectRows(knex, 'select pg_terminate_backend(pg_backend_pid())', []).catch((e: unknown) => e);
    assert.ok(err instanceof Error, 'the statement fails');
    assert.ok(isDatabaseDown(err), `a lost connection is a 503: ${String(err)}`);
    const rows = await selectRows(knex, sql, ['T', 'a', Date.now()]);
    assert.equal(rows.length, 1, 'the next statement runs on a new connection');
    assert.notEqual(await onTheConnection(async (conn) => conn.processID), pid);
  });

  it('a table that gains a column under a prepared `select *` is prepared afresh', async () => {
    await knex.raw('create table pg_direct_t (id text primary key)');
    await execute(knex, 'insert into pg_direct_t (id) values (?)', ['one']);
    assert.deepEqual(await selectRows(knex, 'select * from pg_direct_t where id = ?', ['one']), [{ id: 'one' }]);
    await knex.raw("alter table pg_direct_t add column note text default 'hello'"); // another instance's migration
    assert.deepEqual(await selectRows(knex, 'select * from pg_direct_t where id = ?', ['one']), [{ id: 'one', note: 'hello' }]);
  });

  it('turns to unnamed statements when prepared ones do not stay on the connection (a pooler in transaction mode)', async () => {
    const other = connect(database.url, 1); // a knex instance of its own: the switch is per instance
    try {
      await selectRows(other, sql, ['T', 'a', Date.now()]);
      // as if the pooler had given us another server connection: pg still believes the statement prepared
      await onTheConnectionOf(other, (conn) => conn.query('deallocate all'));
      assert.equal((await selectRows(other, sql, ['T', 'a', Date.now()])).length, 1, 'the statement still runs');
      assert.equal((await selectRows(other, sql, ['T', 'a', Date.now()])).length, 1);
      const names = await onTheConnectionOf(other, async (conn) => (await conn.query('select name from pg_prepared_statements')).rows);
      assert.deepEqual(names, [], 'nothing prepared any more');
    } finally {
      await other.destroy();
    }
    assert.ok((await prepared()).length > 0, 'other instances keep their prepared statements');
  });

  it('inside a transaction, runs through knex on the transaction (no second connection)', async () => {
    // with one pooled connection, taking another one from the pool would wait forever
    await knex.transaction(async (trx) => {
      assert.equal(runPgDirect(trx, sql, ['T', 'c', 0]), undefined);
      await execute(trx, insert, ['T', 'c', '{"in":"trx"}', null]);
      const rows = await selectRows<{ payload: string }>(trx, sql, ['T', 'c', Date.now()]);
      assert.deepEqual(rows.map((r) => r.payload), ['{"in":"trx"}'], 'sees its own uncommitted row');
      throw new Error('roll back');
    }).catch((e: unknown) => assert.equal((e as Error).message, 'roll back'));
    assert.deepEqual(await selectRows(knex, sql, ['T', 'c', Date.now()]), [], 'rolled back');
  });

  it('leaves SQL it cannot convert, and bindings knex inlines, to knex', async () => {
    assert.equal(runPgDirect(knex, "select '?' as q, ? as a", [1]), undefined);
    assert.deepEqual(await selectRows(knex, "select 'x' as q, ?::int as a", [1]), [{ q: 'x', a: 1 }]);
    assert.equal(runPgDirect(knex, 'select ? as a', [knex.raw('1')]), undefined);
    assert.deepEqual(await selectRows(knex, 'select ? as a', [knex.raw('1')]), [{ a: 1 }]);
  });
});
