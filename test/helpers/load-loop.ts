/**
 * Load for the operations tests: a few workers repeating one request until stopped,
 * keeping every outcome, so a test can look at each answer the client was given.
 */

export interface LoadLoop<T> {
  readonly outcomes: T[];
  /** Stops the workers at once (no new request starts); resolves when the last one returned. */
  stop(): Promise<void>;
}

/** Runs `step` in `concurrency` workers until stopped. A step that throws fails `stop()`. */
export function loadLoop<T>(step: (worker: number) => Promise<T>, opts: { concurrency?: number; pauseMs?: number } = {}): LoadLoop<T> {
  const outcomes: T[] = [];
  let running = true;
  const worker = async (n: number) => {
    while (running) {
      outcomes.push(await step(n));
      await new Promise((r) => setTimeout(r, opts.pauseMs ?? 5));
    }
  };
  const done = Promise.all(Array.from({ length: opts.concurrency ?? 4 }, (_, n) => worker(n)));
  return {
    outcomes,
    async stop() {
      running = false;
      await done;
    },
  };
}

export interface GrantOutcome {
  /** 0 when no HTTP answer came (connection refused or reset) */
  status: number;
  body: string;
  token?: string;
}

export function basicAuth(client: { clientId: string; clientSecret?: string | undefined }): string {
  return `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret ?? ''}`).toString('base64')}`;
}

/** One client-credentials grant; never throws. */
export async function clientCredentialsGrant(baseUrl: string, client: { clientId: string; clientSecret?: string | undefined }): Promise<GrantOutcome> {
  try {
    const res = await fetch(`${baseUrl}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=client_credentials',
    });
    const body = await res.text();
    const token = res.status === 200 ? (JSON.parse(body) as { access_token: string }).access_token : undefined;
    return { status: res.status, body, ...(token ? { token } : {}) };
  } catch (err) {
    return { status: 0, body: (err as Error).message };
  }
}

/** Polls `fn` every 100 ms until it is true; fails naming `what` after `ms`. */
export async function until(what: string, fn: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
