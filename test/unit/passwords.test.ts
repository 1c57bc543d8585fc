import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNewPassword, createPasswordHasher, passwordScore } from '../../src/auth/passwords.js';
import { lockMillis } from '../../src/auth/throttle.js';

const params = { memoryKiB: 19456, iterations: 2, parallelism: 1 };

describe('password hashing (argon2id)', () => {
  const hasher = createPasswordHasher(params, 2);

  it('hashes with argon2id at the configured cost and verifies', async () => {
    const hash = await hasher.hash('S3cret!pass');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await hasher.verify(hash, 'S3cret!pass'), true);
    assert.equal(await hasher.verify(hash, 'S3cret!pasS'), false);
    assert.equal(await hasher.verify('not a hash', 'x'), false);
  });

  it('hashes several passwords at once under a cap of one (the cap itself: test/unit/semaphore.test.ts)', async () => {
    const one = createPasswordHasher(params, 1);
    const hashes = await Promise.all([one.hash('a'), one.hash('b'), one.hash('c')]);
    assert.deepEqual(await Promise.all(hashes.map((h, i) => one.verify(h, 'abc'[i]!))), [true, true, true]);
  });

  it('spends real argon2 work on unknown accounts', async () => {
    assert.equal(await hasher.verifyDummy('anything'), false);
  });
});

describe('new password policy', () => {
  const lenient = { passwordMinLength: 8, passwordMinScore: 0 };
  it('applies length, user-input and strength rules', () => {
    assert.equal(checkNewPassword('short', lenient), 'too_short');
    assert.equal(checkNewPassword('x'.repeat(257), lenient), 'too_long');
    assert.equal(checkNewPassword('aliceSmith', lenient, ['alicesmith']), 'same_as_username');
    assert.equal(checkNewPassword('password', lenient), undefined, 'weak is accepted at score 0 (seed 001)');
    assert.equal(checkNewPassword('password', { passwordMinLength: 8, passwordMinScore: 3 }), 'too_weak');
    assert.equal(checkNewPassword('correct horse battery staple 42!', { passwordMinLength: 8, passwordMinScore: 3 }), undefined);
  });
  it('counts characters, not bytes, for Japanese passwords', () => {
    assert.equal(checkNewPassword('あいうえおかきく', lenient), undefined);
    assert.equal(checkNewPassword('あいうえおかき', lenient), 'too_short');
  });
  it('scores from 0 to 4', () => {
    assert.ok(passwordScore('password') <= 1);
    assert.ok(passwordScore('correct horse battery staple 42!') >= 3);
  });
});

describe('brute-force lock lengths', () => {
  const s = { accountFailures: 5, addressFailures: 20, baseDelaySeconds: 30, maxDelaySeconds: 900, failureResetSeconds: 3600 };
  it('are zero below the threshold, then double up to the cap', () => {
    assert.equal(lockMillis(4, 5, s), 0);
    assert.equal(lockMillis(5, 5, s), 30_000);
    assert.equal(lockMillis(6, 5, s), 60_000);
    assert.equal(lockMillis(7, 5, s), 120_000);
    assert.equal(lockMillis(30, 5, s), 900_000);
  });
});
