import { z } from 'zod';
import { createAuditRepository } from '../db/audit.js';
import { createOrgRepository } from '../db/orgs.js';
import { type Organisation, type OrgSettings, orgSettingsSchema } from '../model.js';
import type { Services } from '../services.js';
import { type Actor, actorFields, actorId } from './actor.js';
import { AdminInvalidError } from './errors.js';

/**
 * An organisation's policy settings as CLI options, JSON keys (admin API, CLI --json)
 * and human labels: one table, so the CLI, the API and its OpenAPI document agree.
 */
export const policySettings = [
  { key: 'mfa', option: 'mfa', json: 'mfa', arg: 'off|optional|required', what: 'second factor: off, optional or required' },
  { key: 'methods', option: 'methods', json: 'methods', arg: 'LIST', what: 'allowed second factors, comma-separated: totp,email,webauthn' },
  { key: 'rememberHours', option: 'remember-hours', json: 'remember_hours', arg: 'N', what: 'hours a device is remembered after a second factor (0 = never)' },
  { key: 'passwordMinLength', option: 'password-min-length', json: 'password_min_length', arg: 'N', what: 'minimum password length' },
  { key: 'passwordMinScore', option: 'password-min-score', json: 'password_min_score', arg: '0-4', what: 'minimum zxcvbn password strength score' },
  { key: 'sessionIdleMinutes', option: 'session-idle-minutes', json: 'session_idle_minutes', arg: 'N', what: 'sign-in session idle timeout in minutes' },
  { key: 'sessionMaxHours', option: 'session-max-hours', json: 'session_max_hours', arg: 'N', what: 'sign-in session absolute lifetime in hours' },
  { key: 'systemTitle', option: 'system-title', json: 'system_title', arg: 'TEXT', what: 'title in mails (subject, sender) ("" removes it)' },
  { key: 'passwordChangeAtFirstLogin', option: 'first-login-password-change', json: 'first_login_password_change', arg: 'yes|no', what: 'the first sign-in replaces the handed-out password' },
  { key: 'emailCodeMinutes', option: 'email-code-minutes', json: 'email_code_minutes', arg: 'N', what: 'lifetime of a mailed code in minutes (1-60)' },
  { key: 'totpPeriod', option: 'totp-period', json: 'totp_period', arg: '30|60', what: 'authenticator code period in seconds' },
  { key: 'totpDigits', option: 'totp-digits', json: 'totp_digits', arg: '6|8', what: 'authenticator code length' },
  { key: 'wrongCodeLimit', option: 'wrong-code-limit', json: 'wrong_code_limit', arg: 'N', what: 'wrong codes before a sign-in ends (1-20)' },
  { key: 'requireVerifiedEmail', option: 'require-verified-email', json: 'require_verified_email', arg: 'yes|no', what: 'the 2FA email is confirmed by a link or code before use' },
  { key: 'reenrolAfterBackupCode', option: 'reenrol-after-backup-code', json: 'reenrol_after_backup_code', arg: 'yes|no', what: 'a backup code resets the factors for a new set-up' },
  { key: 'passkeys', option: 'passkeys', json: 'passkeys', arg: 'yes|no', what: 'passwordless sign-in with a passkey (needs webauthn in --methods)' },
  { key: 'webauthnAaguids', option: 'webauthn-aaguids', json: 'webauthn_aaguids', arg: 'LIST', what: 'authenticator AAGUIDs accepted, comma-separated ("" = any)' },
  { key: 'resetMfaOnPasswordReset', option: 'reset-mfa-on-password-reset', json: 'reset_mfa_on_password_reset', arg: 'yes|no', what: '"forgot password" also resets the second factors' },
  { key: 'federatedMfa', option: 'federated-mfa', json: 'federated_mfa', arg: 'always|trust-upstream|never', what: 'local second factor after an upstream sign-in (docs/federation.md)' },
] as const satisfies readonly { key: keyof OrgSettings; option: string; json: string; arg: string; what: string }[];

export type PolicySetting = (typeof policySettings)[number];

const iso = (ms: number) => new Date(ms).toISOString();

export function settingsJson(s: OrgSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of policySettings) if (s[def.key] !== undefined) out[def.json] = s[def.key];
  return out;
}

export function orgJson(org: Organisation): Record<string, unknown> {
  return {
    id: org.id,
    code: org.code,
    name: org.name,
    settings: settingsJson(org.settings),
    created_at: iso(org.createdAt),
    updated_at: iso(org.updatedAt),
  };
}

/**
 * The JSON body of a policy change: any subset of the settings under their JSON names,
 * typed and ranged by the model's own schema; unknown names are refused. `system_title`
 * "" or null removes the title.
 */
export const policyPatchSchema = z
  .object(
    Object.fromEntries(
      policySettings.map((def) => {
        const field = orgSettingsSchema.shape[def.key].unwrap();
        return [def.json, def.key === 'systemTitle' ? z.union([z.string().max(100), z.null()]) : field];
      }),
    ) as Record<string, z.ZodType>,
  )
  .partial()
  .strict();

/** JSON names → policy keys. */
export function policyChangesFromJson(body: Record<string, unknown>): Partial<OrgSettings> {
  const out: Record<string, unknown> = {};
  for (const def of policySettings) {
    if (body[def.json] === undefined) continue;
    out[def.key] = def.key === 'systemTitle' && body[def.json] === null ? '' : body[def.json];
  }
  return out as Partial<OrgSettings>;
}

/** Applies changes to a policy and validates the result with the model's schema. */
export function mergePolicy(base: Partial<OrgSettings>, changes: Partial<OrgSettings>): OrgSettings {
  const merged: Partial<OrgSettings> = { ...base, ...changes };
  if (merged.systemTitle === '') delete merged.systemTitle;
  const result = orgSettingsSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const def = policySettings.find((s) => s.key === issue.path[0]);
    throw new AdminInvalidError(def?.json ?? 'settings', issue.message);
  }
  return result.data;
}

/** Changes an organisation's name and/or policy; the other settings keep their values. Audited. */
export async function updateOrganisation(
  services: Services,
  org: Organisation,
  change: { name?: string | undefined; settings: Partial<OrgSettings> },
  actor: Actor,
): Promise<Organisation> {
  const policy = mergePolicy(org.settings, change.settings);
  const changed = [...(change.name !== undefined ? ['name'] : []), ...policySettings.filter((s) => s.key in change.settings).map((s) => s.json)];
  await services.knex.transaction(async (trx) => {
    await createOrgRepository(trx).update(org.id, { ...(change.name !== undefined ? { name: change.name } : {}), settings: policy });
    await createAuditRepository(trx).insert({
      type: 'org.updated',
      orgId: org.id,
      ...actorFields(actor),
      details: { by: actorId(actor), code: org.code, changed },
    });
  });
  services.logger.info({ audit: 'org.updated', orgId: org.id, actor: actorId(actor) }, 'audit');
  return (await services.repos.orgs.findById(org.id))!;
}
