import Router from '@koa/router';
import type { AdminPagesDeps } from './context.js';
import { registerAuditRoutes } from './routes-audit.js';
import { registerPolicyRoutes } from './routes-policy.js';
import { registerUserActionRoutes } from './routes-user-actions.js';
import { registerUserRoutes } from './routes-users.js';

/**
 * The hosted administration pages under /admin (docs/admin.md): an administrator of an
 * organisation (users.role = 'admin') manages that organisation only. Sign-in, CSRF and
 * step-up are the account pages' (src/account/self-session.ts); every change goes
 * through the domain functions of src/admin/ with an admin actor, so it is audited.
 */
export function createAdminPagesRouter(deps: AdminPagesDeps): Router {
  const router = new Router();
  registerUserRoutes(router, deps);
  registerUserActionRoutes(router, deps);
  registerAuditRoutes(router, deps);
  registerPolicyRoutes(router, deps);
  return router;
}
