import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LoginFacts, type Step, nextStep } from '../../src/auth/policy.js';

const seen = { mustChangePassword: false, lastLoginAt: 1_700_000_000_000 };
const fresh = { mustChangePassword: false, lastLoginAt: null };

describe('policy: the next step of a login', () => {
  const table: [string, LoginFacts, Step][] = [
    ['nothing done yet', { passwordDone: false, passwordChanged: false }, 'password'],
    ['password step claims done without a user', { passwordDone: true, passwordChanged: false }, 'password'],
    ['password done', { passwordDone: true, passwordChanged: false, user: seen }, 'done'],
    ['must change password', { passwordDone: true, passwordChanged: false, user: { ...seen, mustChangePassword: true } }, 'change_password'],
    ['changed already', { passwordDone: true, passwordChanged: true, user: { ...seen, mustChangePassword: true } }, 'done'],
    ['first sign-in, org does not ask', { passwordDone: true, passwordChanged: false, user: fresh, org: { passwordChangeAtFirstLogin: false } }, 'done'],
    ['first sign-in, org asks', { passwordDone: true, passwordChanged: false, user: fresh, org: { passwordChangeAtFirstLogin: true } }, 'change_password'],
    ['later sign-in, org asks', { passwordDone: true, passwordChanged: false, user: seen, org: { passwordChangeAtFirstLogin: true } }, 'done'],
    ['first sign-in, changed', { passwordDone: true, passwordChanged: true, user: fresh, org: { passwordChangeAtFirstLogin: true } }, 'done'],
  ];
  for (const [name, facts, expected] of table) {
    it(`${name} → ${expected}`, () => assert.equal(nextStep(facts), expected));
  }
});
