import type { Knex } from 'knex';
import { selectRows } from './raw.js';
import { randomId } from '../util/ids.js';

export interface WebAuthnCredential {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[];
  aaguid: string | null;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  discoverable: boolean;
  label: string;
  lastUsedAt: number | null;
  createdAt: number;
}

interface CredentialRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  counter: number | string;
  transports: string | null;
  aaguid: string | null;
  device_type: string;
  backed_up: boolean | number;
  discoverable: boolean | number;
  label: string;
  last_used_at: number | string | null;
  created_at: number | string;
}

function parseTransports(value: string | null): string[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

const toCredential = (r: CredentialRow): WebAuthnCredential => ({
  id: r.id,
  userId: r.user_id,
  credentialId: r.credential_id,
  publicKey: r.public_key,
  counter: Number(r.counter),
  transports: parseTransports(r.transports),
  aaguid: r.aaguid,
  deviceType: r.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
  backedUp: Boolean(r.backed_up),
  discoverable: Boolean(r.discoverable),
  label: r.label,
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  createdAt: Number(r.created_at),
});

export type WebAuthnCredentialRepository = ReturnType<typeof createWebAuthnCredentialRepository>;

/** Registered authenticators, plus the two per-user WebAuthn columns of `users`. */
export function createWebAuthnCredentialRepository(knex: Knex) {
  const table = () => knex<CredentialRow>('webauthn_credentials');
  return {
    async create(input: Omit<WebAuthnCredential, 'id' | 'lastUsedAt' | 'createdAt'>): Promise<WebAuthnCredential> {
      const row: CredentialRow = {
        id: randomId(),
        user_id: input.userId,
        credential_id: input.credentialId,
        public_key: input.publicKey,
        counter: input.counter,
        transports: JSON.stringify(input.transports),
        aaguid: input.aaguid,
        device_type: input.deviceType,
        backed_up: input.backedUp,
        discoverable: input.discoverable,
        label: input.label.slice(0, 100),
        last_used_at: null,
        created_at: Date.now(),
      };
      await table().insert(row);
      return toCredential(row);
    },
    async listByUser(userId: string): Promise<WebAuthnCredential[]> {
      return (await table().where({ user_id: userId }).orderBy('created_at')).map(toCredential);
    },
    async countByUser(userId: string): Promise<number> {
      // constant SQL (src/db/raw.ts): every sign-in asks which factors the user has
      const [row] = await selectRows<{ n: number | string }>(knex, 'select count(*) as n from webauthn_credentials where user_id = ?', [userId]);
      return Number(row?.n ?? 0);
    },
    async findByCredentialId(credentialId: string): Promise<WebAuthnCredential | undefined> {
      const row = await table().where({ credential_id: credentialId }).first();
      return row && toCredential(row);
    },
    /**
     * Stores the authenticator's new signature counter only if no other request moved it
     * meanwhile: of two racing assertions with the same counter, one wins.
     */
    async recordUse(id: string, expectedCounter: number, newCounter: number, at = Date.now()): Promise<boolean> {
      const changed = await table().where({ id, counter: expectedCounter }).update({ counter: newCounter, last_used_at: at });
      return changed === 1;
    },
    async rename(userId: string, id: string, label: string): Promise<boolean> {
      return (await table().where({ id, user_id: userId }).update({ label: label.slice(0, 100) })) > 0;
    },
    async remove(userId: string, id: string): Promise<boolean> {
      return (await table().where({ id, user_id: userId }).delete()) > 0;
    },
    async removeAllForUser(userId: string, trx: Knex = knex): Promise<number> {
      return trx<CredentialRow>('webauthn_credentials').where({ user_id: userId }).delete();
    },

    /** The opaque user handle, created on first use; unique across the installation. */
    async userHandle(userId: string, fresh: () => string): Promise<string> {
      const row = await knex('users').where({ id: userId }).first('webauthn_handle');
      if (row?.webauthn_handle) return String(row.webauthn_handle);
      await knex('users').where({ id: userId }).whereNull('webauthn_handle').update({ webauthn_handle: fresh() });
      const again = await knex('users').where({ id: userId }).first('webauthn_handle');
      return String(again?.webauthn_handle);
    },
    async userIdByHandle(handle: string): Promise<string | undefined> {
      const row = await knex('users').where({ webauthn_handle: handle }).first('id');
      return row ? String(row.id) : undefined;
    },
    async setOffer(userId: string, on: boolean): Promise<void> {
      await knex('users').where({ id: userId }).update({ webauthn_offer: on });
    },
  };
}

export interface WebAuthnChallenge {
  id: string;
  challenge: string;
  binding: string;
  purpose: ChallengePurpose;
  userId: string | null;
  expiresAt: number;
}

export type ChallengePurpose = 'register' | 'authenticate' | 'passkey';

export type WebAuthnChallengeRepository = ReturnType<typeof createWebAuthnChallengeRepository>;

/** Server-side ceremony challenges: bound to a context, expiring, and consumed once. */
export function createWebAuthnChallengeRepository(knex: Knex) {
  const table = () => knex('webauthn_challenges');
  return {
    /** A new challenge voids the earlier unused ones of the same context and purpose. */
    async issue(input: Omit<WebAuthnChallenge, 'id'>, at = Date.now()): Promise<void> {
      await knex.transaction(async (trx) => {
        await trx('webauthn_challenges').where({ binding: input.binding, purpose: input.purpose }).whereNull('used_at').update({ used_at: at });
        await trx('webauthn_challenges').insert({
          id: randomId(),
          challenge: input.challenge,
          binding: input.binding,
          purpose: input.purpose,
          user_id: input.userId,
          expires_at: input.expiresAt,
          used_at: null,
          created_at: at,
        });
      });
    },
    /**
     * Marks the challenge used and returns it — only when it is the live one of this
     * context and purpose. A second consumer of the same challenge gets nothing.
     */
    async consume(challenge: string, binding: string, purpose: ChallengePurpose, at = Date.now()): Promise<WebAuthnChallenge | undefined> {
      const row = await table().where({ challenge, binding, purpose }).whereNull('used_at').where('expires_at', '>', at).first();
      if (!row) return undefined;
      const changed = await table().where({ id: row.id }).whereNull('used_at').update({ used_at: at });
      if (changed !== 1) return undefined;
      return {
        id: String(row.id),
        challenge: String(row.challenge),
        binding: String(row.binding),
        purpose: row.purpose as ChallengePurpose,
        userId: row.user_id === null ? null : String(row.user_id),
        expiresAt: Number(row.expires_at),
      };
    },
    async purgeExpired(before: number): Promise<number> {
      return table().where('expires_at', '<', before).delete();
    },
  };
}
