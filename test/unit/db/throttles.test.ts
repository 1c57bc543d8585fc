import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createThrottleRepository, type ThrottleRepository } from '../../../src/db/throttles.js';
import { randomId } from '../../../src/util/ids.js';
import { engines } from '../../helpers/server.js';
import { openDatabase, type OpenDatabase } from './open-db.js';

const MINUTE = 60_000;
const never = () => 0;

for (const engine of engines()) {
  describe(`throttle repository (${engine})`, () => {
    let db: OpenDatabase;
    let throttles: ThrottleRepository;

    before(async () => {
      db = await openDatabase(engine);
      throttles = createThrottleRepository(db.knex);
    });
    after(() => db.close());

    it('counts consecutive failures', async () => {
      const key = `pwd:acct:ACME:${randomId()}`;
      const now = Date.now();
      const first = await throttles.recordFailure(key, now, now - MINUTE, never);
      assert.deepEqual(first, { key, failures: 1, lockedUntil: null, lastFailureAt: now });
      const second = await throttles.recordFailure(key, now + 1, now - MINUTE, never);
      assert.equal(second.failures, 2);
      assert.deepEqual(await throttles.get([key]), [{ key, failures: 2, lockedUntil: null, lastFailureAt: now + 1 }]);
    });

    it('recordFailure is atomic: 20 concurrent failures on one key count 20', async () => {
      const key = `pwd:ip:${randomId()}`;
      const now = Date.now();
      const states = await Promise.all(Array.from({ length: 20 }, () => throttles.recordFailure(key, now, now - MINUTE, never)));
      const [stored] = await throttles.get([key]);
      assert.equal(stored?.failures, 20);
      // each caller saw its own count: none was lost or counted twice
      assert.deepEqual(
        states.map((s) => s.failures).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    it('concurrent failures on different keys do not mix', async () => {
      const keys = [randomId(), randomId(), randomId()];
      const now = Date.now();
      await Promise.all(keys.flatMap((key, i) => Array.from({ length: 5 + i }, () => throttles.recordFailure(key, now, now - MINUTE, never))));
      const stored = new Map((await throttles.get(keys)).map((s) => [s.key, s.failures]));
      assert.deepEqual(keys.map((k) => stored.get(k)), [5, 6, 7]);
    });

    it('a failure after resetBefore restarts the count', async () => {
      const key = randomId();
      const t0 = Date.now() - 10 * MINUTE;
      for (let i = 0; i < 4; i++) await throttles.recordFailure(key, t0 + i, t0 - MINUTE, never);
      assert.equal((await throttles.get([key]))[0]?.failures, 4);
      // the last failure (t0 + 3) is older than resetBefore: the count starts again
      const now = Date.now();
      const state = await throttles.recordFailure(key, now, t0 + 4, never);
      assert.equal(state.failures, 1);
      assert.deepEqual(await throttles.get([key]), [{ key, failures: 1, lockedUntil: null, lastFailureAt: now }]);
      // a failure within the window counts on
      assert.equal((await throttles.recordFailure(key, now + 1, t0 + 4, never)).failures, 2);
    });

    it('stores the lock lockFor returns for the new count', async () => {
      const key = randomId();
      const now = Date.now();
      const asked: number[] = [];
      const lockFor = (failures: number) => {
        asked.push(failures);
        return failures >= 3 ? failures * MINUTE : 0;
      };
      assert.equal((await throttles.recordFailure(key, now, now - MINUTE, lockFor)).lockedUntil, null);
      assert.equal((await throttles.recordFailure(key, now, now - MINUTE, lockFor)).lockedUntil, null);
      const third = await throttles.recordFailure(key, now, now - MINUTE, lockFor);
      assert.deepEqual(asked, [1, 2, 3]);
      assert.equal(third.lockedUntil, now + 3 * MINUTE);
      assert.deepEqual(await throttles.get([key]), [{ key, failures: 3, lockedUntil: now + 3 * MINUTE, lastFailureAt: now }]);
      const fourth = await throttles.recordFailure(key, now + 1, now - MINUTE, lockFor);
      assert.equal(fourth.lockedUntil, now + 1 + 4 * MINUTE);
      assert.equal((await throttles.get([key]))[0]?.lockedUntil, now + 1 + 4 * MINUTE);
    });

    it('concurrent failures store the lock of the highest count', async () => {
      const key = randomId();
      const now = Date.now();
      const states = await Promise.all(
        Array.from({ length: 10 }, () => throttles.recordFailure(key, now, now - MINUTE, (n) => (n >= 5 ? n * MINUTE : 0))),
      );
      for (const s of states) assert.equal(s.lockedUntil, s.failures >= 5 ? now + s.failures * MINUTE : null);
      assert.equal((await throttles.get([key]))[0]?.lockedUntil, now + 10 * MINUTE);
    });

    it('get returns only the known keys; clear forgets a key', async () => {
      const key = randomId();
      const now = Date.now();
      await throttles.recordFailure(key, now, now - MINUTE, never);
      assert.deepEqual(await throttles.get([`unknown-${randomId()}`]), []);
      assert.equal((await throttles.get([key, `unknown-${randomId()}`])).length, 1);
      await throttles.clear(key);
      assert.deepEqual(await throttles.get([key]), []);
      assert.equal((await throttles.recordFailure(key, now, now - MINUTE, never)).failures, 1, 'counting starts again after clear');
    });
  });
}
