/**
 * The relying party's callback, for real: a tiny HTTP server that answers every request
 * with a short page. The fixture clients' redirect URIs are on http://127.0.0.1:9 (the
 * discard port, where nothing listens); the test browser maps that host and port onto
 * this server, so the browser really loads the callback URL and navigations complete.
 * The code in the URL is redeemed by the test with openid-client, not by this server.
 */
import { type Server, createServer } from 'node:http';

export interface CallbackServer {
  port: number;
  /** request targets (path and query) in arrival order */
  seen: string[];
  close(): Promise<void>;
}

export async function startCallbackServer(): Promise<CallbackServer> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '/');
    if (req.url === '/favicon.ico') {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end('<!doctype html><html lang="en"><title>relying party</title><p>callback received</p></html>');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
