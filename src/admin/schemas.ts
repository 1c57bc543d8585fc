import { z } from 'zod';
import { locales, roles } from '../model.js';
import { AUDIT_PAGE_MAX } from './audit-query.js';
import { AdminInvalidError } from './errors.js';

/**
 * Input of the administration actions, validated the same way for the admin API (JSON
 * and query strings) and the admin pages (forms).
 */

// eslint-disable-next-line no-control-regex
const noControl = (v: string) => !/[\u0000-\u001f\u007f]/.test(v);

export const usernameField = z
  .string()
  .transform((v) => v.normalize('NFKC').trim())
  .refine((v) => [...v].length >= 1 && [...v].length <= 128 && !/[\s\p{C}]/u.test(v), 'must be 1 to 128 characters without spaces');

export const emailField = z
  .string()
  .transform((v) => v.trim())
  .pipe(z.email('must be an e-mail address').max(254, 'must be at most 254 characters'));

const displayName = z.string().max(200, 'must be at most 200 characters').refine(noControl, 'must not contain control characters');

export const createUserSchema = z.strictObject({
  username: usernameField,
  password: z.string().min(1, 'is required').max(256, 'must be at most 256 characters'),
  email: emailField.optional(),
  name: displayName.optional(),
  locale: z.enum(locales).optional(),
  role: z.enum(roles).optional(),
  must_change_password: z.boolean().optional(),
});

export const emptyBody = z.strictObject({});

export const twoFactorEmailSchema = z.strictObject({ email: emailField });

/** Ids are our random ids; anything else cannot name a user. */
export const idField = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a valid id');

const whole = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be from ${min} to ${max}`);

const instant = z
  .string()
  .max(40)
  .refine((v) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date or date-time')
  .transform((v) => Date.parse(v));

export const userListQuery = z.strictObject({
  q: z.string().max(100, 'must be at most 100 characters').optional(),
  limit: whole(1, 200).optional(),
  offset: whole(0, 1_000_000).optional(),
});

export const auditQuerySchema = z
  .strictObject({
    user: idField.optional(),
    type: z.string().regex(/^[a-z0-9_.]{1,64}$/, 'must be an event type such as login.failed').optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: whole(1, AUDIT_PAGE_MAX).optional(),
    before: whole(1, Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: 'must be before to', path: ['from'] });

/** Parses with a schema; the first problem becomes a 400 naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value, {
    error: (issue) => (issue.input === undefined ? 'is required' : issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : undefined),
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? issue.keys[0]! : 'body';
  return failWith(field, issue.message);
}

function failWith(field: string, message: string): never {
  throw new AdminInvalidError(field, message, 'admin.error.invalid', { detail: `${field}: ${message}` });
}
