import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../config/load.js';
import { engines, startTestServer, type TestServer } from '../helpers/server.js';

describe('IDP_AUDIT_RETENTION_DAYS', () => {
  it('defaults to 400 days and refuses nonsense with the setting named', () => {
    const base = { NODE_ENV: 'test', IDP_SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789', IDP_DATA_DIR: '/tmp/idp-retention-test' };
    assert.equal(loadConfig(base).auditRetentionDays, 400);
    assert.equal(loadConfig({ ...base, IDP_AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays, 30);
    for (const bad of ['0', '-1', 'forever', '1.5']) {
      assert.throws(() => loadConfig({ ...base, IDP_AUDIT_RETENTION_DAYS: bad }), (err: unknown) => err instanceof ConfigError && /IDP_AUDIT_RETENTION_DAYS/.test(err.message));
    }
  });
});

for (const engine of engines()) {
  describe(`audit retention purge (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ engine });
    });
    after(() => server.stop({ dropDatabase: true }));

    it('deletes events older than the cut-off and keeps the newer ones', async () => {
      const knex = server.services.knex;
      const day = 86_400_000;
      await knex('audit_events').insert([
        { at: Date.now() - 40 * day, type: 'test.old' },
        { at: Date.now() - 20 * day, type: 'test.recent' },
      ]);
      const removed = await server.services.repos.audit.purgeBefore(Date.now() - 30 * day);
      assert.equal(removed, 1);
      const left = (await knex('audit_events').whereIn('type', ['test.old', 'test.recent'])).map((r: { type: string }) => r.type);
      assert.deepEqual(left, ['test.recent']);
    });
  });
}
