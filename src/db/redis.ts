import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { OidcPayloadRepository, StoredPayload } from './oidc-payloads.js';
import type { ThrottleRepository, ThrottleState } from './throttles.js';

/**
 * Optional Redis (IDP_REDIS_URL) for what is short-lived and hot: oidc-provider's
 * interactions, authorization codes, opaque access and client-credentials tokens and the
 * other one-shot models, and the throttle counters. PostgreSQL stays the source of truth
 * for everything that outlives a sign-in: sessions, grants, refresh tokens, users, audit.
 * Why and what it saves (per request, measured): docs/deploy.md, `npm run bench:stores`.
 */

/** oidc-provider models kept in Redis; every other model stays in the database. */
export const REDIS_MODELS: ReadonlySet<string> = new Set([
  'Interaction',
  'AuthorizationCode',
  'AccessToken',
  'ClientCredentials',
  'PushedAuthorizationRequest',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'ReplayDetection',
]);

/** A connection that fails fast when Redis is away (the caller answers 503), and reconnects by itself. */
export function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let lastWarn = 0;
  redis.on('error', (err: Error) => {
    // once per 10 s while it is away, not per command
    if (Date.now() - lastWarn < 10_000) return;
    lastWarn = Date.now();
    logger.warn({ err: err.message }, 'redis: connection problem');
  });
  return redis;
}

/** Ends the connection: politely when it is up, at once otherwise. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}

// ---------------------------------------------------------------- payloads

interface RedisCommands {
  idpConsumeOnce(key: string, now: string): Promise<number>;
  idpConsume(key: string, now: string): Promise<number>;
}

/**
 * The payload repository's contract on Redis: one hash per payload (`payload`, and
 * `consumed` once used) that expires with it; `uid:` and `usercode:` keys point at the id;
 * a set per grant lists its keys for revokeByGrantId.
 */
export function createRedisPayloadStore(redis: Redis, prefix: string) {
  const key = (type: string, id: string) => `${prefix}oidc:${type}:${id}`;
  const grantKey = (grantId: string) => `${prefix}oidc-grant:${grantId}`;
  const indexKey = (type: string, column: 'uid' | 'user_code', value: string) => `${prefix}oidc-${column}:${type}:${value}`;
  // consumption is atomic: of two racing uses of a code, exactly one wins (as UPDATE … WHERE consumed_at IS NULL)
  redis.defineCommand('idpConsumeOnce', {
    numberOfKeys: 1,
    lua: "if redis.call('exists', KEYS[1]) == 0 then return 0 end return redis.call('hsetnx', KEYS[1], 'consumed', ARGV[1])",
  });
  redis.defineCommand('idpConsume', {
    numberOfKeys: 1,
    lua: "if redis.call('exists', KEYS[1]) == 0 then return 0 end redis.call('hset', KEYS[1], 'consumed', ARGV[1]) return 1",
  });
  const commands = redis as unknown as RedisCommands;

  const find = async (type: string, id: string): Promise<StoredPayload | undefined> => {
    const [payload, consumed] = await redis.hmget(key(type, id), 'payload', 'consumed');
    if (!payload) return undefined;
    return { payload: JSON.parse(payload) as Record<string, unknown>, consumedAt: consumed ? Number(consumed) : null };
  };

  return {
    async upsert(type: string, id: string, payload: Record<string, unknown>, expiresInSeconds?: number): Promise<void> {
      // every model kept here expires; one without a lifetime would live forever, so it gets a day
      const ttl = Math.max(1, Math.ceil(expiresInSeconds || 86_400));
      const k = key(type, id);
      const m = redis.multi().hset(k, 'payload', JSON.stringify(payload)).expire(k, ttl);
      if (typeof payload.grantId === 'string') {
        const g = grantKey(payload.grantId);
        // the set lives as long as its longest member
        m.sadd(g, k).expire(g, ttl, 'GT').expire(g, ttl, 'NX');
      }
      if (typeof payload.uid === 'string') m.set(indexKey(type, 'uid', payload.uid), id, 'EX', ttl);
      if (typeof payload.userCode === 'string') m.set(indexKey(type, 'user_code', payload.userCode), id, 'EX', ttl);
      const results = await m.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },
    find,
    async findBy(type: string, column: 'uid' | 'user_code', value: string): Promise<StoredPayload | undefined> {
      const id = await redis.get(indexKey(type, column, value));
      return id ? find(type, id) : undefined;
    },
    async consumeOnce(type: string, id: string): Promise<boolean> {
      return (await commands.idpConsumeOnce(key(type, id), String(Date.now()))) === 1;
    },
    async consume(type: string, id: string): Promise<void> {
      await commands.idpConsume(key(type, id), String(Date.now()));
    },
    async destroy(type: string, id: string): Promise<void> {
      await redis.del(key(type, id));
    },
    async revokeByGrantId(grantId: string): Promise<void> {
      const g = grantKey(grantId);
      const keys = await redis.smembers(g);
      await redis.del(g, ...keys);
    },
  };
}

