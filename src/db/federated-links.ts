import type { Knex } from 'knex';
import { randomId } from '../util/ids.js';

/** A local user linked to a subject at an upstream provider. */
export interface FederatedLink {
  id: string;
  userId: string;
  upstreamId: string;
  issuer: string;
  subject: string;
  createdAt: number;
  lastUsedAt: number | null;
}

interface LinkRow {
  id: string;
  user_id: string;
  upstream_id: string;
  issuer: string;
  subject: string;
  created_at: number;
  last_used_at: number | null;
}

const toLink = (r: LinkRow): FederatedLink => ({
  id: r.id,
  userId: r.user_id,
  upstreamId: r.upstream_id,
  issuer: r.issuer,
  subject: r.subject,
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});

export type FederatedLinkRepository = ReturnType<typeof createFederatedLinkRepository>;

export function createFederatedLinkRepository(knex: Knex) {
  const table = () => knex<LinkRow>('federated_links');
  return {
    /** Throws a unique violation when the subject or the user's upstream is already linked. */
    async create(input: { userId: string; upstreamId: string; issuer: string; subject: string }): Promise<FederatedLink> {
      const row: LinkRow = {
        id: randomId(),
        user_id: input.userId,
        upstream_id: input.upstreamId,
        issuer: input.issuer,
        subject: input.subject,
        created_at: Date.now(),
        last_used_at: Date.now(),
      };
      await table().insert(row);
      return toLink(row);
    },
    async findBySubject(issuer: string, subject: string): Promise<FederatedLink | undefined> {
      const row = await table().where({ issuer, subject }).first();
      return row && toLink(row);
    },
    async findForUser(userId: string, upstreamId: string): Promise<FederatedLink | undefined> {
      const row = await table().where({ user_id: userId, upstream_id: upstreamId }).first();
      return row && toLink(row);
    },
    async listByUser(userId: string): Promise<FederatedLink[]> {
      return (await table().where({ user_id: userId }).orderBy('created_at')).map(toLink);
    },
    async countByUpstream(upstreamId: string): Promise<number> {
      const [{ n }] = (await table().where({ upstream_id: upstreamId }).count({ n: '*' })) as [{ n: number | string }];
      return Number(n);
    },
    async touch(id: string): Promise<void> {
      await table().where({ id }).update({ last_used_at: Date.now() });
    },
    async remove(userId: string, id: string): Promise<FederatedLink | undefined> {
      const row = await table().where({ id, user_id: userId }).first();
      if (!row) return undefined;
      return (await table().where({ id, user_id: userId }).delete()) > 0 ? toLink(row) : undefined;
    },
  };
}
