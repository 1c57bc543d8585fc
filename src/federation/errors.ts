import { AppError } from '../errors.js';
import type { MessageKey } from '../i18n/index.js';

/** Why a sign-in through an upstream provider did not sign anyone in. */
export const federationFailures = {
  denied: { status: 403, key: 'federation.error.denied' },
  invalid_state: { status: 400, key: 'federation.error.invalidState' },
  expired: { status: 410, key: 'federation.error.expired' },
  wrong_issuer: { status: 400, key: 'federation.error.wrongIssuer' },
  nonce_mismatch: { status: 400, key: 'federation.error.nonce' },
  bad_signature: { status: 400, key: 'federation.error.badSignature' },
  token_expired: { status: 400, key: 'federation.error.tokenExpired' },
  unreachable: { status: 502, key: 'federation.error.unreachable' },
  invalid_response: { status: 502, key: 'federation.error.invalidResponse' },
  rejected: { status: 502, key: 'federation.error.rejected' },
  not_allowed: { status: 403, key: 'federation.error.notAllowed' },
  already_linked: { status: 409, key: 'federation.error.alreadyLinked' },
  user_has_link: { status: 409, key: 'federation.error.userHasLink' },
  account_unavailable: { status: 403, key: 'federation.error.accountUnavailable' },
} as const satisfies Record<string, { status: number; key: MessageKey }>;

export type FederationFailure = keyof typeof federationFailures;

/** Rendered by the error middleware as a page in the request's language; nobody is signed in. */
export class FederationError extends AppError {
  constructor(
    readonly failure: FederationFailure,
    upstreamName: string,
    continueUrl?: string,
    /** what the upstream or the library said, for the log and the audit trail only */
    readonly detail?: string,
  ) {
    const { status, key } = federationFailures[failure];
    super(status, `federation_${failure}`, key, { upstream: upstreamName }, continueUrl);
  }
}
