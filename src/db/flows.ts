import type { Knex } from 'knex';

/** A login flow: the server-side state of one interaction, so any instance can continue it. */
export interface Flow<Data = Record<string, unknown>> {
  uid: string;
  state: string;
  orgId: string | null;
  userId: string | null;
  data: Data;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

interface FlowRow {
  uid: string;
  state: string;
  org_id: string | null;
  user_id: string | null;
  data: string;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

export type FlowRepository = ReturnType<typeof createFlowRepository>;

export function createFlowRepository(knex: Knex) {
  const table = () => knex<FlowRow>('login_flows');
  return {
    async create(flow: Flow): Promise<void> {
      await table()
        .insert({
          uid: flow.uid,
          state: flow.state,
          org_id: flow.orgId,
          user_id: flow.userId,
          data: JSON.stringify(flow.data),
          created_at: flow.createdAt,
          updated_at: flow.updatedAt,
          expires_at: flow.expiresAt,
        })
        .onConflict('uid')
        .ignore();
    },
    async find(uid: string): Promise<Flow | undefined> {
      const row = await table().where({ uid }).first();
      if (!row || Number(row.expires_at) < Date.now()) return undefined;
      return {
        uid: row.uid,
        state: row.state,
        orgId: row.org_id,
        userId: row.user_id,
        data: JSON.parse(row.data) as Record<string, unknown>,
        createdAt: Number(row.created_at),
        updatedAt: Number(row.updated_at),
        expiresAt: Number(row.expires_at),
      };
    },
    /**
     * Moves the flow on only if it is still in `fromState`: two racing submissions of
     * the same step cannot both advance it. Returns false when it had already moved.
     */
    async advance(uid: string, fromState: string, next: Pick<Flow, 'state' | 'orgId' | 'userId' | 'data'>): Promise<boolean> {
      const changed = await table()
        .where({ uid, state: fromState })
        .andWhere('expires_at', '>=', Date.now())
        .update({
          state: next.state,
          org_id: next.orgId,
          user_id: next.userId,
          data: JSON.stringify(next.data),
          updated_at: Date.now(),
        });
      return changed === 1;
    },
    async remove(uid: string): Promise<void> {
      await table().where({ uid }).delete();
    },
    async purgeExpired(now = Date.now()): Promise<number> {
      return table().where('expires_at', '<', now).delete();
    },
  };
}
