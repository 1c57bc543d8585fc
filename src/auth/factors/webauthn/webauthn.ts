import { randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { AuditLog } from '../../../audit.js';
import type { ChallengePurpose, WebAuthnChallengeRepository, WebAuthnCredential, WebAuthnCredentialRepository } from '../../../db/webauthn-credentials.js';
import type { Organisation, User } from '../../../model.js';
import { parseAuthenticationResponse, parseRegistrationResponse } from './response-schema.js';

/** How long a ceremony may take in the browser, and how long the server keeps its challenge. */
export const CEREMONY_TIMEOUT_MS = 120_000;
export const CHALLENGE_TTL_MS = 5 * 60_000;

export type WebAuthnFailure = 'malformed' | 'expired' | 'invalid' | 'counter' | 'not_allowed' | 'duplicate' | 'unknown_credential';

export type RegistrationResult = { ok: true; credential: WebAuthnCredential } | { ok: false; reason: WebAuthnFailure };
export type AuthenticationResult = { ok: true; credential: WebAuthnCredential; amr: string[] } | { ok: false; reason: WebAuthnFailure };
export type PasskeyResult = { ok: true; userId: string; credential: WebAuthnCredential; amr: string[] } | { ok: false; reason: WebAuthnFailure };

export interface WebAuthnDeps {
  credentials: WebAuthnCredentialRepository;
  challenges: WebAuthnChallengeRepository;
  audit: AuditLog;
  /** the issuer URL: its host is the RP ID, its origin the only accepted origin */
  issuer: string;
  rpName: string;
  now?: () => number;
}

/**
 * RFC 8176 methods for one WebAuthn use: a synced (multi-device) passkey is a
 * software-secured key, a device-bound credential a hardware-secured one; `user`
 * records that the authenticator verified the user (PIN or biometrics).
 */
export function amrForCredential(deviceType: WebAuthnCredential['deviceType'], userVerified: boolean): string[] {
  return [deviceType === 'multiDevice' ? 'swk' : 'hwk', ...(userVerified ? ['user'] : [])];
}

const descriptor = (c: WebAuthnCredential) => ({ id: c.credentialId, transports: c.transports });

/** The challenge the browser signed, read from clientDataJSON without trusting anything else. */
function signedChallenge(clientDataJSON: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (parsed as { challenge?: unknown }).challenge;
    return typeof challenge === 'string' && /^[\w-]{16,128}$/.test(challenge) ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/**
 * WebAuthn registration and authentication ceremonies, free of HTTP. Challenges are
 * kept server-side, bound to a context (a sign-in flow or an account session), expire,
 * and are consumed by the first response that names them.
 */
export function createWebAuthn(deps: WebAuthnDeps) {
  const now = deps.now ?? Date.now;
  const issuer = new URL(deps.issuer);
  const rpID = issuer.hostname;
  const origin = issuer.origin;

  async function issue(binding: string, purpose: ChallengePurpose, userId: string | null, challenge: string) {
    await deps.challenges.issue({ challenge, binding, purpose, userId, expiresAt: now() + CHALLENGE_TTL_MS }, now());
  }

  async function fail(reason: WebAuthnFailure, event: { user?: User; ceremony: string; detail?: string }) {
    await deps.audit.record({
      type: reason === 'counter' ? 'webauthn.counter_regression' : 'webauthn.failed',
      orgId: event.user?.orgId ?? null,
      userId: event.user?.id ?? null,
      details: { ceremony: event.ceremony, reason, ...(event.detail ? { detail: event.detail.slice(0, 200) } : {}) },
    });
    return { ok: false as const, reason };
  }

  /** Verifies an assertion against a stored credential and records the new counter. */
  async function checkAssertion(
    response: AuthenticationResponseJSON,
    challenge: string,
    credential: WebAuthnCredential,
    requireUserVerification: boolean,
  ): Promise<{ ok: true; amr: string[]; credential: WebAuthnCredential } | { ok: false; reason: WebAuthnFailure; detail: string }> {
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        credential: { id: credential.credentialId, publicKey: Buffer.from(credential.publicKey, 'base64url'), counter: credential.counter },
        requireUserVerification,
      });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      // a counter that does not move forward betrays a cloned authenticator
      return { ok: false, reason: /counter/i.test(detail) ? 'counter' : 'invalid', detail };
    }
    if (!verification.verified) return { ok: false, reason: 'invalid', detail: 'not verified' };
    const info = verification.authenticationInfo;
    if (!(await deps.credentials.recordUse(credential.id, credential.counter, info.newCounter, now()))) {
      return { ok: false, reason: 'counter', detail: 'counter moved by a concurrent assertion' };
    }
    return { ok: true, amr: amrForCredential(info.credentialDeviceType, info.userVerified), credential: { ...credential, counter: info.newCounter } };
  }

  return {
    rpID,
    origin,

    list: (userId: string) => deps.credentials.listByUser(userId),
    count: (userId: string) => deps.credentials.countByUser(userId),

    /** Options for `navigator.credentials.create()`; the user's keys are excluded. */
    async registrationOptions(user: User, org: Organisation, binding: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const handle = await deps.credentials.userHandle(user.id, () => randomBytes(32).toString('base64url'));
      const existing = await deps.credentials.listByUser(user.id);
      const options = await generateRegistrationOptions({
        rpName: org.settings.systemTitle ?? deps.rpName,
        rpID,
        userID: Buffer.from(handle, 'base64url'),
        userName: `${user.username}@${org.code}`,
        userDisplayName: user.name ?? user.username,
        timeout: CEREMONY_TIMEOUT_MS,
        // an allow-list of models can only be enforced with a signed attestation
        attestationType: org.settings.webauthnAaguids.length ? 'direct' : 'none',
        excludeCredentials: existing.map(descriptor),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
        extensions: { credProps: true },
      });
      await issue(binding, 'register', user.id, options.challenge);
      return options;
    },

    async verifyRegistration(user: User, org: Organisation, binding: string, raw: unknown, label: string): Promise<RegistrationResult> {
      const response = parseRegistrationResponse(raw) as RegistrationResponseJSON | undefined;
      if (!response) return fail('malformed', { user, ceremony: 'register' });
      const challenge = signedChallenge(response.response.clientDataJSON);
      const live = challenge ? await deps.challenges.consume(challenge, binding, 'register', now()) : undefined;
      if (!challenge || !live || live.userId !== user.id) return fail('expired', { user, ceremony: 'register' });
      let verification;
      try {
        verification = await verifyRegistrationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          requireUserVerification: false,
        });
      } catch (err) {
        return fail('invalid', { user, ceremony: 'register', detail: err instanceof Error ? err.message : String(err) });
      }
      if (!verification.verified) return fail('invalid', { user, ceremony: 'register' });
      const info = verification.registrationInfo;
      const allowed = org.settings.webauthnAaguids;
      if (allowed.length && !allowed.includes(info.aaguid.toLowerCase())) {
        return fail('not_allowed', { user, ceremony: 'register', detail: `aaguid ${info.aaguid}` });
      }
      if (await deps.credentials.findByCredentialId(info.credential.id)) return fail('duplicate', { user, ceremony: 'register' });
      const rk = (response.clientExtensionResults as { credProps?: { rk?: unknown } } | undefined)?.credProps?.rk;
      const credential = await deps.credentials.create({
        userId: user.id,
        credentialId: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: info.credential.transports ?? response.response.transports ?? [],
        aaguid: info.aaguid,
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        discoverable: rk === true,
        label: label.trim().slice(0, 100) || 'Security key',
      });
      await deps.audit.record({
        type: 'mfa.factor_added',
        orgId: user.orgId,
        userId: user.id,
        details: { method: 'webauthn', credential: credential.id, aaguid: info.aaguid, deviceType: info.credentialDeviceType, discoverable: credential.discoverable },
      });
      return { ok: true, credential };
    },

    /** Options for `navigator.credentials.get()` limited to this user's keys. */
    async authenticationOptions(user: User, binding: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const existing = await deps.credentials.listByUser(user.id);
      const options = await generateAuthenticationOptions({
        rpID,
        timeout: CEREMONY_TIMEOUT_MS,
        allowCredentials: existing.map(descriptor),
        userVerification: 'preferred',
      });
      await issue(binding, 'authenticate', user.id, options.challenge);
      return options;
    },

    /** A second factor after the password: the key must be one of this user's. */
    async verifyAuthentication(user: User, binding: string, raw: unknown): Promise<AuthenticationResult> {
      const response = parseAuthenticationResponse(raw) as AuthenticationResponseJSON | undefined;
      if (!response) return fail('malformed', { user, ceremony: 'authenticate' });
      const challenge = signedChallenge(response.response.clientDataJSON);
      const live = challenge ? await deps.challenges.consume(challenge, binding, 'authenticate', now()) : undefined;
      if (!challenge || !live || live.userId !== user.id) return fail('expired', { user, ceremony: 'authenticate' });
      const credential = await deps.credentials.findByCredentialId(response.id);
      if (!credential || credential.userId !== user.id) return fail('unknown_credential', { user, ceremony: 'authenticate' });
      const checked = await checkAssertion(response, challenge, credential, false);
      if (!checked.ok) return fail(checked.reason, { user, ceremony: 'authenticate', detail: checked.detail });
      return checked;
    },

    /** Options for a passkey sign-in: no user is known yet, so no credential is named. */
    async passkeyOptions(binding: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const options = await generateAuthenticationOptions({ rpID, timeout: CEREMONY_TIMEOUT_MS, userVerification: 'required' });
      await issue(binding, 'passkey', null, options.challenge);
      return options;
    },

    /** Passwordless: a discoverable credential, its user handle, and user verification. */
    async verifyPasskey(binding: string, raw: unknown): Promise<PasskeyResult> {
      const response = parseAuthenticationResponse(raw) as AuthenticationResponseJSON | undefined;
      if (!response) return fail('malformed', { ceremony: 'passkey' });
      const challenge = signedChallenge(response.response.clientDataJSON);
      const live = challenge ? await deps.challenges.consume(challenge, binding, 'passkey', now()) : undefined;
      if (!challenge || !live) return fail('expired', { ceremony: 'passkey' });
      const credential = await deps.credentials.findByCredentialId(response.id);
      if (!credential) return fail('unknown_credential', { ceremony: 'passkey' });
      const handleOwner = response.response.userHandle ? await deps.credentials.userIdByHandle(response.response.userHandle) : undefined;
      if (handleOwner !== credential.userId) return fail('unknown_credential', { ceremony: 'passkey', detail: 'user handle does not match' });
      const checked = await checkAssertion(response, challenge, credential, true);
      if (!checked.ok) return fail(checked.reason, { ceremony: 'passkey', detail: checked.detail });
      return { ok: true, userId: credential.userId, credential: checked.credential, amr: checked.amr };
    },

    setOffer: (userId: string, on: boolean) => deps.credentials.setOffer(userId, on),
  };
}

export type WebAuthn = ReturnType<typeof createWebAuthn>;
