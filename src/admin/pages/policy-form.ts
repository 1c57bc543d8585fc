import { federatedMfaModes, mfaMethods, mfaModes, type OrgSettings } from '../../model.js';
import { type PolicySetting, policySettings } from '../org-policy.js';

/**
 * The policy form: one control per setting of the policy table in org-policy.ts (the
 * table the CLI and the admin API use). `kinds` is keyed by every setting, so a setting
 * added to the table does not compile until the form knows how to show it.
 */
export type PolicyKey = PolicySetting['key'];
export type ControlKind = 'mode' | 'federated' | 'methods' | 'number' | 'boolean' | 'choice' | 'text' | 'list';
export type PolicyGroup = 'mfa' | 'password' | 'session';

export const controls: Record<PolicyKey, { kind: ControlKind; group: PolicyGroup; choices?: readonly number[] }> = {
  mfa: { kind: 'mode', group: 'mfa' },
  methods: { kind: 'methods', group: 'mfa' },
  rememberHours: { kind: 'number', group: 'mfa' },
  totpPeriod: { kind: 'choice', group: 'mfa', choices: [30, 60] },
  totpDigits: { kind: 'choice', group: 'mfa', choices: [6, 8] },
  wrongCodeLimit: { kind: 'number', group: 'mfa' },
  emailCodeMinutes: { kind: 'number', group: 'mfa' },
  requireVerifiedEmail: { kind: 'boolean', group: 'mfa' },
  reenrolAfterBackupCode: { kind: 'boolean', group: 'mfa' },
  resetMfaOnPasswordReset: { kind: 'boolean', group: 'mfa' },
  passkeys: { kind: 'boolean', group: 'mfa' },
  webauthnAaguids: { kind: 'list', group: 'mfa' },
  federatedMfa: { kind: 'federated', group: 'mfa' },
  passwordMinLength: { kind: 'number', group: 'password' },
  passwordMinScore: { kind: 'number', group: 'password' },
  passwordChangeAtFirstLogin: { kind: 'boolean', group: 'password' },
  sessionIdleMinutes: { kind: 'number', group: 'session' },
  sessionMaxHours: { kind: 'number', group: 'session' },
  systemTitle: { kind: 'text', group: 'session' },
};

export const groups: PolicyGroup[] = ['mfa', 'password', 'session'];

/** The form field name of a method checkbox (a form carries one value per name). */
export const methodField = (m: string) => `method_${m}`;

/** Every field name the form may send. */
export function formFieldNames(): string[] {
  return [
    'csrf',
    ...policySettings.filter((d) => controls[d.key].kind !== 'methods').map((d) => d.json),
    ...mfaMethods.map(methodField),
  ];
}

/** What the form shows for the current settings (or for what was posted). */
export type PolicyFormValues = Record<string, string>;

export function valuesOf(s: OrgSettings): PolicyFormValues {
  const out: PolicyFormValues = {};
  for (const d of policySettings) {
    const kind = controls[d.key].kind;
    const value = s[d.key];
    if (kind === 'methods') for (const m of s.methods) out[methodField(m)] = 'yes';
    else if (kind === 'boolean') {
      if (value) out[d.json] = 'yes';
    } else if (kind === 'list') out[d.json] = (value as string[]).join('\n');
    else out[d.json] = value === undefined ? '' : String(value);
  }
  return out;
}

/**
 * Form text → typed settings. Fields the form always shows are required; an unchecked
 * box is absent and means "no". Values are only typed here; ranges are checked by the
 * model's schema (mergePolicy).
 */
export function settingsFromForm(body: Record<string, string>): { settings: Partial<OrgSettings>; invalid: string[] } {
  const settings: Record<string, unknown> = {};
  const invalid: string[] = [];
  for (const d of policySettings) {
    const c = controls[d.key];
    const raw = body[d.json];
    switch (c.kind) {
      case 'mode':
        if (mfaModes.includes(raw as never)) settings[d.key] = raw;
        else invalid.push(d.json);
        break;
      case 'federated':
        if (federatedMfaModes.includes(raw as never)) settings[d.key] = raw;
        else invalid.push(d.json);
        break;
      case 'methods':
        settings[d.key] = mfaMethods.filter((m) => body[methodField(m)] === 'yes');
        break;
      case 'boolean':
        if (raw === undefined || raw === 'yes') settings[d.key] = raw === 'yes';
        else invalid.push(d.json);
        break;
      case 'number':
      case 'choice':
        if (raw !== undefined && /^\d{1,6}$/.test(raw.trim()) && (!c.choices || c.choices.includes(Number(raw)))) settings[d.key] = Number(raw.trim());
        else invalid.push(d.json);
        break;
      case 'text':
        if (raw !== undefined && raw.length <= 100) settings[d.key] = raw.trim();
        else invalid.push(d.json);
        break;
      case 'list':
        if (raw !== undefined && raw.length <= 4000) settings[d.key] = raw.split(/[\s,]+/).filter(Boolean).map((v) => v.toLowerCase());
        else invalid.push(d.json);
        break;
    }
  }
  return { settings: settings as Partial<OrgSettings>, invalid };
}

/** Only the settings that differ from the current ones, so the audit names real changes. */
export function changedSettings(current: OrgSettings, wanted: Partial<OrgSettings>): Partial<OrgSettings> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wanted)) {
    const before = current[key as PolicyKey];
    // lists are sets: the form sends the methods in its own order
    const norm = (v: unknown) => JSON.stringify(Array.isArray(v) ? [...(v as string[])].sort() : v);
    const same = key === 'systemTitle' ? (before ?? '') === value : norm(before) === norm(value);
    if (!same) out[key] = value;
  }
  return out as Partial<OrgSettings>;
}
