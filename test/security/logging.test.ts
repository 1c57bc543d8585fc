import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../config/load.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createClient, createOrg, createUser } from '../helpers/fixtures.js';
import { relyingParty, signIn } from '../helpers/rp.js';
import { createTestDatabase, freePort, type TestDatabase } from '../helpers/server.js';

describe('logs carry request ids and never secrets', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  let server: RunningServer;
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('sqlite');
    const port = await freePort();
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: String(port),
      IDP_ISSUER: `http://localhost:${port}`,
      IDP_DATABASE_URL: database.url,
      IDP_DATA_DIR: database.url.slice('sqlite:'.length).replace(/idp\.sqlite$/, ''),
      IDP_SECRET_KEY: 'logging-test-secret-key-0123456789abcdef',
      IDP_LOG_LEVEL: 'debug',
    });
    server = await startServer(config, createLogger('debug', sink));
  });
  after(async () => {
    await server.close();
    await database.drop();
  });

  it('redacts passwords, client secrets, codes and tokens', async () => {
    const org = await createOrg(server.services, 'ACME');
    const user = await createUser(server.services, org, { password: 'Very-Secret-Pass-123' });
    const client = await createClient(server.services, { orgId: org.id });
    const config = await relyingParty(server.url, client);
    const { tokens } = await signIn(server.url, config, client, user);

    const direct = createLogger('info', sink);
    direct.info({ password: 'direct-pw-one', user: { password: 'direct-pw-two' }, client_secret: 'direct-secret-one', req: { headers: { authorization: 'Basic direct-auth', cookie: 'c' } } }, 'direct');
    await new Promise((r) => setImmediate(r));

    const all = lines.join('\n');
    for (const secret of ['Very-Secret-Pass-123', client.clientSecret!, tokens.access_token, tokens.refresh_token!, 'direct-pw-one', 'direct-pw-two', 'direct-secret-one', 'Basic direct-auth']) {
      assert.ok(!all.includes(secret), `log contains a secret: ${secret.slice(0, 6)}…`);
    }
    assert.match(all, /\[redacted\]/);
  });

  it('gives every request an id, echoed in the response', async () => {
    const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-abc-12345' } });
    assert.equal(res.headers.get('x-request-id'), 'trace-abc-12345');
    await new Promise((r) => setImmediate(r));
    const entry = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.reqId === 'trace-abc-12345');
    assert.equal(entry?.path, '/healthz');
    const generated = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.match(generated.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  });
});
