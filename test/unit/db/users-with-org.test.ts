import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrgRepository, type OrgRepository } from '../../../src/db/orgs.js';
import { createUserRepository, type UserRepository } from '../../../src/db/users.js';
import { engines } from '../../helpers/server.js';
import { openDatabase, type OpenDatabase } from './open-db.js';

for (const engine of engines()) {
  // findAccount reads a user and its organisation in one statement
  describe(`users.findByIdWithOrg (${engine})`, () => {
    let db: OpenDatabase;
    let users: UserRepository;
    let orgs: OrgRepository;

    before(async () => {
      db = await openDatabase(engine);
      users = createUserRepository(db.knex);
      orgs = createOrgRepository(db.knex);
    });
    after(() => db.close());

    it('gives each user with its own organisation, as findById and orgs.findById would', async () => {
      const acme = await orgs.create({ code: 'ACME', name: 'Acme Inc.', settings: { sessionIdleMinutes: 7 } });
      const globex = await orgs.create({ code: 'GLOBEX', name: 'Globex', settings: {} });
      const alice = await users.create({ orgId: acme.id, username: 'alice', passwordHash: 'x', email: 'a@example.com', name: 'Alice' });
      const bob = await users.create({ orgId: globex.id, username: 'alice', passwordHash: 'y' }); // same name, other organisation
      for (const u of [alice, bob]) {
        const found = await users.findByIdWithOrg(u.id);
        assert.ok(found);
        assert.deepEqual(found.user, await users.findById(u.id));
        assert.deepEqual(found.org, await orgs.findById(u.orgId));
      }
      assert.equal((await users.findByIdWithOrg(alice.id))!.org.code, 'ACME');
      assert.equal((await users.findByIdWithOrg(alice.id))!.org.settings.sessionIdleMinutes, 7);
      assert.equal((await users.findByIdWithOrg(bob.id))!.org.code, 'GLOBEX');
      assert.equal(await users.findByIdWithOrg('no-such-user'), undefined);
    });
  });
}
