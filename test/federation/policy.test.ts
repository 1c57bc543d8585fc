import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acrFor, type LoginFacts, nextStep } from '../../src/auth/policy.js';
import { federatedAmr, upstreamMfaShown } from '../../src/federation/upstream-mfa.js';

const user = { mustChangePassword: false, lastLoginAt: 1 };
/** A sign-in through a linked upstream, no password typed, for a user with a TOTP factor. */
const federated = (org: LoginFacts['org'], upstreamMfa: boolean, extra: Partial<LoginFacts> = {}): LoginFacts => ({
  user,
  org,
  passwordDone: false,
  passwordChanged: false,
  enrolledMethods: ['totp'],
  federated: { upstreamMfa },
  ...extra,
});

describe('local second factor after an upstream sign-in (federatedMfa)', () => {
  it('trust-upstream (the default) asks unless the upstream did MFA', () => {
    assert.equal(nextStep(federated({ mfa: 'required' }, false)), 'mfa');
    assert.equal(nextStep(federated({ mfa: 'required' }, true)), 'done');
    assert.equal(nextStep(federated({ mfa: 'required', federatedMfa: 'trust-upstream' }, true)), 'done');
  });
  it('always asks as after a password, whatever the upstream did', () => {
    assert.equal(nextStep(federated({ mfa: 'required', federatedMfa: 'always' }, true)), 'mfa');
    assert.equal(nextStep(federated({ mfa: 'off', federatedMfa: 'always' }, false)), 'done');
  });
  it('never skips the organisation mode, but not a client or request that demands MFA', () => {
    assert.equal(nextStep(federated({ mfa: 'required', federatedMfa: 'never' }, false)), 'done');
    assert.equal(nextStep(federated({ mfa: 'off', federatedMfa: 'never' }, false, { client: { requireMfa: true } })), 'mfa');
    assert.equal(nextStep(federated({ mfa: 'off', federatedMfa: 'never' }, false, { requestedAcr: ['urn:idp:acr:mfa'] })), 'mfa');
    assert.equal(nextStep(federated({ mfa: 'off', federatedMfa: 'never' }, true, { client: { requireMfa: true } })), 'done');
  });
  it('does not force a password change on a sign-in that typed no password', () => {
    const facts = federated({ mfa: 'off' }, false, { user: { mustChangePassword: true, lastLoginAt: null } });
    assert.equal(nextStep(facts), 'done');
    assert.equal(nextStep({ ...facts, federated: undefined, passwordDone: true }), 'change_password');
  });
  it('with neither password nor upstream, the password is next', () => {
    assert.equal(nextStep({ user, passwordDone: false, passwordChanged: false }), 'password');
  });
});

describe('what the upstream reported', () => {
  it('finds MFA in amr or in acr (standard or the upstream\'s own values)', () => {
    assert.equal(upstreamMfaShown(['pwd'], undefined, []), false);
    assert.equal(upstreamMfaShown(['pwd', 'otp'], undefined, []), true);
    assert.equal(upstreamMfaShown(['hwk'], undefined, []), true);
    assert.equal(upstreamMfaShown([], 'urn:idp:acr:mfa', []), true);
    assert.equal(upstreamMfaShown([], 'http://schemas.openid.net/pape/policies/2007/06/multi-factor', []), true);
    assert.equal(upstreamMfaShown([], 'gold', []), false);
    assert.equal(upstreamMfaShown([], 'gold', ['gold']), true);
  });
  it('our amr: fed, plus the registered values reported when trusted, and mfa when MFA was shown', () => {
    assert.deepEqual(federatedAmr(['pwd', 'otp', 'x-custom'], true, true), ['fed', 'pwd', 'otp', 'mfa']);
    assert.deepEqual(federatedAmr(['pwd', 'otp'], true, false), ['fed']);
    assert.deepEqual(federatedAmr([], true, true), ['fed', 'mfa']);
    assert.deepEqual(federatedAmr(['pwd'], false, true), ['fed', 'pwd']);
    assert.equal(acrFor(federatedAmr([], true, true)), 'urn:idp:acr:mfa');
    assert.equal(acrFor(federatedAmr(['pwd'], false, true)), 'urn:idp:acr:pwd');
  });
});
