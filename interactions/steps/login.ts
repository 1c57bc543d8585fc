import type { Context } from 'koa';
import { h } from 'preact';
import { z } from 'zod';
import { passwordLogin } from '../../src/auth/login.js';
import { formatTime } from '../../src/i18n/index.js';
import type { Organisation } from '../../src/model.js';
import { LoginPage, type LoginView } from '../views/login.js';
import { sendPage } from '../respond.js';
import { federationView, linkAfterPassword, pendingLink } from './federation.js';
import { type FlowData, type InteractionDeps, type LoadedFlow, advance, pageFor, stepUrl } from '../flow.js';
import { NotFoundError } from '../../src/errors.js';
import { passkeyOptions as sendPasskeyOptions, passkeysOffered, verifyPasskey } from './webauthn.js';

const loginForm = z.object({
  org: z.string().trim().max(64).optional(),
  username: z.string().trim().max(128),
  password: z.string().max(256),
});

/** The organisation code is asked only when the client is not bound to one and several exist. */
export async function organisationFor(deps: InteractionDeps, loaded: LoadedFlow): Promise<{ askOrg: boolean; org?: Organisation | undefined }> {
  const { orgs } = deps.services.repos;
  if (loaded.clientOrgId) return { askOrg: false, org: await orgs.findById(loaded.clientOrgId) };
  const sole = await orgs.sole();
  return sole ? { askOrg: false, org: sole } : { askOrg: true };
}

export async function showLogin(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, status = 200, extra: Partial<LoginView> = {}) {
  const { askOrg, org } = await organisationFor(deps, loaded);
  const hint = loaded.interaction.params.login_hint;
  const passkey = (await passkeysOffered(deps, loaded, org))
    ? { optionsUrl: stepUrl(loaded.uid, 'passkey-options'), action: stepUrl(loaded.uid, 'passkey') }
    : undefined;
  const page = pageFor(ctx, loaded);
  sendPage(
    ctx,
    status,
    h(LoginPage, {
      page,
      action: stepUrl(loaded.uid, 'login'),
      csrf: deps.csrf.tokenFor(loaded.uid),
      clientName: loaded.clientName,
      askOrg,
      values: { username: typeof hint === 'string' ? hint.slice(0, 128) : undefined },
      errors: {},
      passkey,
      federation: await federationView(deps, loaded, page.locale),
      ...extra,
    }),
  );
}

export async function submitLogin(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const page = pageFor(ctx, loaded);
  const { t } = page;
  const parsed = loginForm.safeParse(body);
  const values = { org: body.org?.slice(0, 64), username: body.username?.slice(0, 128) };
  if (!parsed.success) {
    const fields = new Set(parsed.error.issues.map((i) => String(i.path[0])));
    return showLogin(ctx, deps, loaded, 400, {
      values,
      errors: {
        org: fields.has('org') ? t('login.tooLong') : undefined,
        username: fields.has('username') ? (body.username ? t('login.tooLong') : t('login.usernameRequired')) : undefined,
        password: fields.has('password') ? (body.password ? t('password.too_long') : t('login.passwordRequired')) : undefined,
      },
    });
  }
  const form = parsed.data;
  const { askOrg, org: fixedOrg } = await organisationFor(deps, loaded);
  const missing = {
    org: askOrg && !form.org ? t('login.orgRequired') : undefined,
    username: !form.username ? t('login.usernameRequired') : undefined,
    password: !form.password ? t('login.passwordRequired') : undefined,
  };
  if (missing.org || missing.username || missing.password) return showLogin(ctx, deps, loaded, 400, { values, errors: missing });

  let org = askOrg ? await deps.services.repos.orgs.findByCode(form.org!) : fixedOrg;
  // linking an upstream account: only a user of the upstream's organisation qualifies (same generic answer otherwise)
  const linking = await pendingLink(deps, loaded);
  if (linking && org?.id !== linking.orgId) org = undefined;
  const { services } = deps;
  const result = await passwordLogin(
    { ...services.repos, hasher: services.hasher, throttle: services.throttle, audit: services.audit },
    { org, orgCode: askOrg ? form.org! : (org?.code ?? ''), username: form.username, password: form.password },
    { ip: ctx.ip, userAgent: ctx.get('user-agent'), clientId: String(loaded.interaction.params.client_id ?? '') },
  );
  if (!result.ok) {
    const message =
      result.reason === 'locked' ? t('login.locked', { time: formatTime(result.retryAt, page.locale) }) : t('login.invalid');
    if (result.reason === 'locked') ctx.set('retry-after', String(Math.max(1, Math.ceil((result.retryAt - Date.now()) / 1000))));
    return showLogin(ctx, deps, loaded, result.reason === 'locked' ? 429 : 401, { values, errors: { form: message } });
  }

  const data: FlowData = { amr: ['pwd'], authTime: Math.floor(Date.now() / 1000) };
  if (linking) Object.assign(data, await linkAfterPassword(ctx, deps, loaded, linking, result.user));
  await advance(ctx, deps, loaded, 'password', { user: result.user, org: result.org, data });
}

/** Options for a passkey sign-in; refused where no organisation of this client allows passkeys. */
export async function passkeyOptions(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { org } = await organisationFor(deps, loaded);
  if (!(await passkeysOffered(deps, loaded, org))) throw new NotFoundError();
  await sendPasskeyOptions(ctx, deps, loaded);
}

export async function submitPasskey(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { org } = await organisationFor(deps, loaded);
  if (!(await passkeysOffered(deps, loaded, org))) throw new NotFoundError();
  const { t } = pageFor(ctx, loaded);
  const error = await verifyPasskey(ctx, deps, loaded, body, t);
  if (error) return showLogin(ctx, deps, loaded, 400, { errors: { form: error } });
}
