/**
 * What an upstream's ID token says about how the user signed in there, and what of it
 * our own `amr` records.
 */

/** RFC 8176 values that show a second factor (or several factors) was used upstream. */
const MFA_AMR = new Set(['mfa', 'otp', 'hwk', 'swk', 'sms', 'tel']);

/** acr values that mean MFA, accepted from any upstream; operators may add their own per upstream. */
export const DEFAULT_MFA_ACR_VALUES = [
  'urn:idp:acr:mfa',
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical',
];

/** The RFC 8176 registry: only these names are copied into our amr. */
const REGISTERED_AMR = new Set(['face', 'fpt', 'geo', 'hwk', 'iris', 'kba', 'mca', 'mfa', 'otp', 'pin', 'pop', 'pwd', 'rba', 'retina', 'sc', 'sms', 'swk', 'tel', 'user', 'vbm', 'wia']);

export function upstreamAmr(claims: { amr?: unknown }): string[] {
  return Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string').slice(0, 20) : [];
}

/** Did the upstream report that MFA was done there, by its amr or its acr? */
export function upstreamMfaShown(amr: string[], acr: unknown, mfaAcrValues: string[]): boolean {
  if (amr.some((m) => MFA_AMR.has(m))) return true;
  return typeof acr === 'string' && (DEFAULT_MFA_ACR_VALUES.includes(acr) || mfaAcrValues.includes(acr));
}

/**
 * Our amr for a federated sign-in: `fed`, plus the upstream's registered values when the
 * organisation trusts it, and `mfa` when it showed MFA (by amr or acr).
 */
export function federatedAmr(amr: string[], mfaShown: boolean, trusted: boolean): string[] {
  if (!trusted) return ['fed'];
  const copied = amr.filter((m) => REGISTERED_AMR.has(m));
  // `mfa` states it plainly, whatever names the upstream used for its factors
  if (mfaShown) copied.push('mfa');
  return [...new Set(['fed', ...copied])];
}
