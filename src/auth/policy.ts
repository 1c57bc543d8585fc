import type { MfaMethod, OrgSettings, User } from '../model.js';

/**
 * The steps of a login, in order. `policy.ts` alone decides which apply; the flow
 * routes only ask "what next?".
 */
export type Step = 'password' | 'change_password' | 'enrol' | 'backup_codes' | 'mfa' | 'done';

/** Authentication context classes: what a relying party can ask for with acr_values. */
export const ACR_PASSWORD = 'urn:idp:acr:pwd';
export const ACR_MFA = 'urn:idp:acr:mfa';
export const acrValuesSupported = [ACR_PASSWORD, ACR_MFA];

/** RFC 8176 method values for a second factor. */
export const SECOND_FACTOR_AMR = new Set(['otp', 'hwk', 'swk']);

export interface LoginFacts {
  /** the user proven by the password step, if it is done */
  user?: Pick<User, 'mustChangePassword' | 'lastLoginAt'> | undefined;
  org?: Partial<Pick<OrgSettings, 'passwordChangeAtFirstLogin' | 'mfa' | 'methods'>> | undefined;
  client?: { requireMfa: boolean } | undefined;
  /** acr_values of the request, in order of preference */
  requestedAcr?: string[] | undefined;
  passwordDone: boolean;
  passwordChanged: boolean;
  /** confirmed second factors of the user, of any method */
  enrolledMethods?: MfaMethod[] | undefined;
  /** a factor was set up and confirmed during this sign-in */
  enrolledNow?: boolean | undefined;
  backupCodesShown?: boolean | undefined;
  /** a second factor was verified during this sign-in */
  secondFactorDone?: boolean | undefined;
  /** the factors were reset during this sign-in (seed 001: after a backup code) */
  forceEnrol?: boolean | undefined;
  /** a live remembered-browser token of this user, and what it proved */
  rememberedAmr?: string[] | undefined;
}

/** A password set by someone else (operator, admin) is replaced by the user's own. */
function mustChangePassword(facts: LoginFacts): boolean {
  if (facts.passwordChanged || !facts.user) return false;
  if (facts.user.mustChangePassword) return true;
  return Boolean(facts.org?.passwordChangeAtFirstLogin) && facts.user.lastLoginAt === null;
}

/** MFA is demanded by the organisation, the client, or the request's acr_values. */
export function mfaRequired(facts: LoginFacts): boolean {
  return facts.org?.mfa === 'required' || Boolean(facts.client?.requireMfa) || Boolean(facts.requestedAcr?.includes(ACR_MFA));
}

/** The user's factors that the organisation allows. */
export function usableMethods(facts: LoginFacts): MfaMethod[] {
  const allowed = facts.org?.methods ?? ['totp', 'email', 'webauthn'];
  return (facts.enrolledMethods ?? []).filter((m) => allowed.includes(m));
}

/** Whether this login must prove a second factor (now, or through a remembered browser). */
function secondFactorApplies(facts: LoginFacts): boolean {
  if (mfaRequired(facts)) return true;
  // optional MFA: users who set a factor up are asked for it; 'off' asks nobody
  return facts.org?.mfa === 'optional' && usableMethods(facts).length > 0;
}

function rememberedSuffices(facts: LoginFacts): boolean {
  return Boolean(facts.rememberedAmr?.some((m) => SECOND_FACTOR_AMR.has(m)));
}

export function nextStep(facts: LoginFacts): Step {
  if (!facts.passwordDone || !facts.user) return 'password';
  if (mustChangePassword(facts)) return 'change_password';
  if (facts.enrolledNow) return facts.backupCodesShown ? 'done' : 'backup_codes';
  if (facts.forceEnrol) return 'enrol';
  if (!secondFactorApplies(facts) || facts.secondFactorDone) return 'done';
  if (usableMethods(facts).length === 0) return mfaRequired(facts) ? 'enrol' : 'done';
  if (rememberedSuffices(facts)) return 'done';
  return 'mfa';
}

/** The level reached: MFA when a second factor was proven now or by a remembered browser. */
export function acrFor(amr: string[], rememberedAmr: string[] = []): string {
  const proven = [...amr, ...rememberedAmr];
  return proven.some((m) => SECOND_FACTOR_AMR.has(m)) ? ACR_MFA : ACR_PASSWORD;
}
