import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ClientMetadata, StoredClient } from '../../db/clients.js';
import { randomId } from '../../util/ids.js';
import { isInternalClient } from '../../account/internal-client.js';
import { CliUsageError, listOf, oneOf, orgCode, redirectUri, text, validate } from '../args.js';
import { validateClientMetadata } from '../client-metadata.js';
import type { Command } from '../command.js';
import { inTransaction, requireOrg, uniquely } from '../context.js';
import { fields, iso, table } from '../output.js';

const grantTypes = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
const idTokenAlgs = ['RS256', 'ES256', 'EdDSA'] as const;

export function clientJson(client: StoredClient, orgCodes: Map<string, string>): Record<string, unknown> {
  const m = client.metadata;
  return {
    client_id: client.clientId,
    client_name: client.name,
    org: client.orgId ? (orgCodes.get(client.orgId) ?? null) : null,
    public: m.token_endpoint_auth_method === 'none',
    first_party: client.firstParty,
    require_mfa: client.requireMfa,
    admin_api: m.admin_api === true,
    grant_types: m.grant_types ?? ['authorization_code', 'refresh_token'],
    redirect_uris: m.redirect_uris ?? [],
    post_logout_redirect_uris: m.post_logout_redirect_uris ?? [],
    token_endpoint_auth_method: m.token_endpoint_auth_method ?? 'client_secret_basic',
    id_token_signed_response_alg: m.id_token_signed_response_alg ?? 'RS256',
    created_at: iso(client.createdAt),
  };
}

function addSchema(production: boolean) {
  return z.object({
    name: text({ max: 200 }),
    'redirect-uri': z.array(redirectUri(production)).optional(),
    'post-logout-redirect-uri': z.array(redirectUri(production)).optional(),
    public: z.boolean().optional(),
    org: orgCode.optional(),
    'grant-types': listOf(grantTypes).optional(),
    'require-mfa': z.boolean().optional(),
    'third-party': z.boolean().optional(),
    'id-token-alg': oneOf(idTokenAlgs).optional(),
    'admin-api': z.boolean().optional(),
  });
}

export const clientsAdd: Command = {
  name: 'clients add',
  summary: 'register a relying party (prints its client_id and client_secret)',
  options: {
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    public: { type: 'boolean' },
    org: { type: 'string' },
    'grant-types': { type: 'string' },
    'require-mfa': { type: 'boolean' },
    'third-party': { type: 'boolean' },
    'id-token-alg': { type: 'string' },
    'admin-api': { type: 'boolean' },
  },
  help: `Usage: idp clients add --name NAME --redirect-uri URL [--redirect-uri URL …]
                       [--post-logout-redirect-uri URL …] [--public] [--org CODE]
                       [--grant-types authorization_code,refresh_token,client_credentials]
                       [--require-mfa] [--third-party] [--id-token-alg RS256|ES256|EdDSA]
                       [--admin-api] [--json]

Registers a relying party and prints its client_id and client_secret. The secret is
shown only once: store it in the relying party's configuration.

  --name NAME                       shown to users on consent and sign-in pages (required)
  --redirect-uri URL                where authorization responses go; repeat for several
                                    (required with the authorization_code grant). Absolute
                                    http(s) without a fragment; with NODE_ENV=production plain
                                    http only for localhost and 127.0.0.1
  --post-logout-redirect-uri URL    where RP-initiated logout may return to; repeatable
  --public                          a client that cannot keep a secret (SPA, mobile app):
                                    no secret, PKCE required
  --org CODE                        only users of this organisation may sign in
  --grant-types LIST                comma-separated, default authorization_code,refresh_token
  --require-mfa                     users must pass a second factor for this client
  --third-party                     ask users for consent (default: first-party, no consent screen)
  --id-token-alg ALG                ID token signature: RS256 (default), ES256 or EdDSA
  --admin-api                       may call the admin API (/admin/api/v1) with client-credentials
                                    tokens of scope idp:admin; needs --grant-types client_credentials
                                    (alone).
                                    With --org it acts on that organisation only; without --org
                                    on every organisation (an operator-wide client)`,
  prepare(values, config) {
    const input = validate(addSchema(config.nodeEnv === 'production'), values);
    const grants = input['grant-types'] ?? ['authorization_code', 'refresh_token'];
    const code = grants.includes('authorization_code');
    const redirects = input['redirect-uri'] ?? [];
    const postLogout = input['post-logout-redirect-uri'] ?? [];
    if (code && !redirects.length) throw new CliUsageError('--redirect-uri is required with the authorization_code grant');
    if (!code && grants.includes('refresh_token')) throw new CliUsageError('--grant-types refresh_token needs authorization_code too');
    if (!code && (redirects.length || postLogout.length)) {
      const option = redirects.length ? '--redirect-uri' : '--post-logout-redirect-uri';
      throw new CliUsageError(`${option} is only used with the authorization_code grant (add it to --grant-types)`);
    }
    if (input.public && grants.includes('client_credentials')) {
      throw new CliUsageError('--grant-types client_credentials needs a client secret; it cannot be used with --public');
    }
    if (!code && (input['require-mfa'] || input['third-party'] || input['id-token-alg'])) {
      const option = input['require-mfa'] ? '--require-mfa' : input['third-party'] ? '--third-party' : '--id-token-alg';
      throw new CliUsageError(`${option} applies to user sign-in; it needs the authorization_code grant`);
    }
    if (input['admin-api'] && (code || !grants.includes('client_credentials'))) {
      throw new CliUsageError('--admin-api needs --grant-types client_credentials alone (admin API clients do not sign users in)');
    }
    const adminApi = input['admin-api'] ?? false;
    return async ({ services }) => {
      const org = input.org ? await requireOrg(services, input.org) : undefined;
      const clientId = randomId();
      const secret = input.public ? undefined : randomBytes(32).toString('base64url');
      const metadata: ClientMetadata = {
        client_id: clientId,
        ...(secret ? { client_secret: secret } : {}),
        client_name: input.name,
        application_type: 'web',
        redirect_uris: redirects,
        ...(postLogout.length ? { post_logout_redirect_uris: postLogout } : {}),
        grant_types: grants,
        response_types: code ? ['code'] : [],
        token_endpoint_auth_method: input.public ? 'none' : 'client_secret_basic',
        ...(input['id-token-alg'] ? { id_token_signed_response_alg: input['id-token-alg'] } : {}),
        // the only scope an admin client may ask for; the admin API also checks admin_api itself
        ...(adminApi ? { admin_api: true, scope: 'idp:admin' } : {}),
      };
      const firstParty = !input['third-party'];
      const requireMfa = input['require-mfa'] ?? false;
      await validateClientMetadata(services, {
        ...metadata,
        first_party: firstParty,
        require_mfa: requireMfa,
        ...(org ? { org_id: org.id } : {}),
      });
      await uniquely('client id collision, run the command again', () =>
        inTransaction(services, async (tx) => {
          await tx.clients.create({ metadata, name: input.name, orgId: org?.id ?? null, firstParty, requireMfa });
          await tx.audit({
            type: 'client.created',
            orgId: org?.id ?? null,
            clientId,
            details: { name: input.name, public: Boolean(input.public), grantTypes: grants, adminApi },
          });
        }),
      );
      const lines: [string, string][] = [
        ['client_id', clientId],
        ...(secret ? ([['client_secret', secret]] as [string, string][]) : []),
        ['type', input.public ? 'public (no secret, PKCE required)' : 'confidential (client_secret_basic)'],
        ['grant types', grants.join(',')],
        ...(redirects.length ? ([['redirect URIs', redirects.join(' ')]] as [string, string][]) : []),
        ...(org ? ([['organisation', org.code]] as [string, string][]) : []),
        ...(adminApi ? ([['admin API', org ? `organisation ${org.code} only` : 'every organisation (operator-wide)']] as [string, string][]) : []),
      ];
      return {
        json: secret ? { client_id: clientId, client_secret: secret } : { client_id: clientId },
        text: `Registered client ${input.name}\n${fields(lines)}${secret ? '\nThe secret is shown only this once; keep it in the relying party configuration.' : ''}`,
      };
    };
  },
};

