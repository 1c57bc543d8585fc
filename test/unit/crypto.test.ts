import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCsrf } from '../../interactions/csrf.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';

describe('secret box (AES-256-GCM under IDP_SECRET_KEY)', () => {
  const box = createSecretBox('k'.repeat(40));

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.seal('private key material', 'key:1');
    assert.ok(!sealed.includes('private'));
    assert.equal(box.open(sealed, 'key:1'), 'private key material');
    assert.notEqual(box.seal('same', 'c'), box.seal('same', 'c'), 'random IV');
  });

  it('refuses another context, another key or a tampered ciphertext', () => {
    const sealed = box.seal('secret', 'client:a');
    assert.throws(() => box.open(sealed, 'client:b'));
    assert.throws(() => createSecretBox('z'.repeat(40)).open(sealed, 'client:a'));
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1]! ^= 1;
    assert.throws(() => box.open(`v1.${raw.toString('base64url')}`, 'client:a'));
  });
});

describe('CSRF tokens bound to the interaction', () => {
  const csrf = createCsrf('k'.repeat(40));
  it('accepts the token of its own interaction only', () => {
    assert.equal(csrf.verify('uid-1', csrf.tokenFor('uid-1')), true);
    assert.equal(csrf.verify('uid-2', csrf.tokenFor('uid-1')), false);
    assert.equal(csrf.verify('uid-1', undefined), false);
    assert.equal(csrf.verify('uid-1', ''), false);
    assert.equal(csrf.verify('uid-1', `${csrf.tokenFor('uid-1')}x`), false);
    assert.equal(createCsrf('z'.repeat(40)).verify('uid-1', csrf.tokenFor('uid-1')), false);
  });
});
