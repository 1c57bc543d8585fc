import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backupCodeKey,
  formatBackupCode,
  generateBackupCodes,
  hashBackupCode,
  matchBackupCode,
  normaliseBackupCode,
} from '../../../src/auth/factors/backup-codes/backup-codes.js';
import { deriveKey } from '../../../src/crypto/secret-box.js';

const key = backupCodeKey('k'.repeat(40));
const otherKey = backupCodeKey('z'.repeat(40));

describe('backup codes', () => {
  it('ten unique 8-digit codes by default', () => {
    const codes = generateBackupCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^[0-9]{8}$/);
    assert.equal(generateBackupCodes(3).length, 3);
    assert.throws(() => generateBackupCodes(0), RangeError);
  });

  it('keep leading zeros (drawn over the whole 10^8 space)', () => {
    const many = generateBackupCodes(1000);
    assert.ok(many.every((c) => c.length === 8));
    assert.ok(many.some((c) => c.startsWith('0')), 'about 100 in 1000 start with 0');
  });

  it('the key is derived for this purpose only', () => {
    assert.deepEqual(key, deriveKey('k'.repeat(40), 'backup-codes v1'));
    assert.notDeepEqual(key, deriveKey('k'.repeat(40), 'secret-box v1'));
  });

  it('hash is deterministic per key, differs across keys, never contains the code', () => {
    const h = hashBackupCode(key, '12345678');
    assert.equal(h, hashBackupCode(key, '12345678'));
    assert.match(h, /^[0-9a-f]{64}$/);
    assert.notEqual(h, hashBackupCode(otherKey, '12345678'));
    assert.notEqual(h, hashBackupCode(key, '12345679'));
    assert.ok(!h.includes('12345678'));
    assert.equal(hashBackupCode(key, '1234 5678'), h, 'hashes the normalised form');
  });

  it('match returns the index of the matching hash, -1 otherwise', () => {
    const codes = generateBackupCodes();
    const stored = codes.map((c) => hashBackupCode(key, c));
    codes.forEach((code, i) => assert.equal(matchBackupCode(key, code, stored), i));
    assert.equal(matchBackupCode(key, formatBackupCode(codes[4]!), stored), 4);
    const absent = String((Number(codes[0]) + 1) % 1e8).padStart(8, '0');
    if (!codes.includes(absent)) assert.equal(matchBackupCode(key, absent, stored), -1);
    assert.equal(matchBackupCode(otherKey, codes[0]!, stored), -1, 'another key matches nothing');
    assert.equal(matchBackupCode(key, codes[0]!, []), -1);
    assert.equal(matchBackupCode(key, 'abcdefgh', stored), -1);
    assert.equal(matchBackupCode(key, '1234567', stored), -1);
    assert.equal(matchBackupCode(key, '', stored), -1);
    assert.equal(matchBackupCode(key, codes[0]!, ['not-hex', 'ab', ...stored]), 2, 'odd rows are skipped, not fatal');
  });

  it('normalises hyphens, spaces, full-width digits and an IME long-vowel mark', () => {
    assert.equal(normaliseBackupCode('1234-5678'), '12345678');
    assert.equal(normaliseBackupCode(' 1234 5678 '), '12345678');
    assert.equal(normaliseBackupCode('１２３４５６７８'), '12345678');
    assert.equal(normaliseBackupCode('１２３４－５６７８'), '12345678');
    assert.equal(normaliseBackupCode('1234ー5678'), '12345678');
    assert.equal(normaliseBackupCode('１２３４\u3000５６７８'), '12345678');
    const stored = [hashBackupCode(key, '12345678')];
    assert.equal(matchBackupCode(key, '１２３４－５６７８', stored), 0);
  });

  it('formats as two groups of four', () => {
    assert.equal(formatBackupCode('12345678'), '1234 5678');
    assert.equal(formatBackupCode('1234-5678'), '1234 5678');
  });
});
