import type { Context } from 'koa';
import { h } from 'preact';
import { secondFactorKey } from '../../src/auth/throttle.js';
import { formatTime } from '../../src/i18n/index.js';
import type { Organisation, User } from '../../src/model.js';
import { type FlowData, type InteractionDeps, type LoadedFlow, pageFor, stepUrl } from '../flow.js';
import { sendPage } from '../respond.js';
import { NoticePage } from '../views/mfa.js';

/** The account's second factor is locked (too many wrong codes, across sign-ins). */
export async function secondFactorLockedUntil(deps: InteractionDeps, user: User): Promise<number | undefined> {
  return deps.services.throttle.lockedUntil([secondFactorKey(user.id)]);
}

export function showLocked(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, user: User, until: number) {
  const page = pageFor(ctx, loaded, user.locale);
  ctx.set('retry-after', String(Math.max(1, Math.ceil((until - Date.now()) / 1000))));
  sendPage(
    ctx,
    429,
    h(NoticePage, {
      page,
      title: page.t('mfa.lockedTitle'),
      message: page.t('mfa.locked', { time: formatTime(until, page.locale) }),
      csrf: deps.csrf.tokenFor(loaded.uid),
      action: stepUrl(loaded.uid, 'abort'),
      button: page.t('mfa.backToApp'),
    }),
  );
}

/**
 * Counts a wrong code. After the organisation's limit the sign-in ends (the flow is
 * parked in 'locked') and the account's second factor waits with growing delays.
 * Returns the attempts left, or undefined when the flow was just locked (page sent).
 */
export async function countWrongCode(
  ctx: Context,
  deps: InteractionDeps,
  loaded: LoadedFlow,
  from: string,
  proven: { user: User; org: Organisation; data: FlowData },
): Promise<{ left: number; data: FlowData } | undefined> {
  const { user, org } = proven;
  const limit = org.settings.wrongCodeLimit;
  const wrong = (proven.data.wrongCodes ?? 0) + 1;
  // the method being set up, or the one being answered (for the audit details and metrics)
  const method = from === 'enrol' ? proven.data.enrol?.method : proven.data.mfaMethod;
  const lock = await deps.services.throttle.fail([secondFactorKey(user.id)], limit);
  await deps.services.audit.record({
    type: 'mfa.failed',
    orgId: org.id,
    userId: user.id,
    ip: ctx.ip,
    userAgent: ctx.get('user-agent'),
    details: { attempt: wrong, limit, step: from, method },
  });
  const data = { ...proven.data, wrongCodes: wrong };
  if (wrong < limit && !lock) {
    await deps.services.repos.flows.advance(loaded.uid, from, { state: from, orgId: org.id, userId: user.id, data });
    return { left: limit - wrong, data };
  }
  const until = lock ?? Date.now() + deps.services.config.throttle.baseDelaySeconds * 1000;
  await deps.services.repos.flows.advance(loaded.uid, from, { state: 'locked', orgId: org.id, userId: user.id, data: { ...data, lockedUntil: until } });
  await deps.services.audit.record({ type: 'mfa.locked', orgId: org.id, userId: user.id, ip: ctx.ip, details: { until, method } });
  showLocked(ctx, deps, loaded, user, until);
  return undefined;
}
