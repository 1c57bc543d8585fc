import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomId } from '../../src/util/ids.js';

describe('randomId', () => {
  it('never starts with "-" or "_" (a leading "-" reads as a CLI option)', () => {
    // 1 id in 32 would start with one of them; 5,000 draws make a regression certain to show.
    for (let i = 0; i < 5000; i++) assert.match(randomId(), /^[A-Za-z0-9][A-Za-z0-9_-]{21}$/);
  });

  it('keeps 128 bits of randomness by default and honours the size asked for', () => {
    assert.equal(Buffer.from(randomId(), 'base64url').length, 16);
    assert.equal(Buffer.from(randomId(32), 'base64url').length, 32);
    assert.notEqual(randomId(), randomId());
  });
});
