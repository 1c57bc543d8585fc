import { z } from 'zod';
import { CLI_ACTOR } from '../../admin/actor.js';
import { AdminError } from '../../admin/errors.js';
import { forcePasswordChange, setTwoFactorEmail, setUserDisabled, userJson } from '../../admin/users.js';
import type { PasswordProblem } from '../../auth/passwords.js';
import { locales, type Organisation, roles, type User } from '../../model.js';
import { CliRuntimeError, CliUsageError, email, oneOf, orgCode, text, username, validate } from '../args.js';
import type { Command } from '../command.js';
import { type CliContext, inTransaction, requireOrg, requireUser, uniquely } from '../context.js';
import { fields, iso, table } from '../output.js';

export { userJson };

/** Reads the whole of standard input; one trailing line break is not part of the password. */
async function readPassword(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function passwordProblem(org: Organisation, password: string, inputs: string[]): Promise<string | undefined> {
  const { checkNewPassword, MAX_PASSWORD_LENGTH, passwordScore } = await import('../../auth/passwords.js');
  const problem: PasswordProblem | undefined = checkNewPassword(password, org.settings, inputs);
  switch (problem) {
    case undefined:
      return undefined;
    case 'too_short':
      return `is too short: organisation ${org.code} requires at least ${org.settings.passwordMinLength} characters (got ${[...password].length})`;
    case 'too_long':
      return `is too long: at most ${MAX_PASSWORD_LENGTH} characters`;
    case 'same_as_username':
      return 'must not be the same as the username or e-mail address';
    case 'too_weak':
      return `is too easy to guess: organisation ${org.code} requires strength score ${org.settings.passwordMinScore} of 4 (got ${passwordScore(password, inputs)}); use a longer passphrase`;
  }
}

const addSchema = z.object({
  org: orgCode,
  username,
  password: z.string().optional(),
  'password-stdin': z.boolean().optional(),
  email: email.optional(),
  name: text({ max: 200 }).optional(),
  locale: oneOf(locales).optional(),
  role: oneOf(roles).optional(),
  'must-change-password': z.boolean().optional(),
});

export const usersAdd: Command = {
  name: 'users add',
  summary: 'create a user in an organisation',
  options: {
    org: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    email: { type: 'string' },
    name: { type: 'string' },
    locale: { type: 'string' },
    role: { type: 'string' },
    'must-change-password': { type: 'boolean' },
  },
  help: `Usage: idp users add --org CODE --username NAME (--password PASSWORD | --password-stdin)
                     [--email ADDRESS] [--name NAME] [--locale ja|en] [--role user|admin]
                     [--must-change-password] [--json]

Creates a user. The password must satisfy the organisation's password policy.

  --org CODE                organisation code (required)
  --username NAME           1 to 128 characters, no spaces; unique within the organisation (required)
  --password PASSWORD       the initial password (visible in the process list and shell history)
  --password-stdin          read the password from standard input instead (one trailing newline is dropped)
  --email ADDRESS           e-mail address (for e-mailed codes and password reset)
  --name NAME               display name
  --locale ja|en            language of pages and mails (default: from the browser)
  --role user|admin         default user
  --must-change-password    the user must choose a new password at the first sign-in`,
  prepare(values) {
    const input = validate(addSchema, values);
    if (input.password !== undefined && input['password-stdin']) {
      throw new CliUsageError('give either --password or --password-stdin, not both');
    }
    if (input.password === undefined && !input['password-stdin']) {
      throw new CliUsageError('--password (or --password-stdin) is required');
    }
    const passwordOption = input['password-stdin'] ? '--password-stdin' : '--password';
    return async ({ services, stdin }) => {
      const org = await requireOrg(services, input.org);
      const duplicate = `--username: user "${input.username}" already exists in organisation ${org.code}`;
      if (await services.repos.users.findByUsername(org.id, input.username)) throw new CliUsageError(duplicate);
      const password = input.password ?? (await readPassword(stdin));
      if (!password) throw new CliUsageError(`${passwordOption}: the password is empty`);
      const inputs = [input.username, ...(input.email ? [input.email, input.email.split('@')[0]!] : [])];
      const problem = await passwordProblem(org, password, inputs);
      if (problem) throw new CliUsageError(`${passwordOption} ${problem}`);
      const passwordHash = await services.hasher.hash(password);
      const user = await uniquely(duplicate, () =>
        inTransaction(services, async (tx) => {
          const created = await tx.users.create({
            orgId: org.id,
            username: input.username,
            passwordHash,
            email: input.email ?? null,
            name: input.name ?? null,
            locale: input.locale ?? null,
            role: input.role ?? 'user',
            mustChangePassword: input['must-change-password'] ?? false,
          });
          await tx.audit({ type: 'user.created', orgId: org.id, userId: created.id, details: { username: created.username, role: created.role } });
          return created;
        }),
      );
      return {
        json: { user: userJson(user, org) },
        text: `Created user ${user.username} in ${org.code}\n${fields([
          ['id', user.id],
          ['role', user.role],
          ['email', user.email ?? '-'],
          ['name', user.name ?? '-'],
          ['locale', user.locale ?? '-'],
          ['must change password', user.mustChangePassword ? 'yes' : 'no'],
        ])}`,
      };
    };
  },
};

export const usersList: Command = {
  name: 'users list',
  summary: "list an organisation's users",
  options: { org: { type: 'string' } },
  help: `Usage: idp users list --org CODE [--json]

Lists the users of an organisation (never their password hashes).`,
  prepare(values) {
    const input = validate(z.object({ org: orgCode }), values);
    return async ({ services }) => {
      const org = await requireOrg(services, input.org);
      const users = await services.repos.users.listByOrg(org.id);
      const text = users.length
        ? table(
            ['USERNAME', 'NAME', 'EMAIL', 'ROLE', 'FLAGS', 'LAST SIGN-IN'],
            users.map((u) => [
              u.username,
              u.name ?? '',
              u.email ?? '',
              u.role,
              [u.disabled ? 'disabled' : '', u.mustChangePassword ? 'must-change-password' : ''].filter(Boolean).join(',') || '-',
              u.lastLoginAt ? iso(u.lastLoginAt)! : 'never',
            ]),
          )
        : `No users in ${org.code} yet (create one with idp users add --org ${org.code} --username NAME --password-stdin).`;
      return { json: { users: users.map((u) => userJson(u, org)) }, text };
    };
  },
};

const accountSchema = z.object({ org: orgCode, username });

export const usersResetMfa: Command = {
  name: 'users reset-mfa',
  summary: "remove a user's second factors so they enrol again",
  options: { org: { type: 'string' }, username: { type: 'string' } },
  help: `Usage: idp users reset-mfa --org CODE --username NAME [--json]

Removes the user's second factors (for a lost phone or security key) and clears the
second-factor lock-out; the user sets up a second factor again at the next sign-in
if the organisation requires one. Audited as mfa.reset.`,
  prepare(values) {
    const input = validate(accountSchema, values);
    return async ({ services }) => {
      const org = await requireOrg(services, input.org);
      const user = await requireUser(services, org, input.username);
      const { resetMfa } = await import('../../auth/account-admin.js');
      const result = await resetMfa(services, user, CLI_ACTOR);
      return {
        json: {
          user: { id: user.id, org: org.code, username: user.username },
          mfa_reset: {
            factors_removed: result.factorsRemoved,
            backup_codes_removed: result.backupCodesRemoved,
            browsers_revoked: result.browsersRevoked,
            throttles_cleared: result.throttleKeysCleared.length,
          },
        },
        text: `Reset the second factors of ${user.username} in ${org.code}: ${result.factorsRemoved} factor(s) and ${result.backupCodesRemoved} backup code(s) removed, ${result.browsersRevoked} remembered browser(s) revoked, ${result.throttleKeysCleared.length} lock-out(s) cleared. The user sets up again at the next sign-in.`,
      };
    };
  },
};

export const usersUnlock: Command = {
  name: 'users unlock',
  summary: 'lift a password lock-out',
  options: { org: { type: 'string' }, username: { type: 'string' } },
  help: `Usage: idp users unlock --org CODE --username NAME [--json]

Forgets the account's failed password attempts, lifting a lock-out earned by too many
wrong passwords. Audited as account.unlocked.`,
  prepare(values) {
    const input = validate(accountSchema, values);
    return async ({ services }) => {
      const org = await requireOrg(services, input.org);
      const user = await requireUser(services, org, input.username);
      const { unlockAccount } = await import('../../auth/account-admin.js');
      const result = await unlockAccount(services, org, user, CLI_ACTOR);
      return {
        json: {
          user: { id: user.id, org: org.code, username: user.username },
          unlocked: { was_locked: result.wasLocked, failures_cleared: result.failures },
        },
        text: result.wasLocked
          ? `Unlocked ${user.username} in ${org.code} (${result.failures} failed attempt(s) forgiven).`
          : `${user.username} in ${org.code} was not locked; ${result.failures} failed attempt(s) forgiven.`,
      };
    };
  },
};

/** A user action shared with the admin API: --org and --username select the user. */
function userAction(spec: {
  name: string;
  summary: string;
  help: string;
  run: (ctx: CliContext, org: Organisation, user: User) => Promise<{ json: Record<string, unknown>; text: string }>;
}): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    options: { org: { type: 'string' }, username: { type: 'string' } },
    help: spec.help,
    prepare(values) {
      const input = validate(accountSchema, values);
      return async (ctx) => {
        const org = await requireOrg(ctx.services, input.org);
        const user = await requireUser(ctx.services, org, input.username);
        return spec.run(ctx, org, user);
      };
    },
  };
}

