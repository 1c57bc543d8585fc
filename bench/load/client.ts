import { Agent, request } from 'node:http';

/** A response as the load generator needs it: status, headers, body text. */
export interface Reply {
  status: number;
  location: string | undefined;
  setCookies: string[];
  body: string;
}

/**
 * A small keep-alive HTTP client on node:http (fetch costs several times more CPU per
 * request, and the generator must not be what limits the figures).
 */
export function createClient(base: string, sockets: number) {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, method, path, agent, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              location: res.headers.location,
              setCookies: res.headers['set-cookie'] ?? [],
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
  return {
    get: (path: string, headers: Record<string, string> = {}) => send('GET', path, headers),
    postForm: (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
      send('POST', path, { 'content-type': 'application/x-www-form-urlencoded', ...headers }, new URLSearchParams(form).toString()),
    close: () => agent.destroy(),
  };
}

export type Client = ReturnType<typeof createClient>;

/** A browser's cookies for one sign-in: name → value, updated from Set-Cookie. */
export class CookieJar {
  private readonly jar = new Map<string, string>();
  constructor(initial: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(initial)) this.jar.set(k, v);
  }
  take(reply: Reply): Reply {
    for (const line of reply.setCookies) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return reply;
  }
  header(): Record<string, string> {
    return this.jar.size ? { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }
}

export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** The path (and query) of a Location header, which may be absolute. */
export function pathOf(location: string | undefined, what: string): string {
  if (!location) throw new Error(`${what}: no redirect`);
  const u = new URL(location, 'http://x');
  return u.pathname + u.search;
}
