import { z } from 'zod';
import { CLI_ACTOR } from '../../admin/actor.js';
import { AdminInvalidError } from '../../admin/errors.js';
import { mergePolicy, orgJson, policySettings, updateOrganisation } from '../../admin/org-policy.js';
import { federatedMfaModes, type MfaMethod, type MfaMode, mfaMethods, mfaModes, type OrgSettings, orgSettingsSchema } from '../../model.js';
import { CliUsageError, integer, listOf, oneOf, orgCode, text, validate } from '../args.js';
import type { Command } from '../command.js';
import { inTransaction, uniquely } from '../context.js';
import { fields, iso, table } from '../output.js';

export { orgJson, settingsJson } from '../../admin/org-policy.js';

type NumericSetting = 'rememberHours' | 'passwordMinLength' | 'passwordMinScore' | 'sessionIdleMinutes' | 'sessionMaxHours' | 'emailCodeMinutes' | 'wrongCodeLimit';

/** The option's range comes from the policy schema itself, so the two cannot drift apart. */
function settingInteger(key: NumericSetting) {
  const num = orgSettingsSchema.shape[key].unwrap();
  return integer(num.minValue ?? 0, num.maxValue ?? Number.MAX_SAFE_INTEGER);
}

/** A yes/no policy switch. */
const yesNo = z
  .enum(['yes', 'no', 'true', 'false'], { error: 'must be yes or no' })
  .transform((v) => v === 'yes' || v === 'true');

const settings = policySettings;

const settingSchemas = {
  mfa: oneOf(mfaModes).optional(),
  methods: listOf(mfaMethods).optional(),
  'remember-hours': settingInteger('rememberHours').optional(),
  'password-min-length': settingInteger('passwordMinLength').optional(),
  'password-min-score': settingInteger('passwordMinScore').optional(),
  'session-idle-minutes': settingInteger('sessionIdleMinutes').optional(),
  'session-max-hours': settingInteger('sessionMaxHours').optional(),
  'system-title': text({ min: 0, max: orgSettingsSchema.shape.systemTitle.unwrap().maxLength ?? 100 }).optional(),
  'first-login-password-change': yesNo.optional(),
  'email-code-minutes': settingInteger('emailCodeMinutes').optional(),
  'totp-period': oneOf(['30', '60'] as const).optional(),
  'totp-digits': oneOf(['6', '8'] as const).optional(),
  'wrong-code-limit': settingInteger('wrongCodeLimit').optional(),
  'require-verified-email': yesNo.optional(),
  'reenrol-after-backup-code': yesNo.optional(),
  passkeys: yesNo.optional(),
  'webauthn-aaguids': z
    .string()
    .max(4000)
    .transform((v) => v.split(',').map((a) => a.trim().toLowerCase()).filter(Boolean))
    .optional(),
  'reset-mfa-on-password-reset': yesNo.optional(),
  'federated-mfa': oneOf(federatedMfaModes).optional(),
};

const settingOptions = Object.fromEntries(settings.map((s) => [s.option, { type: 'string' as const }]));

const settingsHelp = settings.map((s) => `  --${s.option} ${s.arg}`.padEnd(34) + s.what).join('\n');

type SettingValues = z.output<z.ZodObject<typeof settingSchemas>>;

function settingChanges(v: SettingValues): Partial<OrgSettings> {
  const out: Partial<OrgSettings> = {};
  if (v.mfa !== undefined) out.mfa = v.mfa as MfaMode;
  if (v.methods !== undefined) out.methods = v.methods as MfaMethod[];
  if (v['remember-hours'] !== undefined) out.rememberHours = v['remember-hours'];
  if (v['password-min-length'] !== undefined) out.passwordMinLength = v['password-min-length'];
  if (v['password-min-score'] !== undefined) out.passwordMinScore = v['password-min-score'];
  if (v['session-idle-minutes'] !== undefined) out.sessionIdleMinutes = v['session-idle-minutes'];
  if (v['session-max-hours'] !== undefined) out.sessionMaxHours = v['session-max-hours'];
  if (v['system-title'] !== undefined) out.systemTitle = v['system-title'];
  if (v['first-login-password-change'] !== undefined) out.passwordChangeAtFirstLogin = v['first-login-password-change'];
  if (v['email-code-minutes'] !== undefined) out.emailCodeMinutes = v['email-code-minutes'];
  if (v['totp-period'] !== undefined) out.totpPeriod = Number(v['totp-period']) as 30 | 60;
  if (v['totp-digits'] !== undefined) out.totpDigits = Number(v['totp-digits']) as 6 | 8;
  if (v['wrong-code-limit'] !== undefined) out.wrongCodeLimit = v['wrong-code-limit'];
  if (v['require-verified-email'] !== undefined) out.requireVerifiedEmail = v['require-verified-email'];
  if (v['reenrol-after-backup-code'] !== undefined) out.reenrolAfterBackupCode = v['reenrol-after-backup-code'];
  if (v.passkeys !== undefined) out.passkeys = v.passkeys;
  if (v['webauthn-aaguids'] !== undefined) out.webauthnAaguids = v['webauthn-aaguids'];
  if (v['reset-mfa-on-password-reset'] !== undefined) out.resetMfaOnPasswordReset = v['reset-mfa-on-password-reset'];
  if (v['federated-mfa'] !== undefined) out.federatedMfa = v['federated-mfa'];
  return out;
}

/** Applies changes to a policy; a refused value names its option. */
function mergeSettings(base: Partial<OrgSettings>, changes: Partial<OrgSettings>): OrgSettings {
  try {
    return mergePolicy(base, changes);
  } catch (err) {
    throw asUsageError(err);
  }
}

