import type { Knex } from 'knex';
import { execute, selectRows } from './raw.js';

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

// Constant SQL (src/db/raw.ts): every step of every sign-in runs these.
const SQL = {
  create:
    'insert into login_flows (uid, state, org_id, user_id, data, created_at, updated_at, expires_at) values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (uid) do nothing',
  find: 'select * from login_flows where uid = ?',
  advance: 'update login_flows set state = ?, org_id = ?, user_id = ?, data = ?, updated_at = ? where uid = ? and state = ? and expires_at >= ?',
} as const;

export function createFlowRepository(knex: Knex) {
  const table = () => knex<FlowRow>('login_flows');
  return {
    /**
     * Stores a flow unless one with its uid exists. Returns whether it did: the first step
     * of a sign-in stores its flow already moved on, so that this insert is the
     * compare-and-set from the initial state (two racing submissions cannot both store it).
     */
    async create(flow: Flow): Promise<boolean> {
      const changed = await execute(knex, SQL.create, [flow.uid, flow.state, flow.orgId, flow.userId, JSON.stringify(flow.data), flow.createdAt, flow.updatedAt, flow.expiresAt]);
      return changed === 1;
    },
    async find(uid: string): Promise<Flow | undefined> {
      const [row] = await selectRows<FlowRow>(knex, SQL.find, [uid]);
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
      const now = Date.now();
      const changed = await execute(knex, SQL.advance, [next.state, next.orgId, next.userId, JSON.stringify(next.data), now, uid, fromState, now]);
      return changed === 1;
    },
    async remove(uid: string): Promise<void> {
      await execute(knex, 'delete from login_flows where uid = ?', [uid]);
    },
    async purgeExpired(now = Date.now()): Promise<number> {
      return table().where('expires_at', '<', now).delete();
    },
  };
}