export const clientsList: Command = {
  name: 'clients list',
  summary: 'list registered relying parties (without secrets)',
  options: {},
  help: `Usage: idp clients list [--json]

Lists the registered clients. Secrets are never shown.`,
  prepare() {
    return async ({ services }) => {
      // the provider's own account client is not the operator's to manage
      const clients = (await services.repos.clients.list()).filter((c) => !isInternalClient(c.clientId));
      const orgCodes = new Map((await services.repos.orgs.list()).map((o) => [o.id, o.code]));
      const rows = clients.map((c) => clientJson(c, orgCodes));
      const text = rows.length
        ? table(
            ['CLIENT_ID', 'NAME', 'TYPE', 'ORG', 'GRANTS', 'REDIRECT URIS'],
            rows.map((c) => [
              String(c.client_id),
              String(c.client_name),
              c.public ? 'public' : 'confidential',
              (c.org as string | null) ?? '-',
              (c.grant_types as string[]).join(','),
              (c.redirect_uris as string[]).join(' ') || '-',
            ]),
          )
        : 'No clients yet (register one with idp clients add --name NAME --redirect-uri URL).';
      return { json: { clients: rows }, text };
    };
  },
};

export const clientsRemove: Command = {
  name: 'clients remove',
  summary: 'delete a client',
  options: { 'client-id': { type: 'string' } },
  help: `Usage: idp clients remove --client-id ID [--json]

Deletes a client. Its tokens stop working: the server no longer finds the client.`,
  prepare(values) {
    const input = validate(z.object({ 'client-id': text({ max: 64 }) }), values);
    const clientId = input['client-id'];
    return async ({ services }) => {
      const client = isInternalClient(clientId) ? undefined : await services.repos.clients.find(clientId);
      if (!client) throw new CliUsageError(`--client-id: no client ${clientId} (see idp clients list)`);
      await inTransaction(services, async (tx) => {
        await tx.clients.remove(clientId);
        await tx.audit({ type: 'client.removed', orgId: client.orgId, clientId, details: { name: client.name } });
      });
      return { json: { client_id: clientId, removed: true }, text: `Removed client ${clientId} (${client.name}).` };
    };
  },
};