function asUsageError(err: unknown): unknown {
  if (!(err instanceof AdminInvalidError)) return err;
  const setting = settings.find((s) => s.json === err.field);
  return new CliUsageError(`${setting ? `--${setting.option}` : 'settings'}: ${err.detail.slice(err.detail.indexOf(': ') + 2)}`);
}

function settingsText(s: OrgSettings): string {
  return fields([
    ['mfa', s.mfa],
    ['methods', s.methods.join(',')],
    ['remember hours', String(s.rememberHours)],
    ['password min length', String(s.passwordMinLength)],
    ['password min score', String(s.passwordMinScore)],
    ['session idle minutes', String(s.sessionIdleMinutes)],
    ['session max hours', String(s.sessionMaxHours)],
    ['first-login password change', s.passwordChangeAtFirstLogin ? 'yes' : 'no'],
    ['email code minutes', String(s.emailCodeMinutes)],
    ['totp', `${s.totpDigits} digits every ${s.totpPeriod} s`],
    ['wrong-code limit', String(s.wrongCodeLimit)],
    ['require verified email', s.requireVerifiedEmail ? 'yes' : 'no'],
    ['re-enrol after backup code', s.reenrolAfterBackupCode ? 'yes' : 'no'],
    ['passkeys', s.passkeys ? 'yes' : 'no'],
    ['webauthn aaguids', s.webauthnAaguids.length ? s.webauthnAaguids.join(',') : 'any'],
    ['reset MFA on password reset', s.resetMfaOnPasswordReset ? 'yes' : 'no'],
    ['federated mfa', s.federatedMfa],
    ...(s.systemTitle !== undefined ? ([['system title', s.systemTitle]] as [string, string][]) : []),
  ]);
}

const addSchema = z.object({ code: orgCode, name: text({ max: 200 }), ...settingSchemas });
const updateSchema = z.object({ code: orgCode, name: text({ max: 200 }).optional(), ...settingSchemas });

export const orgsAdd: Command = {
  name: 'orgs add',
  summary: 'create an organisation',
  options: { code: { type: 'string' }, name: { type: 'string' }, ...settingOptions },
  help: `Usage: idp orgs add --code CODE --name NAME [policy options] [--json]

Creates an organisation. CODE is what users type on the sign-in page: 1 to 64
letters, digits, "-" or "_", compared case-insensitively and stored upper-case.

  --code CODE                     organisation code (required)
  --name NAME                     display name (required)
${settingsHelp}

Unset policy options take the defaults: mfa off, methods totp,email,webauthn,
remember-hours 8, password-min-length 8, password-min-score 0,
session-idle-minutes 30, session-max-hours 12.`,
  prepare(values) {
    const input = validate(addSchema, values);
    const policy = mergeSettings({}, settingChanges(input));
    return async ({ services }) => {
      const { code, name } = input;
      const duplicate = `--code: organisation ${code} already exists`;
      if (await services.repos.orgs.findByCode(code)) throw new CliUsageError(duplicate);
      const org = await uniquely(duplicate, () =>
        inTransaction(services, async (tx) => {
          const created = await tx.orgs.create({ code, name, settings: policy });
          await tx.audit({ type: 'org.created', orgId: created.id, details: { code } });
          return created;
        }),
      );
      return {
        json: { org: orgJson(org) },
        text: `Created organisation ${org.code} (${org.name})\n${settingsText(org.settings)}`,
      };
    };
  },
};

export const orgsUpdate: Command = {
  name: 'orgs update',
  summary: "change an organisation's name or policy",
  options: { code: { type: 'string' }, name: { type: 'string' }, ...settingOptions },
  help: `Usage: idp orgs update --code CODE [--name NAME] [policy options] [--json]

Changes the given settings of an organisation; the others keep their values.

  --code CODE                     the organisation to change (required)
  --name NAME                     new display name
${settingsHelp}`,
  prepare(values) {
    const input = validate(updateSchema, values);
    const changes = settingChanges(input);
    if (input.name === undefined && Object.keys(changes).length === 0) {
      throw new CliUsageError(`nothing to change: give --name or a policy option (${settings.map((s) => `--${s.option}`).join(', ')})`);
    }
    return async ({ services }) => {
      const org = await services.repos.orgs.findByCode(input.code);
      if (!org) throw new CliUsageError(`--code: no organisation with code ${input.code} (see idp orgs list)`);
      const updated = await updateOrganisation(services, org, { name: input.name, settings: changes }, CLI_ACTOR).catch((err: unknown) => {
        throw asUsageError(err);
      });
      return {
        json: { org: orgJson(updated) },
        text: `Updated organisation ${updated.code} (${updated.name})\n${settingsText(updated.settings)}`,
      };
    };
  },
};

export const orgsList: Command = {
  name: 'orgs list',
  summary: 'list organisations',
  options: {},
  help: `Usage: idp orgs list [--json]

Lists the organisations with their policies.`,
  prepare() {
    return async ({ services }) => {
      const orgs = await services.repos.orgs.list();
      const text = orgs.length
        ? table(
            ['CODE', 'NAME', 'MFA', 'METHODS', 'PW MIN', 'CREATED'],
            orgs.map((o) => [
              o.code,
              o.name,
              o.settings.mfa,
              o.settings.methods.join(','),
              `${o.settings.passwordMinLength}/${o.settings.passwordMinScore}`,
              iso(o.createdAt)!.slice(0, 10),
            ]),
          )
        : 'No organisations yet (create one with idp orgs add --code CODE --name NAME).';
      return { json: { orgs: orgs.map(orgJson) }, text };
    };
  },
};
