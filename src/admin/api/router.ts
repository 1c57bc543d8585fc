import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { AppError } from '../../errors.js';
import { translator } from '../../i18n/index.js';
import type { Organisation } from '../../model.js';
import type { Services } from '../../services.js';
import type { Actor } from '../actor.js';
import { auditEventJson, queryAudit, usernamesFor } from '../audit-query.js';
import { AdminError, AdminNotFoundError } from '../errors.js';
import { orgJson, policyChangesFromJson, policyPatchSchema, updateOrganisation } from '../org-policy.js';
import { auditQuerySchema, createUserSchema, emptyBody, idField, parseInput, twoFactorEmailSchema, userListQuery } from '../schemas.js';
import {
  createUser,
  findUser,
  forcePasswordChange,
  resetUserMfa,
  searchUsers,
  setTwoFactorEmail,
  setUserDisabled,
  unlockUser,
  userJson,
} from '../users.js';
import { type ApiCaller, authenticate, mayActOn } from './auth.js';
import { federationRoutes } from './federation-routes.js';
import { readJson } from './json-body.js';
import { openApiDocument } from './openapi.js';

export const API_PREFIX = '/admin/api/v1';

interface ApiDeps {
  provider: Provider;
  services: Services;
}

export interface Call {
  ctx: Context;
  deps: ApiDeps;
  caller: ApiCaller;
  org: Organisation;
  actor: Actor;
}

export type Handler = (call: Call) => Promise<unknown>;

/** One admin API operation: the router and the OpenAPI document are both checked against this table. */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** koa-router path below API_PREFIX */
  path: string;
  handler: Handler;
}

export async function user(call: Call) {
  return findUser(call.deps.services, call.org, parseInput(idField, call.ctx.params.user_id));
}

/** Actions without parameters accept no body or an empty JSON object. */
export const noBody = async (ctx: Context) => parseInput(emptyBody, await readJson(ctx));

export const apiRoutes: ApiRoute[] = [
  {
    method: 'GET',
    path: '/orgs/:org',
    handler: async ({ org }) => ({ org: orgJson(org) }),
  },
  {
    method: 'PATCH',
    path: '/orgs/:org/policy',
    handler: async ({ ctx, deps, org, actor }) => {
      const body = parseInput(policyPatchSchema, await readJson(ctx));
      const updated = await updateOrganisation(deps.services, org, { settings: policyChangesFromJson(body) }, actor);
      return { org: orgJson(updated) };
    },
  },
  {
    method: 'GET',
    path: '/orgs/:org/users',
    handler: async ({ ctx, deps, org }) => {
      const q = parseInput(userListQuery, ctx.query);
      const limit = q.limit ?? 50;
      const offset = q.offset ?? 0;
      const page = await searchUsers(deps.services, org, { q: q.q, limit, offset });
      return { users: page.users.map((u) => userJson(u, org)), total: page.total, limit, offset };
    },
  },
  {
    method: 'POST',
    path: '/orgs/:org/users',
    handler: async ({ ctx, deps, org, actor }) => {
      const body = parseInput(createUserSchema, await readJson(ctx));
      const created = await createUser(
        deps.services,
        org,
        {
          username: body.username,
          password: body.password,
          email: body.email,
          name: body.name,
          locale: body.locale,
          role: body.role,
          mustChangePassword: body.must_change_password,
        },
        actor,
      );
      ctx.status = 201;
      return { user: userJson(created, org) };
    },
  },
  {
    method: 'GET',
    path: '/orgs/:org/users/:user_id',
    handler: async (call) => ({ user: userJson(await user(call), call.org) }),
  },
  {
    method: 'POST',
    path: '/orgs/:org/users/:user_id/disable',
    handler: async (call) => {
      const target = await user(call);
      await noBody(call.ctx);
      return { user: userJson(await setUserDisabled(call.deps.services, target, true, call.actor), call.org) };
    },
  },
  {
    method: 'POST',
    path: '/orgs/:org/users/:user_id/enable',
    handler: async (call) => {
      const target = await user(call);
      await noBody(call.ctx);
      return { user: userJson(await setUserDisabled(call.deps.services, target, false, call.actor), call.org) };
    },
  },
  {
    method: 'POST',
    path: '/orgs/:org/users/:user_id/force-password-change',
    handler: async (call) => {
      const target = await user(call);
      await noBody(call.ctx);
      return { user: userJson(await forcePasswordChange(call.deps.services, target, call.actor), call.org) };
    },
  },
  {
    method: 'PUT',
    path: '/orgs/:org/users/:user_id/2fa-email',
    handler: async (call) => {
      const target = await user(call);
      const body = parseInput(twoFactorEmailSchema, await readJson(call.ctx));
      const sent = await setTwoFactorEmail(call.deps.services, call.org, target, body.email, call.actor);
      call.ctx.status = 202;
      return { user_id: target.id, email: body.email, confirmation_sent: true, expires_at: new Date(sent.expiresAt).toISOString() };
    },
  },
  {
    method: 'POST',
    path: '/orgs/:org/users/:user_id/reset-mfa',
    handler: async (call) => {
      const target = await user(call);
      await noBody(call.ctx);
      const r = await resetUserMfa(call.deps.services, target, call.actor);
      return {
        user_id: target.id,
        mfa_reset: {
          factors_removed: r.factorsRemoved,
          backup_codes_removed: r.backupCodesRemoved,
          browsers_revoked: r.browsersRevoked,
          throttles_cleared: r.throttleKeysCleared.length,
        },
      };
    },
  },
  {
    method: 'POST',
    path: '/orgs/:org/users/:user_id/unlock',
    handler: async (call) => {
      const target = await user(call);
      await noBody(call.ctx);
      const r = await unlockUser(call.deps.services, call.org, target, call.actor);
      return { user_id: target.id, unlocked: { was_locked: r.wasLocked, failures_cleared: r.failures } };
    },
  },
  {
    method: 'GET',
    path: '/orgs/:org/audit',
    handler: async ({ ctx, deps, org }) => {
      const q = parseInput(auditQuerySchema, ctx.query);
      // a user filter must name a user of this organisation, like every other id
      if (q.user) await findUser(deps.services, org, q.user);
      const page = await queryAudit(deps.services, org, {
        userId: q.user,
        type: q.type,
        from: q.from,
        to: q.to,
        before: q.before,
        limit: q.limit ?? 100,
      });
      const names = await usernamesFor(deps.services, org, page.events);
      return { events: page.events.map((e) => auditEventJson(e, names)), next: page.next };
    },
  },
  ...federationRoutes,
];

