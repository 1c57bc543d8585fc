import { z } from 'zod';
import type { Upstream } from '../../db/upstreams.js';
import { byAdmin, linkJson, listLinks, removeLink } from '../../federation/links.js';
import { addUpstream, removeUpstream, type UpstreamAdd, UpstreamInputError, updateUpstream, upstreamJson } from '../../federation/upstreams.js';
import { AdminInvalidError, AdminNotFoundError } from '../errors.js';
import { idField, parseInput } from '../schemas.js';
import { readJson } from './json-body.js';
import type { ApiRoute, Call } from './router.js';
import { noBody, user } from './router.js';

/**
 * Upstream providers of an organisation and users' links to them (issue 7). The domain
 * (src/federation) validates the values and writes the audit event; here only the keys
 * are checked, so an unknown field is refused instead of ignored.
 */

const upstreamFields = ['slug', 'issuer', 'client_id', 'client_secret', 'scopes', 'display_name', 'label_ja', 'label_en', 'client_ids', 'mfa_acr_values', 'enabled'] as const;

const knownKeys = (keys: readonly string[]) => z.strictObject(Object.fromEntries(keys.map((k) => [k, z.unknown().optional()])));
const addKeys = knownKeys(upstreamFields);
// the slug names the upstream in redirect paths and the audit trail: it does not change
const updateKeys = knownKeys(upstreamFields.filter((k) => k !== 'slug'));

/** A domain input error is a 400 naming the JSON field, like every other admin API input. */
async function domain<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UpstreamInputError) throw new AdminInvalidError(err.field, err.problem);
    throw err;
  }
}

/** The upstream in the path, looked up within the organisation in the path only. */
async function upstreamOf(call: Call): Promise<Upstream> {
  const id = idField.safeParse(call.ctx.params.upstream_id);
  const found = id.success ? await call.deps.services.repos.upstreams.find(id.data) : undefined;
  if (!found || found.orgId !== call.org.id) throw new AdminNotFoundError('upstream');
  return found;
}

export const federationRoutes: ApiRoute[] = [
  {
    method: 'GET',
    path: '/orgs/:org/upstreams',
    handler: async ({ deps, org }) => ({ upstreams: (await deps.services.repos.upstreams.listByOrg(org.id)).map((u) => upstreamJson(u, org.code)) }),
  },
  {
    method: 'POST',
    path: '/orgs/:org/upstreams',
    handler: async ({ ctx, deps, org, actor }) => {
      const body = parseInput(addKeys, await readJson(ctx));
      const created = await domain(() => addUpstream(deps.services, org, body as UpstreamAdd, actor));
      ctx.status = 201;
      return { upstream: upstreamJson(created, org.code) };
    },
  },
  {
    method: 'GET',
    path: '/orgs/:org/upstreams/:upstream_id',
    handler: async (call) => ({ upstream: upstreamJson(await upstreamOf(call), call.org.code) }),
  },
  {
    method: 'PATCH',
    path: '/orgs/:org/upstreams/:upstream_id',
    handler: async (call) => {
      const upstream = await upstreamOf(call);
      const body = parseInput(updateKeys, await readJson(call.ctx));
      const changed = await domain(() => updateUpstream(call.deps.services, upstream, body, call.actor));
      return { upstream: upstreamJson(changed, call.org.code) };
    },
  },
  {
    method: 'DELETE',
    path: '/orgs/:org/upstreams/:upstream_id',
    handler: async (call) => {
      const upstream = await upstreamOf(call);
      await noBody(call.ctx);
      const { linksRemoved } = await removeUpstream(call.deps.services, upstream, call.actor);
      return { upstream_id: upstream.id, removed: true, links_removed: linksRemoved };
    },
  },
  {
    method: 'GET',
    path: '/orgs/:org/users/:user_id/links',
    handler: async (call) => {
      const target = await user(call);
      return { user_id: target.id, links: (await listLinks(call.deps.services, target.id)).map(linkJson) };
    },
  },
  {
    method: 'DELETE',
    path: '/orgs/:org/users/:user_id/links/:link_id',
    handler: async (call) => {
      const target = await user(call);
      const linkId = idField.safeParse(call.ctx.params.link_id);
      await noBody(call.ctx);
      // a link of another user (of any organisation) is not this user's: the same 404
      if (!linkId.success || !(await removeLink(call.deps.services, target, linkId.data, byAdmin(call.actor)))) throw new AdminNotFoundError('link');
      return { user_id: target.id, link_id: linkId.data, removed: true };
    },
  },
];
