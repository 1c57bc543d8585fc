import Router from '@koa/router';
import type { AccountDeps } from './context.js';
import { registerLinksRoutes } from './routes-links.js';
import { registerPasswordRoutes } from './routes-password.js';
import { registerProfileRoutes } from './routes-profile.js';
import { registerRecoveryRoutes } from './routes-recovery.js';
import { registerSecurityRoutes } from './routes-security.js';
import { registerSessionRoutes } from './routes-session.js';
import { registerSessionsRoutes } from './routes-sessions.js';
import { registerStepUpRoutes } from './step-up.js';
import { registerWebAuthnAccountRoutes } from './routes-webauthn.js';

/** The self-service account pages under /account (see docs/account.md). */
export function createAccountRouter(deps: AccountDeps): Router {
  const router = new Router();
  registerSessionRoutes(router, deps);
  registerProfileRoutes(router, deps);
  registerPasswordRoutes(router, deps);
  registerStepUpRoutes(router, deps);
  registerSecurityRoutes(router, deps);
  registerWebAuthnAccountRoutes(router, deps);
  registerSessionsRoutes(router, deps);
  registerLinksRoutes(router, deps);
  registerRecoveryRoutes(router, deps);
  return router;
}
