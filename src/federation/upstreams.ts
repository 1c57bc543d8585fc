import { z } from 'zod';
import { type Actor as AdminActor, actorFields, actorId } from '../admin/actor.js';
import { type AuditEvent, createAuditRepository } from '../db/audit.js';
import { createUpstreamRepository, type Upstream, type UpstreamFields } from '../db/upstreams.js';
import type { Organisation } from '../model.js';
import type { Services } from '../services.js';
import { randomId } from '../util/ids.js';

/**
 * Managing upstream providers: one domain API for the CLI and the admin API. Input uses
 * the snake_case names of the JSON form; a problem names the field.
 */
export class UpstreamInputError extends Error {
  override name = 'UpstreamInputError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const label = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !CONTROL.test(v), 'must not contain control characters');

/** Issuers: https; plain http only outside production (tests, development) or for loopback hosts. */
export function issuerProblem(value: string, production: boolean): string | undefined {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return 'must be an http(s) URL';
  if (url.search || url.hash || url.username || url.password) return 'must not contain a query, fragment or credentials';
  if (url.protocol === 'http:' && production && !LOOPBACK.has(url.hostname)) return 'must use https in production';
  if (value.length > 512) return 'must be at most 512 characters';
  return undefined;
}

function fieldsSchema(production: boolean) {
  return z.object({
    slug: z.string().trim().toLowerCase().regex(SLUG, 'must be 1 to 64 lower-case letters, digits, "-" or "_", starting with a letter or digit'),
    issuer: z
      .string()
      .trim()
      .superRefine((v, ctx) => {
        const problem = issuerProblem(v, production);
        if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (got ${JSON.stringify(v)})` });
      }),
    client_id: label(255),
    client_secret: label(1000).nullable(),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/, 'must be scope names without spaces'))
      .max(20, 'must list at most 20 scopes')
      .refine((s) => s.includes('openid'), 'must include openid'),
    display_name: label(200),
    label_ja: label(100),
    label_en: label(100),
    client_ids: z.array(label(64)).min(1, 'must list at least one client').max(100).nullable(),
    mfa_acr_values: z.array(label(500)).max(20),
    enabled: z.boolean(),
  });
}

export type UpstreamJsonFields = z.input<ReturnType<typeof fieldsSchema>>;

function toJsonFields(u: Upstream): UpstreamJsonFields {
  return {
    slug: u.slug,
    issuer: u.issuer,
    client_id: u.clientId,
    client_secret: u.clientSecret,
    scopes: u.scopes.split(' '),
    display_name: u.displayName,
    label_ja: u.labelJa,
    label_en: u.labelEn,
    client_ids: u.clientIds,
    mfa_acr_values: u.mfaAcrValues,
    enabled: u.enabled,
  };
}

async function validated(services: Services, orgId: string, input: UpstreamJsonFields): Promise<UpstreamFields> {
  const result = fieldsSchema(services.config.nodeEnv === 'production').safeParse(input, {
    error: (issue) => (issue.input === undefined ? 'is required' : undefined),
  });
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new UpstreamInputError(String(issue.path[0] ?? 'input'), issue.message);
  }
  const v = result.data;
  for (const clientId of v.client_ids ?? []) {
    const client = await services.repos.clients.find(clientId);
    if (!client) throw new UpstreamInputError('client_ids', `names no client ${clientId}`);
    if (client.orgId && client.orgId !== orgId) throw new UpstreamInputError('client_ids', `names client ${clientId} of another organisation`);
  }
  return {
    orgId,
    slug: v.slug,
    issuer: v.issuer,
    clientId: v.client_id,
    clientSecret: v.client_secret,
    scopes: [...new Set(v.scopes)].join(' '),
    displayName: v.display_name,
    labelJa: v.label_ja,
    labelEn: v.label_en,
    clientIds: v.client_ids ? [...new Set(v.client_ids)] : null,
    mfaAcrValues: [...new Set(v.mfa_acr_values)],
    enabled: v.enabled,
  };
}

/** Who made a change: a name ("cli") or an administration actor, whose client, address and agent the audit keeps too. */
export type ChangedBy = string | AdminActor;

function byFields(by: ChangedBy): { by: string; fields: Partial<AuditEvent> } {
  return typeof by === 'string' ? { by, fields: {} } : { by: actorId(by), fields: actorFields(by) };
}

/** Writes the change and its audit event together (one transaction). */
async function audited<T>(services: Services, changedBy: ChangedBy, event: { type: string; orgId: string; details: Record<string, unknown> }, fn: (repo: ReturnType<typeof createUpstreamRepository>) => Promise<T>): Promise<T> {
  const out = await services.knex.transaction(async (trx) => {
    const result = await fn(createUpstreamRepository(trx, services.box));
    const { by, fields } = byFields(changedBy);
    await createAuditRepository(trx).insert({ ...event, ...fields, details: { by, ...event.details } });
    return result;
  });
  services.logger.info({ audit: event.type, orgId: event.orgId }, 'audit');
  return out;
}

/** Fields left out (undefined) keep their default or current value. */
const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

const isUnique = (err: unknown) => {
  const code = (err as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
};

export type UpstreamAdd = Partial<UpstreamJsonFields> & Pick<UpstreamJsonFields, 'slug' | 'issuer' | 'client_id' | 'display_name'>;

/** Adds an upstream provider to an organisation. `by` names who did it, for the audit trail. */
export async function addUpstream(services: Services, org: Organisation, input: UpstreamAdd, by: ChangedBy): Promise<Upstream> {
  const fields = await validated(services, org.id, {
    client_secret: null,
    scopes: ['openid', 'profile'],
    label_ja: input.label_ja ?? `${input.display_name}でログイン`,
    label_en: input.label_en ?? `Sign in with ${input.display_name}`,
    client_ids: null,
    mfa_acr_values: [],
    enabled: true,
    ...defined(input),
  } as UpstreamJsonFields);
  if (await services.repos.upstreams.findBySlug(org.id, fields.slug)) throw new UpstreamInputError('slug', `${fields.slug} already exists in ${org.code}`);
  const id = randomId();
  try {
    return await audited(services, by, { type: 'upstream.created', orgId: org.id, details: { upstream: fields.slug, issuer: fields.issuer } }, (repo) => repo.create(id, fields));
  } catch (err) {
    if (isUnique(err)) throw new UpstreamInputError('slug', `${fields.slug} already exists in ${org.code}`);
    throw err;
  }
}

/** Changes the given fields of an upstream; the others stay. */
export async function updateUpstream(services: Services, upstream: Upstream, changes: Partial<Omit<UpstreamJsonFields, 'slug'>>, by: ChangedBy): Promise<Upstream> {
  const given = defined(changes);
  if (Object.keys(given).length === 0) throw new UpstreamInputError('input', 'must change at least one field');
  const fields = await validated(services, upstream.orgId, { ...toJsonFields(upstream), ...given });
  await audited(
    services,
    by,
    { type: 'upstream.updated', orgId: upstream.orgId, details: { upstream: upstream.slug, changed: Object.keys(given).sort() } },
    (repo) => repo.update(upstream.id, fields),
  );
  return (await services.repos.upstreams.find(upstream.id))!;
}

/** Removes an upstream and, with it, every link of users to it. */
export async function removeUpstream(services: Services, upstream: Upstream, by: ChangedBy): Promise<{ linksRemoved: number }> {
  const links = await services.repos.links.countByUpstream(upstream.id);
  await audited(
    services,
    by,
    { type: 'upstream.removed', orgId: upstream.orgId, details: { upstream: upstream.slug, issuer: upstream.issuer, linksRemoved: links } },
    (repo) => repo.remove(upstream.id),
  );
  return { linksRemoved: links };
}

/** The JSON form (CLI --json, admin API): never the secret, only whether there is one. */
export function upstreamJson(u: Upstream, orgCode: string): Record<string, unknown> {
  return {
    id: u.id,
    org: orgCode,
    slug: u.slug,
    issuer: u.issuer,
    client_id: u.clientId,
    has_client_secret: u.clientSecret !== null,
    scopes: u.scopes.split(' '),
    display_name: u.displayName,
    label_ja: u.labelJa,
    label_en: u.labelEn,
    client_ids: u.clientIds,
    mfa_acr_values: u.mfaAcrValues,
    enabled: u.enabled,
    created_at: new Date(u.createdAt).toISOString(),
    updated_at: new Date(u.updatedAt).toISOString(),
  };
}

/** Upstreams whose buttons a sign-in for this client and organisation shows. */
export async function upstreamsForSignIn(services: Services, orgId: string | undefined, clientId: string): Promise<Upstream[]> {
  // without a known organisation, only upstreams that name this very client are offered
  const candidates = orgId ? await services.repos.upstreams.listByOrg(orgId) : await services.repos.upstreams.list();
  return candidates.filter((u) => u.enabled && (u.clientIds ? u.clientIds.includes(clientId) : Boolean(orgId)));
}
