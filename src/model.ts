import { z } from 'zod';

export const mfaModes = ['off', 'optional', 'required'] as const;
export const mfaMethods = ['totp', 'email', 'webauthn'] as const;
export const roles = ['user', 'admin'] as const;
export const locales = ['ja', 'en'] as const;
export const federatedMfaModes = ['always', 'trust-upstream', 'never'] as const;

export type MfaMode = (typeof mfaModes)[number];
export type MfaMethod = (typeof mfaMethods)[number];
export type Role = (typeof roles)[number];
export type Locale = (typeof locales)[number];

/** An organisation's policy. Stored as JSON; missing keys take these defaults. */
export const orgSettingsSchema = z.object({
  mfa: z.enum(mfaModes).default('off'),
  methods: z.array(z.enum(mfaMethods)).min(1).default(['totp', 'email', 'webauthn']),
  rememberHours: z.number().int().min(0).max(720).default(8),
  passwordMinLength: z.number().int().min(8).max(128).default(8),
  /** zxcvbn score 0–4 that a new password must reach; 0 accepts weak ones (seed 001). */
  passwordMinScore: z.number().int().min(0).max(4).default(0),
  /** seed 001: the first sign-in replaces the password the administrator handed out */
  passwordChangeAtFirstLogin: z.boolean().default(false),
  sessionIdleMinutes: z.number().int().min(1).max(1440).default(30),
  sessionMaxHours: z.number().int().min(1).max(720).default(12),
  systemTitle: z.string().max(100).optional(),
  /** lifetime of a mailed one-time code: 10 minutes by default, up to 60 (seed 001) */
  emailCodeMinutes: z.number().int().min(1).max(60).default(10),
  /** TOTP period: 30 s, or 60 s as seed 003's tokens use */
  totpPeriod: z.union([z.literal(30), z.literal(60)]).default(30),
  totpDigits: z.union([z.literal(6), z.literal(8)]).default(6),
  /** wrong second-factor codes before the sign-in ends (seed 004 uses 3) */
  wrongCodeLimit: z.number().int().min(1).max(20).default(5),
  /** seed 000: a 2FA email is provisional until confirmed; sign-in waits for it */
  requireVerifiedEmail: z.boolean().default(false),
  /** seed 001: after a backup code is used, the factors are reset and set up again */
  reenrolAfterBackupCode: z.boolean().default(false),
  /** passwordless sign-in with a passkey (discoverable WebAuthn credential + user verification) */
  passkeys: z.boolean().default(false),
  /** WebAuthn authenticator models (AAGUIDs) accepted at registration; empty = any */
  webauthnAaguids: z
    .array(z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be AAGUIDs (UUIDs)'))
    .max(100)
    .default([]),
  /** seed 002: "forgot password" also resets the second factors (set up again at the next sign-in) */
  resetMfaOnPasswordReset: z.boolean().default(false),
  /**
   * issue 7: the local second factor after a sign-in through a linked upstream provider —
   * `always` asked as after a password, `trust-upstream` skipped when the upstream reports
   * MFA, `never` the organisation's own MFA mode does not apply (docs/federation.md)
   */
  federatedMfa: z.enum(federatedMfaModes).default('trust-upstream'),
});
export type OrgSettings = z.infer<typeof orgSettingsSchema>;

export interface Organisation {
  id: string;
  code: string;
  name: string;
  settings: OrgSettings;
  createdAt: number;
  updatedAt: number;
}

export interface User {
  id: string;
  orgId: string;
  username: string;
  passwordHash: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  locale: Locale | null;
  role: Role;
  mustChangePassword: boolean;
  disabled: boolean;
  passwordChangedAt: number | null;
  lastLoginAt: number | null;
  /** the second-factor method used last, offered first next time (seed 002) */
  lastMfaMethod: string | null;
  /** seed 002: register a WebAuthn key at the next sign-in */
  webauthnOffer: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Organisation codes compare case-insensitively; stored upper-case. */
export function normaliseOrgCode(code: string): string {
  return code.normalize('NFKC').trim().toUpperCase();
}

/** Usernames compare after NFKC (full-width → half-width) and lower-casing. */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}
