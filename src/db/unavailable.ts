/** Database unreachable (connection refused or dropped, restarting, pool timeout). */
export function isDatabaseDown(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string };
  return (
    e?.name === 'KnexTimeoutError' ||
    e?.name === 'MaxRetriesPerRequestError' || // ioredis (IDP_REDIS_URL) while Redis is away
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03', 'SQLITE_BUSY'].includes(e?.code ?? '') ||
    /Connection terminated|connect ECONNREFUSED|Client was closed|Client has encountered a connection error|Connection is closed|Stream isn't writeable/.test(e?.message ?? '')
  );
}

/**
 * What oidc-provider's own routes (token, userinfo, introspection, authorize) answer
 * while the database is away: 503 with the registered OAuth error code
 * `temporarily_unavailable` and a plain sentence, instead of a bare `server_error` 500.
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  readonly status = 503;
  readonly statusCode = 503;
  readonly expose = true;
  readonly error = 'temporarily_unavailable';
  readonly error_description = 'the database is unavailable; try again in a few seconds';
  constructor(cause: unknown) {
    super('temporarily_unavailable', { cause });
  }
}

/** Runs a database call; a lost database becomes DatabaseUnavailableError. */
export async function guardDatabase<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw isDatabaseDown(err) ? new DatabaseUnavailableError(err) : err;
  }
}
