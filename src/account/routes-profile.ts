import type Router from '@koa/router';
import { h } from 'preact';
import { z } from 'zod';
import { LANG_COOKIE } from '../../interactions/page-context.js';
import { seeOther, sendPage } from '../../interactions/respond.js';
import { BadRequestError } from '../errors.js';
import { locales } from '../model.js';
import { type AccountDeps, accountPage, auditFrom, signedInPost } from './context.js';
import { requireSignedInUser } from './self-session.js';
import { ProfilePage } from './views/profile.js';

const profileForm = z.object({
  csrf: z.string(),
  // control characters never belong in a display name
  name: z.string().max(1000).transform((s) => s.normalize('NFC').trim()),
  locale: z.string().max(10),
});

export function registerProfileRoutes(router: Router, deps: AccountDeps): void {
  const { services } = deps;

  router.get('/account', async (ctx) => {
    const who = await requireSignedInUser(ctx);
    const page = accountPage(ctx, who, 'profile');
    sendPage(
      ctx,
      200,
      h(ProfilePage, {
        page,
        values: { name: who.user.name ?? '', locale: who.user.locale ?? page.locale },
        errors: {},
        notice: ctx.query.saved === '1' ? page.t('account.saved') : undefined,
      }),
    );
  });

  router.post('/account/profile', async (ctx) => {
    const { who, body } = await signedInPost(ctx);
    const parsed = profileForm.safeParse(body);
    if (!parsed.success) throw new BadRequestError('name and locale are required text fields');
    const { name, locale } = parsed.data;
    const page = accountPage(ctx, who, 'profile');
    const errors: { name?: string; locale?: string } = {};
    if (name.length > 100 || /[\p{Cc}]/u.test(name)) errors.name = page.t('account.profile.nameInvalid');
    const chosen = locales.find((l) => l === locale);
    if (!chosen) errors.locale = page.t('account.profile.languageInvalid');
    if (errors.name || !chosen) return sendPage(ctx, 400, h(ProfilePage, { page, values: { name: name.slice(0, 100), locale }, errors }));

    await services.repos.users.updateProfile(who.user.id, { name: name || null, locale: chosen });
    // the switcher's cookie outranks the saved language: make them agree
    ctx.cookies.set(LANG_COOKIE, chosen, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 24 * 3600 * 1000, signed: false, overwrite: true });
    await services.audit.record({ type: 'account.profile_updated', ...auditFrom(ctx, who), details: { nameChanged: (who.user.name ?? '') !== name, locale: chosen } });
    seeOther(ctx, '/account?saved=1');
  });
}