const en = translator('en');

/** Every error of the admin API is JSON: {error, error_description[, field]}. */
function jsonErrors(services: Services): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AdminNotFoundError('resource');
    } catch (err) {
      const status = (err as { status?: number }).status;
      let body: Record<string, unknown>;
      if (err instanceof AdminError) {
        ctx.status = err.status;
        body = { error: err.code, error_description: err.detail, ...(err.field ? { field: err.field } : {}) };
        if (err.status === 401) ctx.set('www-authenticate', `Bearer error="invalid_token", error_description="${err.detail.replace(/"/g, "'")}"`);
        if (err.status === 403) ctx.set('www-authenticate', 'Bearer error="insufficient_scope", scope="idp:admin"');
      } else if (err instanceof AppError) {
        ctx.status = err.status;
        body = { error: err.code, error_description: en(err.messageKey, err.vars) };
      } else if (status === 405 || status === 501) {
        ctx.status = 405;
        body = { error: 'method_not_allowed', error_description: 'this path does not accept that method' };
      } else {
        services.logger.error({ err, reqId: ctx.state?.requestId }, 'admin api error');
        ctx.status = 500;
        body = { error: 'server_error', error_description: 'an unexpected error occurred' };
      }
      ctx.set('cache-control', 'no-store');
      ctx.body = body;
    }
  };
}

function actorFor(ctx: Context, caller: ApiCaller): Actor {
  return { kind: 'api', clientId: caller.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent') || null };
}

/** The admin API: JSON under /admin/api/v1, bearer tokens from our own client-credentials grant. */
export function createAdminApiRouter(deps: ApiDeps): Middleware {
  const router = new Router({ prefix: API_PREFIX });
  router.get('/openapi.json', (ctx) => {
    ctx.set('cache-control', 'no-cache');
    ctx.body = openApiDocument(deps.services.config.issuer);
  });
  for (const route of apiRoutes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    router[method](route.path, async (ctx) => {
      const caller = await authenticate(ctx, deps.provider, deps.services);
      const code = String(ctx.params.org ?? '');
      const org = /^[A-Za-z0-9_-]{1,64}$/.test(code) ? await deps.services.repos.orgs.findByCode(code) : undefined;
      if (!mayActOn(caller, org)) throw new AdminNotFoundError('organisation');
      const result = await route.handler({ ctx, deps, caller, org, actor: actorFor(ctx, caller) });
      ctx.set('cache-control', 'no-store');
      ctx.body = result;
    });
  }
  const routes = router.routes();
  const methods = router.allowedMethods({ throw: true });
  const errors = jsonErrors(deps.services);
  return async (ctx, next) => {
    if (ctx.path !== API_PREFIX && !ctx.path.startsWith(`${API_PREFIX}/`)) return next();
    // everything under the prefix is answered here, as JSON: nothing falls through to the pages
    return errors(ctx, async () => {
      // koa-router types its own context; this is the same koa context
      await routes(ctx as never, async () => undefined);
      await methods(ctx as never, async () => undefined);
    });
  };
}
