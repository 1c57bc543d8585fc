import type { Knex } from 'knex';
import { keyedLookup } from './pg-batch.js';
import { selectByKey, selectRows } from './raw.js';
import { type Locale, type Organisation, type Role, type User, usernameKey } from '../model.js';
import { type OrgRow, toOrg } from './orgs.js';
import { randomId } from '../util/ids.js';

interface UserRow {
  id: string;
  org_id: string;
  username: string;
  username_key: string;
  password_hash: string;
  email: string | null;
  email_verified: boolean | number;
  name: string | null;
  locale: string | null;
  role: string;
  must_change_password: boolean | number;
  disabled: boolean | number;
  password_changed_at: number | null;
  last_login_at: number | null;
  last_mfa_method?: string | null;
  webauthn_offer?: boolean | number | null;
  created_at: number;
  updated_at: number;
}

const num = (v: number | null) => (v === null ? null : Number(v));

function toUser(row: UserRow): User {
  return {
    id: row.id,
    orgId: row.org_id,
    username: row.username,
    passwordHash: row.password_hash,
    email: row.email,
    emailVerified: Boolean(row.email_verified),
    name: row.name,
    locale: (row.locale as Locale | null) ?? null,
    role: row.role as Role,
    mustChangePassword: Boolean(row.must_change_password),
    disabled: Boolean(row.disabled),
    passwordChangedAt: num(row.password_changed_at),
    lastLoginAt: num(row.last_login_at),
    lastMfaMethod: row.last_mfa_method ?? null,
    webauthnOffer: Boolean(row.webauthn_offer),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export interface NewUser {
  orgId: string;
  username: string;
  passwordHash: string;
  email?: string | null;
  name?: string | null;
  locale?: Locale | null;
  role?: Role;
  mustChangePassword?: boolean;
}

/** How stale `users.last_login_at` may be: recordLogin rewrites it at most this often. */
export const LAST_LOGIN_PRECISION_MS = 3600_000;

export type UserRepository = ReturnType<typeof createUserRepository>;

// Constant SQL (src/db/raw.ts). The organisation's columns carry an `o_` prefix: both tables have name and timestamps.
const WITH_ORG =
  'select u.*, o.code as o_code, o.name as o_name, o.settings as o_settings, o.created_at as o_created_at, o.updated_at as o_updated_at ' +
  'from users u join organisations o on o.id = u.org_id';
const SQL = {
  findByIdWithOrg: `${WITH_ORG} where u.id = ?`,
  /** PostgreSQL: the lookups of one event-loop turn, together (src/db/pg-batch.ts) */
  findManyWithOrg: `${WITH_ORG} where u.id = any(?)`,
} as const;

const withOrgBatch = keyedLookup<UserRow & { [K in Exclude<keyof OrgRow, 'id'> as `o_${K}`]: OrgRow[K] }>(SQL.findManyWithOrg, 'users', 'id', (ids) => [ids]);

export function createUserRepository(knex: Knex) {
  const table = () => knex<UserRow>('users');
  return {
    async create(input: NewUser): Promise<User> {
      const now = Date.now();
      const row: UserRow = {
        id: randomId(),
        org_id: input.orgId,
        username: input.username.normalize('NFKC').trim(),
        username_key: usernameKey(input.username),
        password_hash: input.passwordHash,
        email: input.email ?? null,
        email_verified: false,
        name: input.name ?? null,
        locale: input.locale ?? null,
        role: input.role ?? 'user',
        must_change_password: input.mustChangePassword ?? false,
        disabled: false,
        password_changed_at: now,
        last_login_at: null,
        created_at: now,
        updated_at: now,
      };
      await table().insert(row);
      return toUser(row);
    },
    async findById(id: string): Promise<User | undefined> {
      // constant SQL (src/db/raw.ts): every token's userinfo and every sign-in look users up
      const [row] = await selectRows<UserRow>(knex, 'select * from users where id = ?', [id]);
      return row && toUser(row);
    },
    /**
     * The user together with its own organisation, in one statement: findAccount (every
     * userinfo and refresh) needs both, and on PostgreSQL each statement is a round trip.
     * The join on the user's org_id is what keeps a user with its organisation.
     */
    async findByIdWithOrg(id: string): Promise<{ user: User; org: Organisation } | undefined> {
      const [row] = await selectByKey(knex, SQL.findByIdWithOrg, [id], withOrgBatch, id);
      if (!row) return undefined;
      const org: OrgRow = { id: row.org_id, code: row.o_code, name: row.o_name, settings: row.o_settings, created_at: row.o_created_at, updated_at: row.o_updated_at };
      return { user: toUser(row), org: toOrg(org) };
    },
    async findByUsername(orgId: string, username: string): Promise<User | undefined> {
      const [row] = await selectRows<UserRow>(knex, 'select * from users where org_id = ? and username_key = ?', [orgId, usernameKey(username)]);
      return row && toUser(row);
    },
    async listByOrg(orgId: string): Promise<User[]> {
      return (await table().where({ org_id: orgId }).orderBy('username_key')).map(toUser);
    },
    /** The user only when it belongs to the organisation: an id from another one is "not found". */
    async findInOrg(orgId: string, id: string): Promise<User | undefined> {
      const row = await table().where({ id, org_id: orgId }).first();
      return row && toUser(row);
    },
    /** One page of an organisation's users, optionally matching text in user ID, name or e-mail. */
    async search(orgId: string, opts: { q?: string; limit: number; offset: number }): Promise<{ users: User[]; total: number }> {
      const base = () => {
        const q = table().where({ org_id: orgId });
        if (opts.q) {
          const pattern = `%${opts.q.normalize('NFKC').toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
          q.where((w) =>
            w
              .whereRaw("username_key like ? escape '\\'", [pattern])
              .orWhereRaw("lower(coalesce(name, '')) like ? escape '\\'", [pattern])
              .orWhereRaw("lower(coalesce(email, '')) like ? escape '\\'", [pattern]),
          );
        }
        return q;
      };
      const [{ n }] = (await base().count({ n: '*' })) as [{ n: number | string }];
      const rows = await base().orderBy('username_key').limit(opts.limit).offset(opts.offset);
      return { users: rows.map(toUser), total: Number(n) };
    },
    /** id → username for the given ids of one organisation's users. */
    async usernames(orgId: string, ids: string[]): Promise<Map<string, string>> {
      const rows = await table().where({ org_id: orgId }).whereIn('id', ids).select('id', 'username');
      return new Map(rows.map((r) => [r.id, r.username]));
    },
    async setDisabled(id: string, disabled: boolean): Promise<void> {
      await table().where({ id }).update({ disabled, updated_at: Date.now() });
    },
    async setMustChangePassword(id: string, mustChange: boolean): Promise<void> {
      await table().where({ id }).update({ must_change_password: mustChange, updated_at: Date.now() });
    },
    async count(): Promise<number> {
      const [{ n }] = (await table().count({ n: '*' })) as [{ n: number | string }];
      return Number(n);
    },
    async setPassword(id: string, passwordHash: string, mustChange = false): Promise<void> {
      const now = Date.now();
      await table().where({ id }).update({
        password_hash: passwordHash,
        must_change_password: mustChange,
        password_changed_at: now,
        updated_at: now,
      });
    },
    /**
     * Records a sign-in on the user's row — only where a reader needs it changed, as a
     * write per sign-in costs more than the value is worth: the first sign-in (the
     * first-login password change reads `last_login_at === null`), another second-factor
     * method than last time (offered first next time), or a last sign-in older than
     * LAST_LOGIN_PRECISION_MS (the admin pages, API and CLI show it; to the hour is
     * enough). Exact times and methods are in the audit log (`login.succeeded`).
     * Returns whether it wrote.
     */
    async recordLogin(user: Pick<User, 'id' | 'lastLoginAt' | 'lastMfaMethod'>, mfaMethod: string | null = null, now = Date.now()): Promise<boolean> {
      const patch: Record<string, unknown> = {};
      if (user.lastLoginAt === null || now - user.lastLoginAt >= LAST_LOGIN_PRECISION_MS) patch.last_login_at = now;
      if (mfaMethod && mfaMethod !== user.lastMfaMethod) Object.assign(patch, { last_login_at: now, last_mfa_method: mfaMethod });
      if (!Object.keys(patch).length) return false;
      await table().where({ id: user.id }).update(patch);
      return true;
    },
    async updateProfile(id: string, profile: { name: string | null; locale: Locale }): Promise<void> {
      await table().where({ id }).update({ name: profile.name, locale: profile.locale, updated_at: Date.now() });
    },
    async setLocale(id: string, locale: Locale): Promise<void> {
      await table().where({ id }).update({ locale, updated_at: Date.now() });
    },
  };
}