export const usersDisable = userAction({
  name: 'users disable',
  summary: 'stop a user from signing in',
  help: `Usage: idp users disable --org CODE --username NAME [--json]

The user can no longer sign in, and tokens already issued no longer resolve the
account. Remembered browsers are revoked. Audited as user.disabled.`,
  run: async ({ services }, org, user) => {
    const updated = await setUserDisabled(services, user, true, CLI_ACTOR);
    return { json: { user: userJson(updated, org) }, text: `Disabled ${user.username} in ${org.code}.` };
  },
});

export const usersEnable = userAction({
  name: 'users enable',
  summary: 'let a disabled user sign in again',
  help: `Usage: idp users enable --org CODE --username NAME [--json]

Undoes idp users disable. Audited as user.enabled.`,
  run: async ({ services }, org, user) => {
    const updated = await setUserDisabled(services, user, false, CLI_ACTOR);
    return { json: { user: userJson(updated, org) }, text: `Enabled ${user.username} in ${org.code}.` };
  },
});

export const usersForcePasswordChange = userAction({
  name: 'users force-password-change',
  summary: 'require a new password at the next sign-in',
  help: `Usage: idp users force-password-change --org CODE --username NAME [--json]

The user must choose a new password after the next successful sign-in. Audited as
password.change_forced.`,
  run: async ({ services }, org, user) => {
    const updated = await forcePasswordChange(services, user, CLI_ACTOR);
    return { json: { user: userJson(updated, org) }, text: `${user.username} in ${org.code} must choose a new password at the next sign-in.` };
  },
});

export const usersSet2faEmail: Command = {
  name: 'users set-2fa-email',
  summary: "set a user's 2FA e-mail address (a confirmation link is mailed to it)",
  options: { org: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' } },
  help: `Usage: idp users set-2fa-email --org CODE --username NAME --email ADDRESS [--json]

Sets the address that receives the user's one-time codes. It is provisional until the
confirmation link mailed to that address is opened; a confirmed address keeps working
until then. Audited as mfa.email_set_by_admin.`,
  prepare(values) {
    const input = validate(z.object({ org: orgCode, username, email }), values);
    return async ({ services }) => {
      const org = await requireOrg(services, input.org);
      const user = await requireUser(services, org, input.username);
      try {
        const sent = await setTwoFactorEmail(services, org, user, input.email, CLI_ACTOR);
        return {
          json: { user_id: user.id, email: input.email, confirmation_sent: true, expires_at: iso(sent.expiresAt) },
          text: `Sent a confirmation link to ${input.email} for ${user.username} in ${org.code}; it works until ${iso(sent.expiresAt)}.`,
        };
      } catch (err) {
        if (err instanceof AdminError) throw new CliRuntimeError(err.detail);
        throw err;
      }
    };
  },
};
