/** `?done=` values of the admin pages and the sentence each shows. */
export const NOTICES = {
  created: 'admin.notice.created',
  disabled: 'admin.notice.disabled',
  enabled: 'admin.notice.enabled',
  forced: 'admin.notice.forced',
  unlocked: 'admin.notice.unlocked',
  'mfa-reset': 'admin.notice.mfaReset',
  'email-sent': 'admin.notice.emailSent',
  'policy-saved': 'admin.notice.policySaved',
  unlinked: 'admin.notice.unlinked',
} as const;
