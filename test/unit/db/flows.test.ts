import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFlowRepository, type Flow, type FlowRepository } from '../../../src/db/flows.js';
import { randomId } from '../../../src/util/ids.js';
import { engines } from '../../helpers/server.js';
import { openDatabase, sleep, type OpenDatabase } from './open-db.js';

function newFlow(overrides: Partial<Flow> = {}): Flow {
  const now = Date.now() - 5000;
  return {
    uid: randomId(),
    state: 'identify',
    orgId: null,
    userId: null,
    data: { returnTo: '/auth/x', attempts: 0, note: 'ログイン 🔐' },
    createdAt: now,
    updatedAt: now,
    expiresAt: Date.now() + 600_000,
    ...overrides,
  };
}

for (const engine of engines()) {
  describe(`login flow repository (${engine})`, () => {
    let db: OpenDatabase;
    let flows: FlowRepository;

    before(async () => {
      db = await openDatabase(engine);
      flows = createFlowRepository(db.knex);
    });
    after(() => db.close());

    it('creates and finds a flow with its data', async () => {
      const flow = newFlow();
      await flows.create(flow);
      assert.deepEqual(await flows.find(flow.uid), flow);
    });

    it('create of an existing uid is ignored: the first flow stays, and only the first create says it stored', async () => {
      const flow = newFlow();
      assert.equal(await flows.create(flow), true);
      assert.equal(await flows.create({ ...flow, state: 'other', data: { overwritten: true } }), false);
      assert.deepEqual(await flows.find(flow.uid), flow);
    });

    it('advance from the expected state moves the flow on', async () => {
      const flow = newFlow();
      await flows.create(flow);
      const ok = await flows.advance(flow.uid, 'identify', { state: 'password', orgId: 'org-1', userId: 'user-1', data: { step: 2 } });
      assert.equal(ok, true);
      const found = await flows.find(flow.uid);
      assert.ok(found);
      assert.equal(found.state, 'password');
      assert.equal(found.orgId, 'org-1');
      assert.equal(found.userId, 'user-1');
      assert.deepEqual(found.data, { step: 2 });
      assert.ok(found.updatedAt > flow.updatedAt, 'updatedAt moves');
      assert.equal(found.createdAt, flow.createdAt);
      assert.equal(found.expiresAt, flow.expiresAt);
    });

    it('advance from the wrong state returns false and changes nothing', async () => {
      const flow = newFlow({ state: 'password', orgId: 'org-1', userId: 'user-1' });
      await flows.create(flow);
      const ok = await flows.advance(flow.uid, 'identify', { state: 'mfa', orgId: 'org-2', userId: 'user-2', data: { hijacked: true } });
      assert.equal(ok, false);
      assert.deepEqual(await flows.find(flow.uid), flow);
    });

    it('advance of an unknown flow returns false', async () => {
      assert.equal(await flows.advance(`unknown-${randomId()}`, 'identify', { state: 'password', orgId: null, userId: null, data: {} }), false);
    });

    it('two concurrent advances from the same state: exactly one wins', async () => {
      for (let round = 0; round < 10; round++) {
        const flow = newFlow();
        await flows.create(flow);
        const results = await Promise.all(
          ['a', 'b'].map((who) => flows.advance(flow.uid, 'identify', { state: `password-${who}`, orgId: null, userId: `user-${who}`, data: { who } })),
        );
        assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(results)}`);
        const winner = results[0] ? 'a' : 'b';
        const found = await flows.find(flow.uid);
        assert.equal(found?.state, `password-${winner}`);
        assert.equal(found?.userId, `user-${winner}`);
        assert.deepEqual(found?.data, { who: winner });
      }
    });

    it('many concurrent advances from the same state: exactly one wins', async () => {
      const flow = newFlow();
      await flows.create(flow);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => flows.advance(flow.uid, 'identify', { state: 'password', orgId: null, userId: null, data: { i } })),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.deepEqual((await flows.find(flow.uid))?.data, { i: results.indexOf(true) });
    });

    it('find of an expired flow returns undefined', async () => {
      const expired = newFlow({ expiresAt: Date.now() - 1 });
      await flows.create(expired);
      assert.equal(await flows.find(expired.uid), undefined);

      const shortLived = newFlow({ expiresAt: Date.now() + 300 });
      await flows.create(shortLived);
      assert.ok(await flows.find(shortLived.uid));
      await sleep(400);
      assert.equal(await flows.find(shortLived.uid), undefined);
    });

    it('find of an unknown flow returns undefined', async () => {
      assert.equal(await flows.find(`unknown-${randomId()}`), undefined);
    });

    it('remove deletes the flow', async () => {
      const flow = newFlow();
      await flows.create(flow);
      await flows.remove(flow.uid);
      assert.equal(await flows.find(flow.uid), undefined);
      assert.equal((await db.knex('login_flows').where({ uid: flow.uid })).length, 0);
    });
  });
}
