import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientMetadata } from '../../src/db/clients.js';
import { createClientCache } from '../../src/oidc/client-cache.js';

function counter(rows: Record<string, ClientMetadata>) {
  const calls: string[] = [];
  return { calls, load: async (id: string) => (calls.push(id), rows[id]) };
}

describe('client cache', () => {
  const rows = { a: { client_id: 'a' } };

  it('reads a client once per TTL and again after it', async () => {
    let t = 1_000;
    const cache = createClientCache(5, () => t);
    const db = counter(rows);
    assert.deepEqual(await cache.find('a', db.load), { client_id: 'a' });
    t += 4_999;
    await cache.find('a', db.load);
    assert.equal(db.calls.length, 1, 'served from memory within the TTL');
    t += 1;
    await cache.find('a', db.load);
    assert.equal(db.calls.length, 2, 'read again once the TTL has passed');
  });

  it('never caches unknown client ids (made-up ids cannot fill it or hide a new client)', async () => {
    const cache = createClientCache(5, () => 0);
    const db = counter(rows);
    assert.equal(await cache.find('nope', db.load), undefined);
    assert.equal(await cache.find('nope', db.load), undefined);
    assert.deepEqual(db.calls, ['nope', 'nope']);
  });

  it('a removed client stops being served once its entry expires', async () => {
    let t = 0;
    const table: Record<string, ClientMetadata> = { a: { client_id: 'a' } };
    const cache = createClientCache(2, () => t);
    const db = counter(table);
    assert.ok(await cache.find('a', db.load));
    delete table.a;
    t = 2_000;
    assert.equal(await cache.find('a', db.load), undefined);
  });

  it('TTL 0 reads on every call', async () => {
    const cache = createClientCache(0);
    const db = counter(rows);
    await cache.find('a', db.load);
    await cache.find('a', db.load);
    assert.equal(db.calls.length, 2);
  });
});
