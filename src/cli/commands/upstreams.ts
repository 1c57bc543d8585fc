import { z } from 'zod';
import type { Upstream } from '../../db/upstreams.js';
import { linkJson, listLinks, removeLink } from '../../federation/links.js';
import { addUpstream, removeUpstream, type UpstreamJsonFields, UpstreamInputError, updateUpstream, upstreamJson } from '../../federation/upstreams.js';
import type { Services } from '../../services.js';
import { CliUsageError, orgCode, text, username, validate } from '../args.js';
import type { Command } from '../command.js';
import { BY_CLI, type CliContext, requireOrg, requireUser } from '../context.js';
import { fields, table } from '../output.js';

/** JSON field → the option that sets it, so a domain error names the option. */
const optionOf: Record<string, string> = {
  slug: 'slug',
  issuer: 'issuer',
  client_id: 'client-id',
  client_secret: 'client-secret',
  scopes: 'scopes',
  display_name: 'display-name',
  label_ja: 'label-ja',
  label_en: 'label-en',
  client_ids: 'clients',
  mfa_acr_values: 'mfa-acr-values',
  enabled: 'enabled',
};

async function domain<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UpstreamInputError) {
      const option = optionOf[err.field];
      throw new CliUsageError(option ? `--${option} ${err.problem}` : `options: ${err.problem}`);
    }
    throw err;
  }
}

const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

const yesNo = z.enum(['yes', 'no'], { error: 'must be yes or no' }).transform((v) => v === 'yes');

const fieldOptions = {
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'client-secret-stdin': { type: 'boolean' },
  scopes: { type: 'string' },
  'display-name': { type: 'string' },
  'label-ja': { type: 'string' },
  'label-en': { type: 'string' },
  clients: { type: 'string' },
  'mfa-acr-values': { type: 'string' },
  enabled: { type: 'string' },
} as const;

const fieldSchema = {
  issuer: z.string().optional(),
  'client-id': z.string().optional(),
  'client-secret': z.string().optional(),
  'client-secret-stdin': z.boolean().optional(),
  scopes: z.string().optional(),
  'display-name': z.string().optional(),
  'label-ja': z.string().optional(),
  'label-en': z.string().optional(),
  clients: z.string().optional(),
  'mfa-acr-values': z.string().optional(),
  enabled: yesNo.optional(),
};

type FieldValues = z.output<z.ZodObject<typeof fieldSchema>>;

