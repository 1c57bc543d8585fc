import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { TestServer } from '../helpers/server.js';

/** Registers a client exactly as an operator would, with the real `idp clients add` (in-process). */
export async function addAdminClient(server: TestServer, opts: { org?: string; adminApi?: boolean } = {}) {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(String(chunk));
        done();
      },
    });
  const args = ['clients', 'add', '--name', 'automation', '--grant-types', 'client_credentials', '--json'];
  if (opts.adminApi !== false) args.push('--admin-api');
  if (opts.org) args.push('--org', opts.org);
  const status = await main(args, {
    env: {
      NODE_ENV: 'test',
      IDP_DATABASE_URL: server.config.databaseUrl,
      IDP_DATA_DIR: server.config.dataDir,
      IDP_SECRET_KEY: server.config.secretKey,
      IDP_LOG_LEVEL: 'silent',
    },
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
  });
  if (status !== 0) throw new Error(`idp clients add failed: ${err}`);
  return JSON.parse(out) as { client_id: string; client_secret: string };
}

/** A client-credentials access token from the server's own token endpoint. */
export async function clientToken(server: TestServer, client: { client_id: string; client_secret: string }, scope = 'idp:admin') {
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
  });
  const body = (await res.json()) as { access_token?: string; scope?: string; error?: string };
  if (!body.access_token) throw new Error(`token request failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Response bodies are read loosely: the assertions say what each must hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = Record<string, any>;

export interface ApiResponse {
  status: number;
  body: JsonBody;
  headers: Headers;
}

/** Calls the admin API; `body` objects are sent as JSON, strings as they are. */
export async function api(
  server: TestServer,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const res = await fetch(`${server.url}/admin/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: JsonBody = {};
  try {
    parsed = text ? (JSON.parse(text) as JsonBody) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Everything stored about one organisation, to show that a refused request changed nothing. */
export async function snapshot(server: TestServer, orgId: string) {
  const knex = server.services.knex;
  const users = await knex('users').where({ org_id: orgId }).orderBy('id');
  const ids = users.map((u: { id: string }) => u.id);
  return JSON.stringify({
    org: await knex('organisations').where({ id: orgId }),
    users,
    factors: ids.length ? await knex('factors').whereIn('user_id', ids).orderBy('id') : [],
    throttles: await knex('throttles').orderBy('key'),
    audit: await knex('audit_events').where({ org_id: orgId }).count({ n: '*' }),
    codes: ids.length ? await knex('one_time_codes').whereIn('user_id', ids).count({ n: '*' }) : [],
    upstreams: await knex('upstreams').where({ org_id: orgId }).orderBy('id'),
    links: ids.length ? await knex('federated_links').whereIn('user_id', ids).orderBy('id') : [],
  });
}
