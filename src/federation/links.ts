import { type Actor as AdminActor, actorFields, actorId } from '../admin/actor.js';
import { createAuditRepository } from '../db/audit.js';
import { createFederatedLinkRepository, type FederatedLink } from '../db/federated-links.js';
import type { Upstream } from '../db/upstreams.js';
import type { User } from '../model.js';
import type { Services } from '../services.js';
import { FederationError } from './errors.js';

/** Who did it and from where, for the audit trail. */
export interface Actor {
  by: string;
  ip?: string | null;
  userAgent?: string | null;
  /** the audit actor column when someone else acted ("cli", "client:<id>", "user:<id>") */
  actor?: string | null;
  clientId?: string | null;
}

/** An administrator's or admin API client's change, in the form the link functions take. */
export function byAdmin(actor: AdminActor): Actor {
  const f = actorFields(actor);
  return { by: actorId(actor), actor: f.actor, clientId: f.clientId ?? null, ip: f.ip ?? null, userAgent: f.userAgent ?? null };
}

export interface LinkView {
  id: string;
  upstreamId: string;
  upstreamSlug: string;
  upstreamName: string;
  issuer: string;
  subject: string;
  createdAt: number;
  lastUsedAt: number | null;
}

const isUnique = (err: unknown) => {
  const code = (err as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
};

/**
 * Links a local user to an upstream subject, with its audit event, in one transaction.
 * A subject links to at most one user, and a user to one subject per upstream: the
 * database's unique keys decide, so two racing links cannot both succeed.
 */
export async function linkAccount(services: Services, user: User, upstream: Upstream, subject: string, actor: Actor, continueUrl?: string): Promise<FederatedLink> {
  if (user.orgId !== upstream.orgId) throw new FederationError('not_allowed', upstream.displayName, continueUrl);
  const refuse = async (failure: 'already_linked' | 'user_has_link') => {
    await services.audit.record({
      type: 'federation.link_refused',
      orgId: user.orgId,
      userId: user.id,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { by: actor.by, upstream: upstream.slug, reason: failure },
    });
    return new FederationError(failure, upstream.displayName, continueUrl);
  };
  const existing = await services.repos.links.findBySubject(upstream.issuer, subject);
  if (existing && existing.userId !== user.id) throw await refuse('already_linked');
  if (existing) return existing;
  if (await services.repos.links.findForUser(user.id, upstream.id)) throw await refuse('user_has_link');
  try {
    return await services.knex.transaction(async (trx) => {
      const link = await createFederatedLinkRepository(trx).create({ userId: user.id, upstreamId: upstream.id, issuer: upstream.issuer, subject });
      await createAuditRepository(trx).insert({
        type: 'federation.linked',
        orgId: user.orgId,
        userId: user.id,
        ip: actor.ip ?? null,
        userAgent: actor.userAgent ?? null,
        details: { by: actor.by, upstream: upstream.slug, issuer: upstream.issuer, linkId: link.id },
      });
      services.logger.info({ audit: 'federation.linked', orgId: user.orgId, userId: user.id }, 'audit');
      return link;
    });
  } catch (err) {
    if (!isUnique(err)) throw err;
    const winner = await services.repos.links.findBySubject(upstream.issuer, subject);
    throw await refuse(winner && winner.userId !== user.id ? 'already_linked' : 'user_has_link');
  }
}

/** A user's links with the upstreams' names, for the account page, the admin API and the CLI. */
export async function listLinks(services: Services, userId: string): Promise<LinkView[]> {
  const links = await services.repos.links.listByUser(userId);
  const out: LinkView[] = [];
  for (const link of links) {
    const upstream = await services.repos.upstreams.find(link.upstreamId);
    out.push({
      id: link.id,
      upstreamId: link.upstreamId,
      upstreamSlug: upstream?.slug ?? '',
      upstreamName: upstream?.displayName ?? link.issuer,
      issuer: link.issuer,
      subject: link.subject,
      createdAt: link.createdAt,
      lastUsedAt: link.lastUsedAt,
    });
  }
  return out;
}

/** Removes one of the user's links (audited); false when the user has no such link. */
export async function removeLink(services: Services, user: Pick<User, 'id' | 'orgId'>, linkId: string, actor: Actor): Promise<boolean> {
  const removed = await services.knex.transaction(async (trx) => {
    const link = await createFederatedLinkRepository(trx).remove(user.id, linkId);
    if (!link) return undefined;
    await createAuditRepository(trx).insert({
      type: 'federation.unlinked',
      orgId: user.orgId,
      userId: user.id,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      ...(actor.actor ? { actor: actor.actor } : {}),
      ...(actor.clientId ? { clientId: actor.clientId } : {}),
      details: { by: actor.by, issuer: link.issuer, upstreamId: link.upstreamId, linkId: link.id },
    });
    return link;
  });
  if (removed) services.logger.info({ audit: 'federation.unlinked', orgId: user.orgId, userId: user.id }, 'audit');
  return Boolean(removed);
}

export function linkJson(link: LinkView): Record<string, unknown> {
  return {
    id: link.id,
    upstream: link.upstreamSlug,
    upstream_name: link.upstreamName,
    issuer: link.issuer,
    subject: link.subject,
    created_at: new Date(link.createdAt).toISOString(),
    last_used_at: link.lastUsedAt === null ? null : new Date(link.lastUsedAt).toISOString(),
  };
}
