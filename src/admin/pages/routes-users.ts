import type Router from '@koa/router';
import type { Context } from 'koa';
import { h } from 'preact';
import { z } from 'zod';
import { seeOther, sendPage } from '../../../interactions/respond.js';
import { accountKey } from '../../auth/throttle.js';
import type { SignedInUser } from '../../account/self-session.js';
import { BadRequestError } from '../../errors.js';
import { listLinks } from '../../federation/links.js';
import { locales, roles, type User, usernameKey } from '../../model.js';
import { AdminError } from '../errors.js';
import { createUserSchema, userListQuery } from '../schemas.js';
import { createUser, searchUsers } from '../users.js';
import { type AdminPagesDeps, adminActor, adminPage, adminPost, dateFormat, requireAdmin, userInPath } from './context.js';
import { NOTICES } from './notices.js';
import { type NewUserField, NewUserPage, type NewUserView } from './views/user-new.js';
import { UserDetailPage, type UserDetailView } from './views/user-detail.js';
import { UsersPage } from './views/users.js';

export const USERS_PAGE_SIZE = 20;

/** The create form: every field text (a checkbox is present or absent), nothing else. */
const newUserForm = z.strictObject({
  csrf: z.string(),
  username: z.string().max(1000),
  password: z.string().max(1000),
  email: z.string().max(1000),
  name: z.string().max(1000),
  locale: z.string().max(10),
  role: z.string().max(10),
  must_change_password: z.literal('yes').optional(),
});

/** Everything the detail page shows about a user of the organisation. */
export async function showUser(ctx: Context, deps: AdminPagesDeps, who: SignedInUser, user: User, status = 200, extra: Partial<UserDetailView> = {}) {
  const { services } = deps;
  const page = adminPage(ctx, who, 'users', `/admin/users/${user.id}`);
  const [lock] = await services.repos.throttles.get([accountKey(who.org.code, usernameKey(user.username))]);
  const notice = NOTICES[String(ctx.query.done) as keyof typeof NOTICES];
  const pending = await services.secondFactors.emailFactor(user, { confirmed: false });
  const confirmed = await services.secondFactors.emailFactor(user, { confirmed: true });
  sendPage(
    ctx,
    status,
    h(UserDetailPage, {
      page,
      user,
      methods: await services.secondFactors.enrolledMethods(user.id),
      backupUnused: await services.repos.backupCodes.countUnused(user.id),
      links: await listLinks(services, user.id),
      pendingEmail: pending?.email ?? null,
      confirmedEmail: confirmed?.email ?? null,
      lockedUntil: lock?.lockedUntil && lock.lockedUntil > Date.now() ? lock.lockedUntil : null,
      isSelf: user.id === who.user.id,
      // the address named is the pending one from the database, never one from the URL
      notice: notice && page.t(notice, { email: pending?.email ?? '' }),
      formatDate: dateFormat(page.locale),
      ...extra,
    }),
  );
}

export function registerUserRoutes(router: Router, deps: AdminPagesDeps): void {
  const { services } = deps;

  router.get('/admin', async (ctx) => {
    await requireAdmin(ctx);
    ctx.redirect('/admin/users');
  });

  router.get('/admin/users', async (ctx) => {
    const who = await requireAdmin(ctx);
    const parsed = userListQuery.safeParse(ctx.query);
    if (!parsed.success) throw new BadRequestError('q is text of at most 100 characters; offset a whole number');
    const q = parsed.data.q?.trim() ?? '';
    const offset = parsed.data.offset ?? 0;
    const limit = parsed.data.limit ?? USERS_PAGE_SIZE;
    const found = await searchUsers(services, who.org, { q, limit, offset });
    const page = adminPage(ctx, who, 'users');
    const notice = NOTICES[String(ctx.query.done) as keyof typeof NOTICES];
    sendPage(ctx, 200, h(UsersPage, { page, q, users: found.users, total: found.total, offset, pageSize: limit, notice: notice && page.t(notice), formatDate: dateFormat(page.locale) }));
  });

  router.get('/admin/users/new', async (ctx) => {
    const who = await requireAdmin(ctx);
    const values = { username: '', email: '', name: '', locale: '', role: 'user', mustChange: who.org.settings.passwordChangeAtFirstLogin };
    sendPage(ctx, 200, h(NewUserPage, { page: adminPage(ctx, who, 'users'), values, errors: {} }));
  });

  router.post('/admin/users', async (ctx) => {
    const { who, body } = await adminPost(ctx);
    const form = newUserForm.safeParse(body);
    if (!form.success) throw new BadRequestError('the fields are username, password, email, name, locale, role and must_change_password');
    const f = form.data;
    const page = adminPage(ctx, who, 'users', '/admin/users/new');
    const values: NewUserView['values'] = { username: f.username.slice(0, 128), email: f.email.slice(0, 254), name: f.name.slice(0, 200), locale: f.locale, role: f.role, mustChange: Boolean(f.must_change_password) };
    const errors: Partial<Record<NewUserField, string>> = {};
    const shape = createUserSchema.shape;
    const username = shape.username.safeParse(f.username);
    if (!username.success) errors.username = page.t('admin.new.usernameInvalid');
    if (!f.password || f.password.length > 256) errors.password = page.t('admin.new.passwordRequired');
    const email = f.email.trim() ? shape.email.safeParse(f.email) : undefined;
    if (email && !email.success) errors.email = page.t('admin.user.emailInvalid');
    const name = f.name.trim() ? shape.name.safeParse(f.name.trim()) : undefined;
    if (name && !name.success) errors.name = page.t('admin.new.nameInvalid');
    const locale = locales.find((l) => l === f.locale);
    if (f.locale && !locale) errors.locale = page.t('admin.new.choiceInvalid');
    const role = roles.find((r) => r === f.role);
    if (!role) errors.role = page.t('admin.new.choiceInvalid');
    if (Object.keys(errors).length || !username.success) return sendPage(ctx, 400, h(NewUserPage, { page, values, errors }));

    try {
      const created = await createUser(
        services,
        who.org,
        { username: username.data, password: f.password, email: email?.data, name: name?.data, locale, role, mustChangePassword: values.mustChange },
        adminActor(ctx, who),
      );
      seeOther(ctx, `/admin/users/${created.id}?done=created`);
    } catch (err) {
      // taken user ID, a password the organisation's policy refuses: said next to the field
      if (err instanceof AdminError && err.status < 500 && (err.field === 'username' || err.field === 'password')) {
        return sendPage(ctx, err.status, h(NewUserPage, { page, values, errors: { [err.field]: page.t(err.messageKey, err.vars) } }));
      }
      throw err;
    }
  });

  router.get('/admin/users/:id', async (ctx) => {
    const who = await requireAdmin(ctx);
    const user = await userInPath(ctx, services, who);
    await showUser(ctx, deps, who, user);
  });
}
