import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { createFlowRepository, type Flow } from '../../src/db/flows.js';
import { createOidcPayloadRepository } from '../../src/db/oidc-payloads.js';
import { createThrottleRepository } from '../../src/db/throttles.js';
import { randomId } from '../../src/util/ids.js';
import { engines } from '../helpers/server.js';
import { openDatabase, type OpenDatabase } from '../unit/db/open-db.js';

const HOUR = 3600_000;

const count = async (knex: Knex, table: string) => Number(((await knex(table).count({ n: '*' })) as [{ n: number | string }])[0].n);

function flow(uid: string, expiresAt: number): Flow {
  const now = Date.now();
  return { uid, state: 'password', orgId: null, userId: null, data: { uid }, createdAt: now - HOUR, updatedAt: now - HOUR, expiresAt };
}

for (const engine of engines()) {
  describe(`purge of expired rows (${engine})`, () => {
    let db: OpenDatabase;
    let knex: Knex;

    before(async () => {
      db = await openDatabase(engine);
      knex = db.knex;
    });
    after(() => db.close());

    it('oidc_payloads: purgeExpired removes only rows past their expiry and returns the count', async () => {
      const payloads = createOidcPayloadRepository(knex);
      const expired = ['AccessToken', 'Session', 'Interaction', 'AuthorizationCode'].map((type) => ({ type, id: randomId() }));
      const live = ['AccessToken', 'Session', 'RefreshToken'].map((type) => ({ type, id: randomId() }));
      const forever = { type: 'Grant', id: randomId() };
      for (const r of [...expired, ...live]) await payloads.upsert(r.type, r.id, { jti: r.id }, 3600);
      await payloads.upsert(forever.type, forever.id, { jti: forever.id });
      for (const r of expired) await knex('oidc_payloads').where(r).update({ expires_at: Date.now() - 1000 });

      assert.equal(await payloads.purgeExpired(), expired.length);
      assert.equal(await count(knex, 'oidc_payloads'), live.length + 1);
      for (const r of expired) assert.equal((await knex('oidc_payloads').where(r)).length, 0, `${r.type} is purged`);
      for (const r of [...live, forever]) assert.ok(await payloads.find(r.type, r.id), `${r.type} is kept`);
      assert.equal(await payloads.purgeExpired(), 0);
    });

    it('oidc_payloads: the `now` argument decides what is expired', async () => {
      const payloads = createOidcPayloadRepository(knex);
      const soon = randomId();
      const later = randomId();
      await payloads.upsert('AccessToken', soon, { jti: soon }, 60);
      await payloads.upsert('AccessToken', later, { jti: later }, 7200);
      const before = await count(knex, 'oidc_payloads');
      assert.equal(await payloads.purgeExpired(Date.now() + 2 * 60_000), 1);
      assert.equal(await payloads.find('AccessToken', soon), undefined);
      assert.ok(await payloads.find('AccessToken', later));
      assert.equal(await count(knex, 'oidc_payloads'), before - 1);
    });

    it('login_flows: purgeExpired removes only flows past their expiry and returns the count', async () => {
      const flows = createFlowRepository(knex);
      const expired = [randomId(), randomId()];
      const live = [randomId(), randomId(), randomId()];
      for (const uid of expired) await flows.create(flow(uid, Date.now() - 1000));
      for (const uid of live) await flows.create(flow(uid, Date.now() + HOUR));

      assert.equal(await flows.purgeExpired(), expired.length);
      assert.equal(await count(knex, 'login_flows'), live.length);
      for (const uid of expired) assert.equal((await knex('login_flows').where({ uid })).length, 0);
      for (const uid of live) assert.equal((await flows.find(uid))?.uid, uid);
      assert.equal(await flows.purgeExpired(), 0);
    });

    it('throttles: purge removes stale counters but keeps recent ones and active locks', async () => {
      const throttles = createThrottleRepository(knex);
      const now = Date.now();
      const old = now - 2 * HOUR;
      const noLock = () => 0;
      await throttles.recordFailure('stale', old, old - HOUR, noLock);
      await throttles.recordFailure('stale-expired-lock', old, old - HOUR, () => HOUR); // locked until now - 1 h
      await throttles.recordFailure('stale-active-lock', old, old - HOUR, () => 3 * HOUR); // locked until now + 1 h
      await throttles.recordFailure('recent', now, now - HOUR, noLock);

      assert.equal(await throttles.purge(now - HOUR), 2);
      const left = (await throttles.get(['stale', 'stale-expired-lock', 'stale-active-lock', 'recent'])).map((s) => s.key).sort();
      assert.deepEqual(left, ['recent', 'stale-active-lock']);
      assert.equal(await throttles.purge(now - HOUR), 0);
    });
  });
}
