import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACR_MFA, ACR_PASSWORD, type LoginFacts, type Step, acrFor, nextStep } from '../../src/auth/policy.js';

const seen = { mustChangePassword: false, lastLoginAt: 1_700_000_000_000 };
const fresh = { mustChangePassword: false, lastLoginAt: null };
const pwd = { passwordDone: true, passwordChanged: false, user: seen };
const off = { mfa: 'off' as const };
const optional = { mfa: 'optional' as const };
const required = { mfa: 'required' as const };

describe('policy: the next step of a login', () => {
  const table: [string, LoginFacts, Step][] = [
    ['nothing done yet', { passwordDone: false, passwordChanged: false }, 'password'],
    ['password step claims done without a user', { passwordDone: true, passwordChanged: false }, 'password'],
    ['password done, no MFA', { ...pwd }, 'done'],
    ['must change password', { ...pwd, user: { ...seen, mustChangePassword: true } }, 'change_password'],
    ['changed already', { ...pwd, passwordChanged: true, user: { ...seen, mustChangePassword: true } }, 'done'],
    ['first sign-in, org does not ask', { ...pwd, user: fresh, org: { passwordChangeAtFirstLogin: false } }, 'done'],
    ['first sign-in, org asks', { ...pwd, user: fresh, org: { passwordChangeAtFirstLogin: true } }, 'change_password'],
    ['later sign-in, org asks', { ...pwd, org: { passwordChangeAtFirstLogin: true } }, 'done'],
    ['password change comes before MFA', { ...pwd, user: { ...seen, mustChangePassword: true }, org: required }, 'change_password'],
    // organisation MFA modes
    ['MFA off, factor enrolled', { ...pwd, org: off, enrolledMethods: ['totp'] }, 'done'],
    ['MFA optional, no factor', { ...pwd, org: optional }, 'done'],
    ['MFA optional, factor enrolled', { ...pwd, org: optional, enrolledMethods: ['totp'] }, 'mfa'],
    ['MFA required, no factor', { ...pwd, org: required }, 'enrol'],
    ['MFA required, factor enrolled', { ...pwd, org: required, enrolledMethods: ['email'] }, 'mfa'],
    ['MFA required, only a method the org no longer allows', { ...pwd, org: { ...required, methods: ['totp'] }, enrolledMethods: ['email'] }, 'enrol'],
    ['MFA required, second factor done', { ...pwd, org: required, enrolledMethods: ['totp'], secondFactorDone: true }, 'done'],
    // enrolment during this sign-in
    ['enrolled now, codes not shown', { ...pwd, org: required, enrolledMethods: ['totp'], enrolledNow: true }, 'backup_codes'],
    ['enrolled now, codes shown', { ...pwd, org: required, enrolledMethods: ['totp'], enrolledNow: true, backupCodesShown: true }, 'done'],
    ['factors reset after a backup code', { ...pwd, org: optional, secondFactorDone: true, forceEnrol: true }, 'enrol'],
    ['re-enrolled after the reset', { ...pwd, org: optional, secondFactorDone: true, forceEnrol: true, enrolledNow: true, backupCodesShown: true }, 'done'],
    // the client and the request
    ['client requires MFA in an org with MFA off', { ...pwd, org: off, client: { requireMfa: true } }, 'enrol'],
    ['acr_values asks for MFA', { ...pwd, org: off, requestedAcr: [ACR_MFA], enrolledMethods: ['totp'] }, 'mfa'],
    ['acr_values asks for the password level only', { ...pwd, org: off, requestedAcr: [ACR_PASSWORD], enrolledMethods: ['totp'] }, 'done'],
    // remembered browser
    ['remembered browser with an OTP', { ...pwd, org: required, enrolledMethods: ['totp'], rememberedAmr: ['pwd', 'otp'] }, 'done'],
    ['remembered browser that proved only a password', { ...pwd, org: required, enrolledMethods: ['totp'], rememberedAmr: ['pwd'] }, 'mfa'],
    ['remembered browser, but no factor left to prove', { ...pwd, org: required, rememberedAmr: ['otp'] }, 'enrol'],
  ];
  for (const [name, facts, expected] of table) {
    it(`${name} → ${expected}`, () => assert.equal(nextStep(facts), expected));
  }
});

describe('policy: the acr reached', () => {
  it('is MFA only when a second factor was proven', () => {
    assert.equal(acrFor(['pwd']), ACR_PASSWORD);
    assert.equal(acrFor(['pwd', 'otp', 'mfa']), ACR_MFA);
    assert.equal(acrFor(['pwd'], ['otp']), ACR_MFA);
  });
});
