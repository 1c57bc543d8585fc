import { Counter, type Registry } from 'prom-client';
import type { AuditLog } from '../audit.js';
import type { AuditEvent } from '../db/audit.js';

// bounded label sets: anything else is counted as "other"
const MFA_METHODS = new Set(['totp', 'email', 'webauthn', 'backup']);
const mfaMethod = (v: unknown) => (typeof v === 'string' && MFA_METHODS.has(v) ? v : 'other');

/**
 * How a successful sign-in was proven: a passkey, an upstream identity provider
 * (federated, without our password), a remembered browser, the second factor answered,
 * or the password alone.
 */
function successMethod(details: Record<string, unknown>): string {
  const amr = Array.isArray(details.amr) ? (details.amr as unknown[]) : [];
  if (details.passkey === true) return 'passkey';
  if (amr.includes('fed') && !amr.includes('pwd')) return 'federated';
  if (details.remembered === true) return 'remembered';
  if (details.mfaMethod !== undefined) return mfaMethod(details.mfaMethod);
  return amr.includes('pwd') ? 'pwd' : 'other';
}

/**
 * Sign-ins, second-factor challenges and lock-outs, counted from the audit log, which
 * every security event passes through: no call site counts anything itself.
 */
export function observeSecurityEvents(audit: AuditLog, registry: Registry): void {
  const signIns = new Counter({
    name: 'idp_sign_ins_total',
    help: 'Sign-ins by result (success, failure, locked) and method (pwd, passkey, federated, totp, email, webauthn, backup, remembered)',
    labelNames: ['result', 'method'] as const,
    registers: [registry],
  });
  const challenges = new Counter({
    name: 'idp_mfa_challenges_total',
    help: 'Second-factor challenges answered, by method and result (success, failure, locked)',
    labelNames: ['method', 'result'] as const,
    registers: [registry],
  });
  const lockouts = new Counter({
    name: 'idp_lockouts_total',
    help: 'Lock-outs started, by kind (account: organisation + user ID, address: client address, mfa: second factor)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });

  audit.onRecord((event: AuditEvent) => {
    const details = event.details ?? {};
    switch (event.type) {
      case 'login.succeeded': {
        const method = successMethod(details);
        signIns.inc({ result: 'success', method });
        // a second factor answered in this sign-in (not skipped by a remembered browser)
        if (details.mfaMethod !== undefined) challenges.inc({ method: mfaMethod(details.mfaMethod), result: 'success' });
        break;
      }
      case 'login.failed':
        signIns.inc({ result: 'failure', method: details.reason === 'passkey_not_allowed' ? 'passkey' : 'pwd' });
        break;
      case 'login.refused_locked':
        signIns.inc({ result: 'locked', method: 'pwd' });
        break;
      case 'login.locked': {
        signIns.inc({ result: 'locked', method: 'pwd' });
        const kinds = Array.isArray(details.locked) ? (details.locked as unknown[]) : [];
        for (const kind of ['account', 'address']) if (kinds.includes(kind)) lockouts.inc({ kind });
        break;
      }
      case 'mfa.failed':
        challenges.inc({ method: mfaMethod(details.method), result: 'failure' });
        break;
      case 'mfa.locked':
        signIns.inc({ result: 'locked', method: mfaMethod(details.method) });
        challenges.inc({ method: mfaMethod(details.method), result: 'locked' });
        lockouts.inc({ kind: 'mfa' });
        break;
      default:
    }
  });
}
