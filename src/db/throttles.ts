import type { Knex } from 'knex';
import { execute, selectRows } from './raw.js';

export interface ThrottleState {
  key: string;
  failures: number;
  lockedUntil: number | null;
  lastFailureAt: number;
}

interface ThrottleRow {
  key: string;
  failures: number;
  locked_until: number | null;
  last_failure_at: number;
}

export type ThrottleRepository = ReturnType<typeof createThrottleRepository>;

export function createThrottleRepository(knex: Knex) {
  const table = () => knex<ThrottleRow>('throttles');
  return {
    async get(keys: string[]): Promise<ThrottleState[]> {
      if (!keys.length) return [];
      // constant SQL per key count (one or two keys per check) on every sign-in: src/db/raw.ts
      const rows = await selectRows<ThrottleRow>(knex, `select * from throttles where key in (${keys.map(() => '?').join(', ')})`, keys);
      return rows.map((r) => ({
        key: r.key,
        failures: Number(r.failures),
        lockedUntil: r.locked_until === null ? null : Number(r.locked_until),
        lastFailureAt: Number(r.last_failure_at),
      }));
    },
    /**
     * Counts one failure atomically (one upsert, safe across instances) and returns the
     * new count; `lockFor(failures)` decides the lock that count earns.
     */
    async recordFailure(key: string, now: number, resetBefore: number, lockFor: (failures: number) => number): Promise<ThrottleState> {
      return knex.transaction(async (trx) => {
        await trx<ThrottleRow>('throttles')
          .insert({ key, failures: 1, locked_until: null, last_failure_at: now })
          .onConflict('key')
          .merge({
            failures: trx.raw('CASE WHEN throttles.last_failure_at < ? THEN 1 ELSE throttles.failures + 1 END', [resetBefore]),
            last_failure_at: now,
          });
        const row = (await trx<ThrottleRow>('throttles').where({ key }).first())!;
        const failures = Number(row.failures);
        const lockMs = lockFor(failures);
        const lockedUntil = lockMs > 0 ? now + lockMs : null;
        // below the threshold (e.g. after the count was reset) an old lock no longer applies
        await trx<ThrottleRow>('throttles').where({ key }).update({ locked_until: lockedUntil });
        return { key, failures, lockedUntil, lastFailureAt: now };
      });
    },
    async clear(key: string): Promise<void> {
      await execute(knex, 'delete from throttles where key = ?', [key]);
    },
    async purge(olderThan: number): Promise<number> {
      return table()
        .where('last_failure_at', '<', olderThan)
        .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<', Date.now()))
        .delete();
    },
  };
}
