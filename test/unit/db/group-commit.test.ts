import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../../src/db/connect.js';
import { execute, selectRows } from '../../../src/db/raw.js';
import { openDatabase, type OpenDatabase } from './open-db.js';

// SQLite's group commit (CachingBetterSqlite3Client.queueWrite): writes of one event-loop
// turn share a transaction; each settles only after COMMIT, with its own outcome.
const INSERT = 'insert into login_flows (uid, state, org_id, user_id, data, created_at, updated_at, expires_at) values (?, ?, null, null, ?, ?, ?, ?)';
const ADVANCE = 'update login_flows set state = ? where uid = ? and state = ?';
const flow = (uid: string) => [uid, 'password', '{}', Date.now(), Date.now(), Date.now() + 600_000];

describe('SQLite group commit', () => {
  let db: OpenDatabase;

  before(async () => {
    db = await openDatabase('sqlite');
  });
  after(() => db.close());

  const count = async (prefix: string) =>
    Number((await selectRows<{ n: number }>(db.knex, 'select count(*) as n from login_flows where uid like ?', [`${prefix}%`]))[0]!.n);

  it('commits the writes of one turn together and settles each after the commit', async () => {
    const uids = Array.from({ length: 20 }, (_, i) => `batch-a-${i}`);
    const results = await Promise.all(uids.map((uid) => execute(db.knex, INSERT, flow(uid))));
    assert.deepEqual(results, uids.map(() => 1));
    // another connection sees every one of them: they were committed before the promises settled
    const other = connect(db.database.url);
    try {
      const [row] = await selectRows<{ n: number }>(other, "select count(*) as n from login_flows where uid like 'batch-a-%'", []);
      assert.equal(Number(row!.n), 20);
    } finally {
      await other.destroy();
    }
  });

  it('gives racing compare-and-set updates in one batch one winner', async () => {
    await execute(db.knex, INSERT, flow('race-1'));
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => execute(db.knex, ADVANCE, ['totp', 'race-1', 'password'])));
    assert.deepEqual(outcomes.sort(), [0, 0, 0, 1]);
  });

  it('fails only the write that broke a constraint; the rest of its batch commits', async () => {
    await execute(db.knex, INSERT, flow('dup-1'));
    const settled = await Promise.allSettled([
      execute(db.knex, INSERT, flow('batch-b-1')),
      execute(db.knex, INSERT, flow('dup-1')), // primary key taken
      execute(db.knex, INSERT, flow('batch-b-2')),
    ]);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((settled[1] as PromiseRejectedResult).reason), /UNIQUE|constraint/i);
    assert.equal(await count('batch-b-'), 2);
  });

  it('waits for a knex transaction that holds the connection instead of writing inside it', async () => {
    let writeSettled = false;
    await db.knex.transaction(async (trx) => {
      await trx('login_flows').insert({ uid: 'trx-1', state: 'password', data: '{}', created_at: 1, updated_at: 1, expires_at: Date.now() + 600_000 });
      const pending = execute(db.knex, INSERT, flow('after-trx-1')).then(() => {
        writeSettled = true;
      });
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(writeSettled, false, 'the queued write must not run inside the open transaction');
      void pending;
      throw new Error('roll back');
    }).catch((err: Error) => assert.equal(err.message, 'roll back'));
    // the transaction rolled back; the queued write, run after it, is there on its own
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(writeSettled, true);
    assert.equal(await count('trx-1'), 0);
    assert.equal(await count('after-trx-1'), 1);
  });

  it('writes far fewer log frames for concurrent writes than for the same writes one by one', async () => {
    // WAL frames appended since an emptied log: every commit appends the pages it changed
    const frames = async () => Number((await selectRows<{ log: number }>(db.knex, 'pragma wal_checkpoint(PASSIVE)', []))[0]!.log);
    await selectRows(db.knex, 'pragma wal_checkpoint(TRUNCATE)', []);
    for (let i = 0; i < 50; i++) await execute(db.knex, INSERT, flow(`one-by-one-${i}`));
    const sequential = await frames();
    await selectRows(db.knex, 'pragma wal_checkpoint(TRUNCATE)', []);
    await Promise.all(Array.from({ length: 50 }, (_, i) => execute(db.knex, INSERT, flow(`together-${i}`))));
    const grouped = await frames();
    assert.equal(await count('together-'), 50);
    assert.ok(sequential >= 50, `each awaited write is a commit of its own (${sequential} frames)`);
    assert.ok(grouped * 5 < sequential, `50 concurrent writes: ${grouped} frames, one by one: ${sequential}`);
  });
});

describe('constant SQL inside a transaction (SQLite)', () => {
  let db: OpenDatabase;
  before(async () => {
    db = await openDatabase('sqlite');
  });
  after(() => db.close());

  it('runs on the transaction and rolls back with it (no queued write waiting for the connection)', async () => {
    await db.knex
      .transaction(async (trx) => {
        assert.equal(await execute(trx, INSERT, flow('in-trx-1')), 1);
        const rows = await selectRows<{ uid: string }>(trx, 'select uid from login_flows where uid = ?', ['in-trx-1']);
        assert.equal(rows.length, 1, 'visible inside its transaction');
        throw new Error('roll back');
      })
      .catch((err: Error) => assert.equal(err.message, 'roll back'));
    assert.equal((await selectRows(db.knex, 'select uid from login_flows where uid = ?', ['in-trx-1'])).length, 0);
  });
});
