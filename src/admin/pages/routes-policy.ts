import type Router from '@koa/router';
import { h } from 'preact';
import { seeOther, sendPage } from '../../../interactions/respond.js';
import { BadRequestError } from '../../errors.js';
import { AdminInvalidError } from '../errors.js';
import { mergePolicy, policySettings, updateOrganisation } from '../org-policy.js';
import { type AdminPagesDeps, adminActor, adminPage, adminPost, requireAdmin } from './context.js';
import { NOTICES } from './notices.js';
import { changedSettings, formFieldNames, settingsFromForm, valuesOf } from './policy-form.js';
import { PolicyPage } from './views/policy.js';

/** The organisation's sign-in policy: the same settings and checks as `idp orgs update` and PATCH …/policy. */
export function registerPolicyRoutes(router: Router, deps: AdminPagesDeps): void {
  const { services } = deps;
  const allowed = new Set(formFieldNames());

  router.get('/admin/policy', async (ctx) => {
    const who = await requireAdmin(ctx);
    const page = adminPage(ctx, who, 'policy', '/admin/policy');
    const notice = ctx.query.done === 'policy-saved' ? page.t(NOTICES['policy-saved']) : undefined;
    sendPage(ctx, 200, h(PolicyPage, { page, values: valuesOf(who.org.settings), errors: {}, notice }));
  });

  router.post('/admin/policy', async (ctx) => {
    const { who, body } = await adminPost(ctx);
    const unknown = Object.keys(body).filter((k) => !allowed.has(k));
    if (unknown.length) throw new BadRequestError(`unknown field(s) ${unknown.slice(0, 3).join(', ').slice(0, 100)}`);
    const page = adminPage(ctx, who, 'policy', '/admin/policy');
    const { settings, invalid } = settingsFromForm(body);
    const errors: Record<string, string> = Object.fromEntries(invalid.map((name) => [name, page.t('admin.policy.invalid')]));
    if (!invalid.length) {
      try {
        // ranges and combinations, by the model's schema (as for the CLI and the API)
        mergePolicy(who.org.settings, settings);
      } catch (err) {
        if (!(err instanceof AdminInvalidError)) throw err;
        const field = err.field && policySettings.some((d) => d.json === err.field) ? err.field : 'mfa';
        errors[field] = page.t('admin.policy.invalid');
      }
    }
    if (Object.keys(errors).length) return sendPage(ctx, 400, h(PolicyPage, { page, values: body, errors }));
    const changes = changedSettings(who.org.settings, settings);
    if (Object.keys(changes).length) await updateOrganisation(services, who.org, { settings: changes }, adminActor(ctx, who));
    seeOther(ctx, '/admin/policy?done=policy-saved');
  });
}
