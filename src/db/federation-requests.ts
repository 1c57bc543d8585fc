import type { Knex } from 'knex';

/** A sign-in sent to an upstream provider and not yet back: found again by its state. */
export interface FederationRequest {
  stateHash: string;
  flowUid: string;
  upstreamId: string;
  secretsSealed: string;
  createdAt: number;
  expiresAt: number;
}

interface RequestRow {
  state_hash: string;
  flow_uid: string;
  upstream_id: string;
  secrets_sealed: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export type FederationRequestRepository = ReturnType<typeof createFederationRequestRepository>;

export function createFederationRequestRepository(knex: Knex) {
  const table = () => knex<RequestRow>('federation_requests');
  return {
    async create(input: Omit<FederationRequest, 'createdAt'>): Promise<void> {
      await table().insert({
        state_hash: input.stateHash,
        flow_uid: input.flowUid,
        upstream_id: input.upstreamId,
        secrets_sealed: input.secretsSealed,
        created_at: Date.now(),
        expires_at: input.expiresAt,
        used_at: null,
      });
    },
    /**
     * Takes the request for this state exactly once (compare-and-set on used_at), even
     * under a race. `expired` when it exists but its time is over; undefined when unknown
     * or already used.
     */
    async take(stateHash: string, now = Date.now()): Promise<FederationRequest | 'expired' | undefined> {
      const row = await table().where({ state_hash: stateHash }).whereNull('used_at').first();
      if (!row) return undefined;
      const taken = await table().where({ state_hash: stateHash }).whereNull('used_at').update({ used_at: now });
      if (taken !== 1) return undefined;
      if (Number(row.expires_at) < now) return 'expired';
      return {
        stateHash: row.state_hash,
        flowUid: row.flow_uid,
        upstreamId: row.upstream_id,
        secretsSealed: row.secrets_sealed,
        createdAt: Number(row.created_at),
        expiresAt: Number(row.expires_at),
      };
    },
    async purgeExpired(now = Date.now()): Promise<number> {
      return table().where('expires_at', '<', now).delete();
    },
  };
}
