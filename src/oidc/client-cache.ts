/** Enough for every client of a large deployment; beyond it the oldest entry goes. */
const MAX_ENTRIES = 10_000;

/**
 * Registered clients held in memory for a few seconds after a read. Every token request
 * authenticates its client; reading the row and decrypting its secret each time cost a
 * database round trip per grant. Only clients that exist are cached, so made-up client ids
 * cannot fill the cache, and a removed client stops working within `ttlSeconds` (clients
 * are changed by the CLI, from another process, so there is nothing to invalidate here).
 */
export function createClientCache<T>(ttlSeconds: number, now: () => number = Date.now) {
  const entries = new Map<string, { metadata: T; until: number }>();
  return {
    async find(clientId: string, load: (id: string) => Promise<T | undefined>): Promise<T | undefined> {
      if (ttlSeconds === 0) return load(clientId);
      const hit = entries.get(clientId);
      if (hit && hit.until > now()) return hit.metadata;
      entries.delete(clientId);
      const metadata = await load(clientId);
      if (metadata) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
        entries.set(clientId, { metadata, until: now() + ttlSeconds * 1000 });
      }
      return metadata;
    },
  };
}
