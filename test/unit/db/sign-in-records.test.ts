import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LAST_USE_PRECISION_MS, createRememberedBrowsers } from '../../../src/auth/remembered-browsers.js';
import { createOrgRepository } from '../../../src/db/orgs.js';
import { createRememberedBrowserRepository } from '../../../src/db/remembered-browsers.js';
import { LAST_LOGIN_PRECISION_MS, createUserRepository, type UserRepository } from '../../../src/db/users.js';
import { engines } from '../../helpers/server.js';
import { openDatabase, type OpenDatabase } from './open-db.js';

// What a sign-in writes on the user's row and a remembered browser's: only what a reader
// needs changed (test/persistence/sign-in-writes.test.ts counts the writes over HTTP).
for (const engine of engines()) {
  describe(`sign-in records on users and remembered browsers (${engine})`, () => {
    let db: OpenDatabase;
    let users: UserRepository;
    let orgId = '';

    before(async () => {
      db = await openDatabase(engine);
      users = createUserRepository(db.knex);
      orgId = (await createOrgRepository(db.knex).create({ code: 'ACME', name: 'ACME', settings: {} })).id;
    });
    after(() => db.close());

    const newUser = () => users.create({ orgId, username: `u-${Math.random().toString(36).slice(2, 8)}`, passwordHash: 'x' });
    const reload = async (id: string) => (await users.findById(id))!;

    it('records the first sign-in, then the last one at most hourly, and a changed method at once', async () => {
      const t0 = 1_800_000_000_000;
      let user = await newUser();
      assert.equal(await users.recordLogin(user, null, t0), true, 'the first sign-in (the first-login password change reads it)');
      user = await reload(user.id);
      assert.equal(user.lastLoginAt, t0);

      assert.equal(await users.recordLogin(user, null, t0 + LAST_LOGIN_PRECISION_MS - 1), false, 'within the hour: nothing written');
      assert.equal((await reload(user.id)).lastLoginAt, t0);

      assert.equal(await users.recordLogin(user, 'totp', t0 + 1000), true, 'a method other than last time is written at once');
      user = await reload(user.id);
      assert.deepEqual([user.lastLoginAt, user.lastMfaMethod], [t0 + 1000, 'totp']);
      assert.equal(await users.recordLogin(user, 'totp', t0 + 2000), false, 'the same method again: nothing');

      assert.equal(await users.recordLogin(user, 'totp', t0 + 1000 + LAST_LOGIN_PRECISION_MS), true, 'an hour on: written');
      user = await reload(user.id);
      assert.deepEqual([user.lastLoginAt, user.lastMfaMethod], [t0 + 1000 + LAST_LOGIN_PRECISION_MS, 'totp']);
    });

    it("rewrites a remembered browser's last use at most hourly, and says which browser it is", async () => {
      const user = await newUser();
      const repo = createRememberedBrowserRepository(db.knex);
      let clock = Date.now();
      const remembered = createRememberedBrowsers(repo, () => clock);
      const { token } = await remembered.remember(user.id, ['otp'], 8, null);
      const lastUse = async () => (await repo.listLive(user.id, clock))[0]!.lastUsedAt;

      const first = await remembered.check(token, user.id);
      assert.deepEqual(first?.amr, ['otp']);
      assert.equal(await lastUse(), clock, 'the first use is written');
      const t0 = clock;
      clock += LAST_USE_PRECISION_MS - 1;
      assert.equal((await remembered.check(token, user.id))?.id, first!.id);
      assert.equal(await lastUse(), t0, 'within the hour: not rewritten');
      clock += 1;
      await remembered.check(token, user.id);
      assert.equal(await lastUse(), clock, 'an hour on: rewritten');
      assert.equal(await remembered.check(token, 'someone-else'), undefined);
    });
  });
}
