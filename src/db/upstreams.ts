import type { Knex } from 'knex';
import type { SecretBox } from '../crypto/secret-box.js';

/** An upstream OpenID Connect provider that users of one organisation may sign in with. */
export interface Upstream {
  id: string;
  orgId: string;
  slug: string;
  issuer: string;
  clientId: string;
  /** decrypted; null for a public client (PKCE only) */
  clientSecret: string | null;
  scopes: string;
  displayName: string;
  labelJa: string;
  labelEn: string;
  /** our client ids that show the button; null = every client of the organisation */
  clientIds: string[] | null;
  /** upstream acr values that mean MFA was done there */
  mfaAcrValues: string[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export type UpstreamFields = Omit<Upstream, 'id' | 'createdAt' | 'updatedAt'>;

interface UpstreamRow {
  id: string;
  org_id: string;
  slug: string;
  issuer: string;
  client_id: string;
  client_secret_encrypted: string | null;
  scopes: string;
  display_name: string;
  label_ja: string;
  label_en: string;
  client_ids: string | null;
  mfa_acr_values: string | null;
  enabled: boolean | number;
  created_at: number;
  updated_at: number;
}

/** The secret is bound to its row: a sealed value cannot be moved to another upstream. */
const secretContext = (id: string) => `upstream:${id}`;

export type UpstreamRepository = ReturnType<typeof createUpstreamRepository>;

export function createUpstreamRepository(knex: Knex, box: SecretBox) {
  const table = () => knex<UpstreamRow>('upstreams');
  const toUpstream = (r: UpstreamRow): Upstream => ({
    id: r.id,
    orgId: r.org_id,
    slug: r.slug,
    issuer: r.issuer,
    clientId: r.client_id,
    clientSecret: r.client_secret_encrypted ? box.open(r.client_secret_encrypted, secretContext(r.id)) : null,
    scopes: r.scopes,
    displayName: r.display_name,
    labelJa: r.label_ja,
    labelEn: r.label_en,
    clientIds: r.client_ids ? (JSON.parse(r.client_ids) as string[]) : null,
    mfaAcrValues: r.mfa_acr_values ? (JSON.parse(r.mfa_acr_values) as string[]) : [],
    enabled: Boolean(r.enabled),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  });
  const toRow = (id: string, u: UpstreamFields): Omit<UpstreamRow, 'created_at' | 'updated_at'> => ({
    id,
    org_id: u.orgId,
    slug: u.slug,
    issuer: u.issuer,
    client_id: u.clientId,
    client_secret_encrypted: u.clientSecret ? box.seal(u.clientSecret, secretContext(id)) : null,
    scopes: u.scopes,
    display_name: u.displayName,
    label_ja: u.labelJa,
    label_en: u.labelEn,
    client_ids: u.clientIds ? JSON.stringify(u.clientIds) : null,
    mfa_acr_values: JSON.stringify(u.mfaAcrValues),
    enabled: u.enabled,
  });
  return {
    async create(id: string, fields: UpstreamFields): Promise<Upstream> {
      const now = Date.now();
      const row: UpstreamRow = { ...toRow(id, fields), created_at: now, updated_at: now };
      await table().insert(row);
      return toUpstream(row);
    },
    async update(id: string, fields: UpstreamFields): Promise<void> {
      const { id: _id, ...row } = toRow(id, fields);
      await table().where({ id }).update({ ...row, updated_at: Date.now() });
    },
    async find(id: string): Promise<Upstream | undefined> {
      const row = await table().where({ id }).first();
      return row && toUpstream(row);
    },
    async findBySlug(orgId: string, slug: string): Promise<Upstream | undefined> {
      const row = await table().where({ org_id: orgId, slug }).first();
      return row && toUpstream(row);
    },
    async listByOrg(orgId: string): Promise<Upstream[]> {
      return (await table().where({ org_id: orgId }).orderBy('created_at')).map(toUpstream);
    },
    async list(): Promise<Upstream[]> {
      return (await table().orderBy('created_at')).map(toUpstream);
    },
    async remove(id: string): Promise<boolean> {
      return (await table().where({ id }).delete()) > 0;
    },
  };
}
