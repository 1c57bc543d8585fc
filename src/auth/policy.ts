import type { MfaMethod, OrgSettings, User } from '../model.js';

/**
 * The steps of a login, in order. `policy.ts` alone decides which apply; the flow
 * routes only ask "what next?".
 */
export type Step = 'password' | 'change_password' | 'enrol' | 'backup_codes' | 'mfa' | 'phr_unavailable' | 'webauthn_offer' | 'done';

/** Authentication context classes: what a relying party can ask for with acr_values. */
export const ACR_PASSWORD = 'urn:idp:acr:pwd';
export const ACR_MFA = 'urn:idp:acr:mfa';
/** Phishing-resistant: a WebAuthn credential was used in this very sign-in. */
export const ACR_PHR = 'urn:idp:acr:phr';
export const acrValuesSupported = [ACR_PASSWORD, ACR_MFA, ACR_PHR];

/** The levels in order: a stronger one satisfies a request for a weaker one. */
const ACR_LEVELS: Record<string, number> = { [ACR_PASSWORD]: 0, [ACR_MFA]: 1, [ACR_PHR]: 2 };

export function acrLevel(acr: string | undefined): number {
  return acr !== undefined && acr in ACR_LEVELS ? ACR_LEVELS[acr]! : 0;
}

/** The lowest level that satisfies any of the acr_values asked for (they are alternatives). */
export function requiredAcrLevel(acrValues: string[]): number {
  const known = acrValues.filter((v) => v in ACR_LEVELS).map((v) => ACR_LEVELS[v]!);
  return known.length ? Math.min(...known) : 0;
}

/** RFC 8176 methods of WebAuthn: hardware- or software-secured key. */
export const WEBAUTHN_AMR = new Set(['hwk', 'swk']);

/** RFC 8176 method values for a second factor. */
export const SECOND_FACTOR_AMR = new Set(['otp', 'hwk', 'swk']);

export interface LoginFacts {
  /** the user proven by the password step, if it is done */
  user?: Pick<User, 'mustChangePassword' | 'lastLoginAt'> | undefined;
  org?: Partial<Pick<OrgSettings, 'passwordChangeAtFirstLogin' | 'mfa' | 'methods' | 'federatedMfa'>> | undefined;
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
  /** a WebAuthn credential was used in this sign-in (as second factor or passkey) */
  webauthnDone?: boolean | undefined;
  /** the user signed in with a passkey: password and second factor in one step */
  passkeyDone?: boolean | undefined;
  /** seed 002: the user asked to register a key or biometrics at this sign-in */
  webauthnOfferPending?: boolean | undefined;
  /** the offer was answered (registered or declined) in this sign-in */
  webauthnOfferHandled?: boolean | undefined;
  /** signed in through a linked upstream provider instead of the password (issue 7) */
  federated?: { upstreamMfa: boolean } | undefined;
}

/** A password set by someone else (operator, admin) is replaced by the user's own. */
function mustChangePassword(facts: LoginFacts): boolean {
  if (facts.passwordChanged || !facts.user) return false;
  if (facts.user.mustChangePassword) return true;
  return Boolean(facts.org?.passwordChangeAtFirstLogin) && facts.user.lastLoginAt === null;
}

/** The request's acr_values ask for a phishing-resistant sign-in (WebAuthn, now). */
export function phishingResistantRequired(facts: LoginFacts): boolean {
  return Boolean(facts.requestedAcr?.includes(ACR_PHR));
}

/** MFA is demanded by the organisation, the client, or the request's acr_values. */
export function mfaRequired(facts: LoginFacts): boolean {
  return (
    facts.org?.mfa === 'required' ||
    Boolean(facts.client?.requireMfa) ||
    Boolean(facts.requestedAcr?.includes(ACR_MFA)) ||
    phishingResistantRequired(facts)
  );
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

/**
 * A federated sign-in (no password) needs no local second factor when the organisation
 * trusts the upstream's MFA and it was done there, or (`never`) unless the client or the
 * request demand MFA.
 */
function federatedSuffices(facts: LoginFacts): boolean {
  if (!facts.federated || facts.passwordDone) return false;
  const mode = facts.org?.federatedMfa ?? 'trust-upstream';
  if (mode === 'always') return false;
  if (facts.federated.upstreamMfa) return true;
  return mode === 'never' && !facts.client?.requireMfa && !facts.requestedAcr?.includes(ACR_MFA);
}

/** The step that authenticates; `done` once the sign-in has proven enough. */
function authenticationStep(facts: LoginFacts): Step {
  if (facts.passkeyDone) {
    // a passkey is both factors; only a forced password change still applies
    return mustChangePassword(facts) ? 'change_password' : 'done';
  }
  if ((!facts.passwordDone && !facts.federated) || !facts.user) return 'password';
  // a federated sign-in typed no password, so it does not force a password change
  if (facts.passwordDone && mustChangePassword(facts)) return 'change_password';
  if (facts.enrolledNow) return facts.backupCodesShown ? 'done' : 'backup_codes';
  if (facts.forceEnrol) return 'enrol';
  if (phishingResistantRequired(facts) && !facts.webauthnDone) {
    // neither a remembered browser nor a code can stand in for the key itself
    return usableMethods(facts).includes('webauthn') ? 'mfa' : 'phr_unavailable';
  }
  if (!secondFactorApplies(facts) || facts.secondFactorDone || federatedSuffices(facts)) return 'done';
  if (usableMethods(facts).length === 0) return mfaRequired(facts) ? 'enrol' : 'done';
  if (rememberedSuffices(facts)) return 'done';
  return 'mfa';
}

export function nextStep(facts: LoginFacts): Step {
  const step = authenticationStep(facts);
  if (step !== 'done') return step;
  // seed 002: after a successful sign-in, the key registration the user asked for
  const allowed = facts.org?.methods ?? ['totp', 'email', 'webauthn'];
  if (facts.webauthnOfferPending && !facts.webauthnOfferHandled && allowed.includes('webauthn')) return 'webauthn_offer';
  return 'done';
}

/**
 * The level reached: phishing-resistant when a WebAuthn credential was used in this
 * sign-in; MFA when a second factor was proven now or by a remembered browser.
 */
export function acrFor(amr: string[], rememberedAmr: string[] = [], webauthnAsserted = false): string {
  // a key registered during this sign-in shows possession, not a phishing-resistant sign-in
  if (webauthnAsserted && amr.some((m) => WEBAUTHN_AMR.has(m))) return ACR_PHR;
  const proven = [...amr, ...rememberedAmr];
  // 'mfa' alone comes from a trusted upstream that reported MFA only through its acr
  return proven.some((m) => SECOND_FACTOR_AMR.has(m) || m === 'mfa') ? ACR_MFA : ACR_PASSWORD;
}
