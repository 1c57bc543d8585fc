import { availableParallelism } from 'node:os';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import type { OrgSettings } from '../model.js';
import { createSemaphore } from '../util/semaphore.js';

export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** Longer inputs are refused before hashing: argon2 over megabytes is a denial of service. */
export const MAX_PASSWORD_LENGTH = 256;

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

/**
 * argon2id with concurrent hashes capped at the core count, so a burst of sign-ins
 * queues here instead of starving token requests of CPU.
 */
export function createPasswordHasher(params: Argon2Params, maxConcurrent = availableParallelism()) {
  const options = {
    algorithm: Algorithm.Argon2id,
    memoryCost: params.memoryKiB,
    timeCost: params.iterations,
    parallelism: params.parallelism,
  };
  const limit = createSemaphore(Math.max(1, maxConcurrent));
  // Verifying against this keeps "unknown user" as slow as "wrong password".
  let dummyHash: Promise<string> | undefined;

  return {
    hash: (password: string) => limit(() => hash(password, options)),
    async verify(passwordHash: string, password: string): Promise<boolean> {
      return limit(async () => {
        try {
          return await verify(passwordHash, password);
        } catch {
          return false;
        }
      });
    },
    /** Same work as a real verification, for accounts that do not exist. */
    async verifyDummy(password: string): Promise<false> {
      dummyHash ??= hash('dummy password for timing equality', options);
      await limit(async () => verify(await dummyHash!, password).catch(() => false));
      return false;
    },
  };
}

// Building the dictionaries takes ~0.4 s: done on first use, not on every start or CLI call.
let zxcvbn: ZxcvbnFactory | undefined;

/** zxcvbn score 0 (too guessable) … 4 (very unguessable). */
export function passwordScore(password: string, userInputs: string[] = []): number {
  zxcvbn ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
  });
  return zxcvbn.check(password.slice(0, 100), userInputs).score;
}

export type PasswordProblem = 'too_short' | 'too_long' | 'too_weak' | 'same_as_username';

/** Checks a new password against the organisation's policy. */
export function checkNewPassword(
  password: string,
  policy: Pick<OrgSettings, 'passwordMinLength' | 'passwordMinScore'>,
  userInputs: string[] = [],
): PasswordProblem | undefined {
  if ([...password].length < policy.passwordMinLength) return 'too_short';
  if (password.length > MAX_PASSWORD_LENGTH) return 'too_long';
  if (userInputs.some((input) => input && input.toLowerCase() === password.toLowerCase())) return 'same_as_username';
  if (passwordScore(password, userInputs) < policy.passwordMinScore) return 'too_weak';
  return undefined;
}