export type RedisPayloadStore = ReturnType<typeof createRedisPayloadStore>;

/**
 * One payload repository over both stores: the models in `models` go to Redis, the others
 * to the database. Revoking a grant reaches both; purging expired rows is the database's
 * business (Redis expires its keys by itself).
 */
export function routePayloads(database: OidcPayloadRepository, redis: RedisPayloadStore, models: ReadonlySet<string> = REDIS_MODELS): OidcPayloadRepository {
  const inRedis = (type: string) => models.has(type);
  return {
    upsert: (type, id, payload, expiresInSeconds) => (inRedis(type) ? redis.upsert(type, id, payload, expiresInSeconds) : database.upsert(type, id, payload, expiresInSeconds)),
    find: (type, id) => (inRedis(type) ? redis.find(type, id) : database.find(type, id)),
    findBy: (type, column, value) => (inRedis(type) ? redis.findBy(type, column, value) : database.findBy(type, column, value)),
    async listByAccount(type, accountId) {
      if (inRedis(type)) throw new Error(`${type} payloads are kept in Redis, which cannot list them by account`);
      return database.listByAccount(type, accountId);
    },
    consumeOnce: (type, id) => (inRedis(type) ? redis.consumeOnce(type, id) : database.consumeOnce(type, id)),
    consume: (type, id) => (inRedis(type) ? redis.consume(type, id) : database.consume(type, id)),
    destroy: (type, id) => (inRedis(type) ? redis.destroy(type, id) : database.destroy(type, id)),
    async revokeByGrantId(grantId) {
      await Promise.all([database.revokeByGrantId(grantId), redis.revokeByGrantId(grantId)]);
    },
    purgeExpired: (now) => database.purgeExpired(now),
  };
}

// ---------------------------------------------------------------- throttle

/** Locks are looked up per count; counts beyond this many earn the last entry's lock (long capped by then). */
const LOCK_TABLE = 64;

/**
 * The throttle repository's contract on Redis: one hash per key (`failures`,
 * `last_failure_at`, `locked_until`) that expires once both the failure window and the
 * lock are over. A failure is counted and its lock set in one script, so instances
 * sharing Redis count every failure once, as the database's upsert does.
 */
export function createRedisThrottleRepository(redis: Redis, prefix: string): ThrottleRepository {
  const key = (k: string) => `${prefix}throttle:${k}`;
  redis.defineCommand('idpRecordFailure', {
    numberOfKeys: 1,
    // ARGV: now, resetBefore, lock ms for 1, 2, … LOCK_TABLE failures
    lua: `local now = tonumber(ARGV[1])
local resetBefore = tonumber(ARGV[2])
local last = tonumber(redis.call('hget', KEYS[1], 'last_failure_at') or '')
local failures = 1
if last and last >= resetBefore then failures = tonumber(redis.call('hget', KEYS[1], 'failures') or '0') + 1 end
local lock = tonumber(ARGV[2 + math.min(failures, #ARGV - 2)])
redis.call('hset', KEYS[1], 'failures', failures, 'last_failure_at', now)
local lockedUntil = -1
if lock > 0 then
  lockedUntil = now + lock
  redis.call('hset', KEYS[1], 'locked_until', lockedUntil)
else
  redis.call('hdel', KEYS[1], 'locked_until')
end
redis.call('pexpire', KEYS[1], math.max(now - resetBefore, lock, 1000))
return {failures, lockedUntil}`,
  });
  const record = (redis as unknown as { idpRecordFailure(key: string, ...args: string[]): Promise<[number, number]> }).idpRecordFailure.bind(redis);

  return {
    async get(keys: string[]): Promise<ThrottleState[]> {
      if (!keys.length) return [];
      const p = redis.pipeline();
      for (const k of keys) p.hmget(key(k), 'failures', 'locked_until', 'last_failure_at');
      const results = (await p.exec()) ?? [];
      const states: ThrottleState[] = [];
      results.forEach(([err, value], i) => {
        if (err) throw err;
        const [failures, lockedUntil, lastFailureAt] = value as (string | null)[];
        if (failures === null || failures === undefined) return;
        states.push({ key: keys[i]!, failures: Number(failures), lockedUntil: lockedUntil ? Number(lockedUntil) : null, lastFailureAt: Number(lastFailureAt) });
      });
      return states;
    },
    async recordFailure(k: string, now: number, resetBefore: number, lockFor: (failures: number) => number): Promise<ThrottleState> {
      const locks = Array.from({ length: LOCK_TABLE }, (_, i) => String(Math.max(0, Math.round(lockFor(i + 1)))));
      const [failures, lockedUntil] = await record(key(k), String(now), String(resetBefore), ...locks);
      return { key: k, failures: Number(failures), lockedUntil: Number(lockedUntil) > 0 ? Number(lockedUntil) : null, lastFailureAt: now };
    },
    async clear(k: string): Promise<void> {
      await redis.del(key(k));
    },
    /** Redis expires counters by itself. */
    async purge(): Promise<number> {
      return 0;
    },
  };
}