async function readSecret(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Options → JSON fields; only the options given. An empty --client-secret or --clients clears it. */
async function toFields(v: FieldValues, ctx: CliContext): Promise<Partial<UpstreamJsonFields>> {
  if (v['client-secret'] !== undefined && v['client-secret-stdin']) throw new CliUsageError('give either --client-secret or --client-secret-stdin, not both');
  const secret = v['client-secret-stdin'] ? await readSecret(ctx.stdin) : v['client-secret'];
  const clients = list(v.clients);
  return {
    issuer: v.issuer,
    client_id: v['client-id'],
    client_secret: secret === undefined ? undefined : secret === '' ? null : secret,
    scopes: list(v.scopes),
    display_name: v['display-name'],
    label_ja: v['label-ja'],
    label_en: v['label-en'],
    client_ids: clients === undefined ? undefined : clients.length ? clients : null,
    mfa_acr_values: list(v['mfa-acr-values']),
    enabled: v.enabled,
  };
}

function upstreamText(u: Upstream, org: string): string {
  return fields([
    ['organisation', org],
    ['slug', u.slug],
    ['issuer', u.issuer],
    ['client id', u.clientId],
    ['client secret', u.clientSecret ? 'stored (encrypted)' : 'none (public client, PKCE)'],
    ['scopes', u.scopes],
    ['display name', u.displayName],
    ['button (ja)', u.labelJa],
    ['button (en)', u.labelEn],
    ['clients', u.clientIds ? u.clientIds.join(',') : 'every client of the organisation'],
    ['mfa acr values', u.mfaAcrValues.join(',') || '-'],
    ['enabled', u.enabled ? 'yes' : 'no'],
  ]);
}

async function requireUpstream(services: Services, org: { id: string; code: string }, slug: string): Promise<Upstream> {
  const upstream = await services.repos.upstreams.findBySlug(org.id, slug.toLowerCase());
  if (!upstream) throw new CliUsageError(`--slug: no upstream "${slug}" in organisation ${org.code} (see idp upstreams list --org ${org.code})`);
  return upstream;
}

const fieldsHelp = `  --issuer URL                  the upstream's issuer; its discovery document must name the same
                                issuer. https (plain http only outside production)
  --client-id ID                our client id registered at the upstream
  --client-secret SECRET        its secret (stored encrypted); omit for a public client (PKCE only)
  --client-secret-stdin         read the secret from standard input instead
  --scopes LIST                 comma-separated, must include openid (default openid,profile)
  --display-name TEXT           the upstream's name on pages and in messages
  --label-ja TEXT               the button text in Japanese (default "<display name>でログイン")
  --label-en TEXT               the button text in English (default "Sign in with <display name>")
  --clients LIST                client ids that show the button (default: every client of the
                                organisation); "" for every client again
  --mfa-acr-values LIST         upstream acr values that mean MFA was done there (besides the
                                standard ones, see docs/federation.md)
  --enabled yes|no              a disabled upstream shows no button and accepts no answers`;

export const upstreamsAdd: Command = {
  name: 'upstreams add',
  summary: 'let an organisation sign in through an external OpenID Connect provider',
  options: { org: { type: 'string' }, slug: { type: 'string' }, ...fieldOptions },
  help: `Usage: idp upstreams add --org CODE --slug NAME --issuer URL --client-id ID
                         [--client-secret SECRET | --client-secret-stdin] --display-name TEXT
                         [--scopes LIST] [--label-ja TEXT] [--label-en TEXT] [--clients LIST]
                         [--mfa-acr-values LIST] [--enabled yes|no] [--json]

Adds an upstream OpenID Connect provider to an organisation. Register
<IDP_ISSUER>/federation/callback as the redirect URI at the upstream.

  --org CODE                    the organisation (required)
  --slug NAME                   a short name for it, unique in the organisation (required)
${fieldsHelp}`,
  prepare(values) {
    const input = validate(z.object({ org: orgCode, slug: text({ max: 64 }), ...fieldSchema }), values);
    for (const required of ['issuer', 'client-id', 'display-name'] as const) {
      if (input[required] === undefined) throw new CliUsageError(`--${required} is required`);
    }
    return async (ctx) => {
      const org = await requireOrg(ctx.services, input.org);
      const f = await toFields(input, ctx);
      const upstream = await domain(() =>
        addUpstream(ctx.services, org, { ...f, slug: input.slug, issuer: f.issuer!, client_id: f.client_id!, display_name: f.display_name! }, BY_CLI.by),
      );
      return { json: { upstream: upstreamJson(upstream, org.code) }, text: `Added upstream ${upstream.slug} to ${org.code}\n${upstreamText(upstream, org.code)}` };
    };
  },
};

export const upstreamsUpdate: Command = {
  name: 'upstreams update',
  summary: 'change an upstream provider',
  options: { org: { type: 'string' }, slug: { type: 'string' }, ...fieldOptions },
  help: `Usage: idp upstreams update --org CODE --slug NAME [options of upstreams add] [--json]

Changes only the options given. --client-secret "" removes the secret.

${fieldsHelp}`,
  prepare(values) {
    const input = validate(z.object({ org: orgCode, slug: text({ max: 64 }), ...fieldSchema }), values);
    return async (ctx) => {
      const org = await requireOrg(ctx.services, input.org);
      const upstream = await requireUpstream(ctx.services, org, input.slug);
      const changed = await domain(async () => updateUpstream(ctx.services, upstream, await toFields(input, ctx), BY_CLI.by));
      return { json: { upstream: upstreamJson(changed, org.code) }, text: `Updated upstream ${changed.slug} of ${org.code}\n${upstreamText(changed, org.code)}` };
    };
  },
};

export const upstreamsList: Command = {
  name: 'upstreams list',
  summary: 'list upstream providers (without secrets)',
  options: { org: { type: 'string' } },
  help: `Usage: idp upstreams list [--org CODE] [--json]

Lists the upstream providers, of one organisation or of all. Secrets are never shown.`,
  prepare(values) {
    const input = validate(z.object({ org: orgCode.optional() }), values);
    return async ({ services }) => {
      const org = input.org ? await requireOrg(services, input.org) : undefined;
      const upstreams = org ? await services.repos.upstreams.listByOrg(org.id) : await services.repos.upstreams.list();
      const codes = new Map((await services.repos.orgs.list()).map((o) => [o.id, o.code]));
      const rows = upstreams.map((u) => upstreamJson(u, codes.get(u.orgId) ?? ''));
      const text = upstreams.length
        ? table(
            ['ORG', 'SLUG', 'NAME', 'ISSUER', 'CLIENTS', 'ENABLED'],
            upstreams.map((u) => [codes.get(u.orgId) ?? '', u.slug, u.displayName, u.issuer, u.clientIds ? u.clientIds.join(',') : 'all', u.enabled ? 'yes' : 'no']),
          )
        : 'No upstream providers yet (add one with idp upstreams add).';
      return { json: { upstreams: rows }, text };
    };
  },
};

export const upstreamsRemove: Command = {
  name: 'upstreams remove',
  summary: "remove an upstream provider and its users' links",
  options: { org: { type: 'string' }, slug: { type: 'string' } },
  help: `Usage: idp upstreams remove --org CODE --slug NAME [--json]

Removes the upstream provider. Every link of a user to it is removed with it.`,
  prepare(values) {
    const input = validate(z.object({ org: orgCode, slug: text({ max: 64 }) }), values);
    return async ({ services }) => {
      const org = await requireOrg(services, input.org);
      const upstream = await requireUpstream(services, org, input.slug);
      const { linksRemoved } = await removeUpstream(services, upstream, BY_CLI.by);
      return {
        json: { slug: upstream.slug, removed: true, links_removed: linksRemoved },
        text: `Removed upstream ${upstream.slug} from ${org.code} (${linksRemoved} link${linksRemoved === 1 ? '' : 's'} removed).`,
      };
    };
  },
};

export const upstreamsLinks: Command = {
  name: 'upstreams links',
  summary: "list a user's links to upstream providers",
  options: { org: { type: 'string' }, username: { type: 'string' } },
  help: `Usage: idp upstreams links --org CODE --username NAME [--json]`,
  prepare(values) {
    const input = validate(z.object({ org: orgCode, username }), values);
    return async ({ services }) => {
      const org = await requireOrg(services, input.org);
      const user = await requireUser(services, org, input.username);
      const links = (await listLinks(services, user.id)).map(linkJson);
      const text = links.length
        ? table(
            ['LINK_ID', 'UPSTREAM', 'SUBJECT', 'LINKED', 'LAST USED'],
            links.map((l) => [String(l.id), String(l.upstream), String(l.subject), String(l.created_at), String(l.last_used_at ?? '-')]),
          )
        : `${user.username} has no links.`;
      return { json: { links }, text };
    };
  },
};

export const upstreamsUnlink: Command = {
  name: 'upstreams unlink',
  summary: "remove a user's link to an upstream provider",
  options: { org: { type: 'string' }, username: { type: 'string' }, 'link-id': { type: 'string' } },
  help: `Usage: idp upstreams unlink --org CODE --username NAME --link-id ID [--json]

The user signs in with the password again (and may link anew). See idp upstreams links.`,
  prepare(values) {
    const input = validate(z.object({ org: orgCode, username, 'link-id': text({ max: 64 }) }), values);
    return async ({ services }) => {
      const org = await requireOrg(services, input.org);
      const user = await requireUser(services, org, input.username);
      if (!(await removeLink(services, user, input['link-id'], { by: BY_CLI.by }))) {
        throw new CliUsageError(`--link-id: ${user.username} has no link ${input['link-id']} (see idp upstreams links)`);
      }
      return { json: { link_id: input['link-id'], removed: true }, text: `Removed link ${input['link-id']} of ${user.username}.` };
    };
  },
};

export const upstreamCommands = [upstreamsAdd, upstreamsUpdate, upstreamsList, upstreamsRemove, upstreamsLinks, upstreamsUnlink];
