import type { OrgSettings, User } from '../model.js';

/**
 * The steps of a login, in order. `policy.ts` alone decides which apply; the flow
 * routes only ask "what next?".
 */
export type Step = 'password' | 'change_password' | 'done';

export interface LoginFacts {
  /** the user proven by the password step, if it is done */
  user?: Pick<User, 'mustChangePassword' | 'lastLoginAt'> | undefined;
  org?: Pick<OrgSettings, 'passwordChangeAtFirstLogin'> | undefined;
  passwordDone: boolean;
  passwordChanged: boolean;
}

/** A password set by someone else (operator, admin) is replaced by the user's own. */
function mustChangePassword(facts: LoginFacts): boolean {
  if (facts.passwordChanged || !facts.user) return false;
  if (facts.user.mustChangePassword) return true;
  return Boolean(facts.org?.passwordChangeAtFirstLogin) && facts.user.lastLoginAt === null;
}

export function nextStep(facts: LoginFacts): Step {
  if (!facts.passwordDone || !facts.user) return 'password';
  if (mustChangePassword(facts)) return 'change_password';
  return 'done';
}

/** RFC 8176 methods and our acr level for what was actually done. */
export const ACR_PASSWORD = 'urn:idp:acr:pwd';
export const acrValuesSupported = [ACR_PASSWORD];

export function acrFor(amr: string[]): string {
  void amr;
  return ACR_PASSWORD;
}
