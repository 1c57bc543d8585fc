import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LoginFacts, type Step, nextStep } from '../../src/auth/policy.js';

describe('policy: the next step of a login', () => {
  const table: [string, LoginFacts, Step][] = [
    ['nothing done yet', { passwordDone: false, passwordChanged: false }, 'password'],
    ['password step claims done without a user', { passwordDone: true, passwordChanged: false }, 'password'],
    ['password done', { passwordDone: true, passwordChanged: false, user: { mustChangePassword: false } }, 'done'],
    ['must change password', { passwordDone: true, passwordChanged: false, user: { mustChangePassword: true } }, 'change_password'],
    ['changed already', { passwordDone: true, passwordChanged: true, user: { mustChangePassword: true } }, 'done'],
  ];
  for (const [name, facts, expected] of table) {
    it(`${name} → ${expected}`, () => assert.equal(nextStep(facts), expected));
  }
});
