import type { Knex } from 'knex';
import type { SecretBox } from '../crypto/secret-box.js';

/** oidc-provider client metadata (snake_case, as the library and RFC 7591 name it). */
export type ClientMetadata = Record<string, unknown> & { client_id: string };

export interface StoredClient {
  clientId: string;
  name: string;
  orgId: string | null;
  firstParty: boolean;
  requireMfa: boolean;
  createdAt: number;
  /** metadata with the decrypted client_secret, ready for oidc-provider */
  metadata: ClientMetadata;
}

interface ClientRow {
  client_id: string;
  name: string;
  metadata: string;
  secret_encrypted: string | null;
  org_id: string | null;
  first_party: boolean | number;
  require_mfa: boolean | number;
  created_at: number;
}

export type ClientRepository = ReturnType<typeof createClientRepository>;

export function createClientRepository(knex: Knex, box: SecretBox) {
  const table = () => knex<ClientRow>('clients');
  const toClient = (row: ClientRow): StoredClient => {
    const metadata = JSON.parse(row.metadata) as ClientMetadata;
    if (row.secret_encrypted) metadata.client_secret = box.open(row.secret_encrypted, `client:${row.client_id}`);
    // our own properties travel with the metadata (oidc-provider extraClientMetadata)
    metadata.first_party = Boolean(row.first_party);
    metadata.require_mfa = Boolean(row.require_mfa);
    if (row.org_id) metadata.org_id = row.org_id;
    return {
      clientId: row.client_id,
      name: row.name,
      orgId: row.org_id,
      firstParty: Boolean(row.first_party),
      requireMfa: Boolean(row.require_mfa),
      createdAt: Number(row.created_at),
      metadata,
    };
  };
  return {
    async create(input: {
      metadata: ClientMetadata;
      name: string;
      orgId: string | null;
      firstParty: boolean;
      requireMfa: boolean;
    }): Promise<StoredClient> {
      const { client_secret: secret, first_party: _fp, require_mfa: _rm, org_id: _org, ...rest } = input.metadata;
      const row: ClientRow = {
        client_id: input.metadata.client_id,
        name: input.name,
        metadata: JSON.stringify(rest),
        secret_encrypted: typeof secret === 'string' ? box.seal(secret, `client:${input.metadata.client_id}`) : null,
        org_id: input.orgId,
        first_party: input.firstParty,
        require_mfa: input.requireMfa,
        created_at: Date.now(),
      };
      await table().insert(row);
      return toClient(row);
    },
    async find(clientId: string): Promise<StoredClient | undefined> {
      const row = await table().where({ client_id: clientId }).first();
      return row && toClient(row);
    },
    async list(): Promise<StoredClient[]> {
      return (await table().orderBy('created_at')).map(toClient);
    },
    async count(): Promise<number> {
      const [{ n }] = (await table().count({ n: '*' })) as [{ n: number | string }];
      return Number(n);
    },
    /** New metadata for a client without a secret (the provider's own account client). */
    async replaceMetadata(clientId: string, metadata: ClientMetadata): Promise<void> {
      const { client_secret: _s, first_party: _fp, require_mfa: _rm, org_id: _org, ...rest } = metadata;
      await table().where({ client_id: clientId }).update({ metadata: JSON.stringify(rest) });
    },
    async remove(clientId: string): Promise<boolean> {
      return (await table().where({ client_id: clientId }).delete()) > 0;
    },
  };
}
