import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrationSource } from '../../db/migrations/index.js';
import { connect } from '../../src/db/connect.js';
import { buildProduction, type ChildServer, type SeededDatabase, seedDatabase, startChild, tail } from '../helpers/child-server.js';
import { basicAuth, clientCredentialsGrant, loadLoop, until } from '../helpers/load-loop.js';
import { relyingParty, signIn } from '../helpers/rp.js';
import { engines, freePort } from '../helpers/server.js';

// kill -9 of the production build (`node dist/src/main.js`) while clients write through
// it: client-credentials grants, refresh-token rotations and whole sign-ins (session,
// grant, code, tokens). Whatever a client was answered 200 must still be there when a
// new process starts on the same database.

/** One refresh-token rotation chain: the latest refresh token the client was given. */
interface Chain {
  latest: string;
  /** a rotation is on its way: the kill may cut it after it consumed `latest` */
  busy: boolean;
}

const ok = 'ok';

async function post(url: string, client: SeededDatabase['client'], form: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: await res.text() };
}

/** Runs `fn` over `items`, `concurrency` at a time. */
async function eachLimited<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

for (const engine of engines()) {
  describe(`kill -9 of the IdP under load loses no acknowledged write (${engine})`, () => {
    let seeded: SeededDatabase;
    const children: ChildServer[] = [];

    before(async () => {
      buildProduction();
      seeded = await seedDatabase(engine);
    });
    after(async () => {
      for (const c of children) if (!c.exit) c.process.kill('SIGKILL');
      await Promise.all(children.map((c) => c.exited));
      await seeded?.database.drop();
    });

    it('every access token and refresh token answered with 200 still works after a restart on the same database', async (t) => {
      const { client, user } = seeded;
      const port = await freePort();
      const first = await startChild({ databaseUrl: seeded.database.url, port });
      children.push(first);
      const rp = await relyingParty(first.url, client);

      const accessTokens: string[] = [];
      const chains: Chain[] = [];
      const signInOnce = async (): Promise<string> => {
        try {
          const { tokens } = await signIn(first.url, rp, client, user, { scope: 'openid offline_access' });
          assert.ok(tokens.refresh_token, 'a refresh token');
          accessTokens.push(tokens.access_token);
          chains.push({ latest: tokens.refresh_token, busy: false });
          return ok;
        } catch (err) {
          return `sign-in: ${(err as Error).message}`;
        }
      };
      const rotate = async (): Promise<string> => {
        const idle = chains.filter((c) => !c.busy);
        if (!idle.length) return ok;
        const chain = idle[Math.floor(Math.random() * idle.length)]!;
        chain.busy = true;
        try {
          const res = await post(`${first.url}/token`, client, { grant_type: 'refresh_token', refresh_token: chain.latest });
          if (res.status !== 200) return `refresh: ${res.status} ${res.body}`;
          const body = JSON.parse(res.body) as { access_token: string; refresh_token: string };
          accessTokens.push(body.access_token);
          chain.latest = body.refresh_token;
          return ok;
        } catch (err) {
          return `refresh: ${(err as Error).message}`;
        } finally {
          chain.busy = false;
        }
      };
      for (let i = 0; i < 6; i++) assert.equal(await signInOnce(), ok);

      const grants = loadLoop(() => clientCredentialsGrant(first.url, client), { concurrency: 3, pauseMs: 1 });
      const rotations = loadLoop(rotate, { concurrency: 3, pauseMs: 1 });
      const signIns = loadLoop(signInOnce, { concurrency: 1, pauseMs: 1 });
      const acked = () => ({
        grants: grants.outcomes.filter((o) => o.token).length,
        rotations: rotations.outcomes.filter((o) => o === ok).length,
        signIns: signIns.outcomes.filter((o) => o === ok).length,
      });
      await until('writes under load', () => {
        const a = acked();
        return a.grants >= 150 && a.rotations >= 60 && a.signIns >= 3;
      }, 30_000);

      // kill -9 mid-load; no request starts after it (stop() halts the workers at once)
      const cutChains = chains.filter((c) => c.busy);
      const seenBefore = { grants: grants.outcomes.length, rotations: rotations.outcomes.length, signIns: signIns.outcomes.length };
      first.process.kill('SIGKILL');
      const stopped = Promise.all([grants.stop(), rotations.stop(), signIns.stop()]);
      const exit = await first.exited;
      await stopped;
      assert.equal(exit.signal, 'SIGKILL');

      // under load (before the kill) nothing failed; the kill cut requests in flight
      const failedBefore = [
        ...grants.outcomes.slice(0, seenBefore.grants).filter((o) => o.status !== 200),
        ...rotations.outcomes.slice(0, seenBefore.rotations).filter((o) => o !== ok),
        ...signIns.outcomes.slice(0, seenBefore.signIns).filter((o) => o !== ok),
      ];
      assert.deepEqual(failedBefore, [], 'failures under load, before the kill');
      const cut =
        grants.outcomes.slice(seenBefore.grants).filter((o) => o.status === 0).length +
        rotations.outcomes.slice(seenBefore.rotations).filter((o) => o !== ok).length +
        signIns.outcomes.slice(seenBefore.signIns).filter((o) => o !== ok).length;
      assert.ok(cut >= 1, 'no request was in flight at the kill: the test proves nothing');

      const ccTokens = grants.outcomes.flatMap((o) => (o.token ? [o.token] : []));
      const a = acked();
      t.diagnostic(
        `acknowledged before kill -9: ${a.grants} client-credentials grants, ${a.rotations} rotations over ${chains.length} chains, ` +
          `${a.signIns + 6} sign-ins; ${cut} requests cut, ${cutChains.length} rotations in flight`,
      );

      // the database as the crash left it: intact, every migration applied once, no lock held
      const expected = await migrationSource.getMigrations([]);
      const db = connect(seeded.database.url, 1);
      const consumed = new Set<string>();
      try {
        if (engine === 'sqlite') {
          const [check] = (await db.raw('pragma integrity_check')) as { integrity_check: string }[];
          assert.equal(check?.integrity_check, 'ok', 'SQLite integrity check after the crash');
        }
        const applied = (await db('knex_migrations').orderBy('id').pluck('name')) as string[];
        assert.deepEqual(applied, expected, 'each migration recorded once, in order');
        const locks = (await db('knex_migrations_lock').pluck('is_locked')) as number[];
        assert.deepEqual(locks.map(Number), [0], 'no migration lock left behind');
        // every acknowledged refresh token is stored; one a cut rotation had consumed is accounted for
        const latest = chains.map((c) => c.latest);
        const rows = (await db('oidc_payloads').where({ type: 'RefreshToken' }).whereIn('id', latest).select('id', 'consumed_at')) as {
          id: string;
          consumed_at: number | null;
        }[];
        const stored = new Set(rows.map((r) => r.id));
        assert.deepEqual(latest.filter((id) => !stored.has(id)), [], 'acknowledged refresh tokens missing from the database');
        for (const r of rows) if (r.consumed_at !== null) consumed.add(r.id);
      } finally {
        await db.destroy();
      }
      const consumedUnexpectedly = chains.filter((c) => consumed.has(c.latest) && !cutChains.includes(c));
      assert.deepEqual(consumedUnexpectedly, [], 'refresh tokens consumed without a rotation in flight');
      t.diagnostic(`${consumed.size} of the ${cutChains.length} rotations cut by the kill had consumed their refresh token`);

      // a new process on the same database, same port and issuer
      const second = await startChild({ databaseUrl: seeded.database.url, port });
      children.push(second);
      assert.doesNotMatch(second.output(), /database migrated/, 'the restart applied migrations again');

      // every access token a client was given is active (before any refresh: a replayed
      // refresh token would revoke its grant's tokens)
      const inactive: string[] = [];
      await eachLimited([...ccTokens, ...accessTokens], 8, async (token) => {
        const res = await post(`${second.url}/token/introspection`, client, { token });
        if (res.status !== 200 || (JSON.parse(res.body) as { active: boolean }).active !== true) inactive.push(`${token}: ${res.status} ${res.body}`);
      });
      assert.deepEqual(inactive, [], `${inactive.length} of ${ccTokens.length + accessTokens.length} acknowledged access tokens are not active`);

      // the latest refresh token of every chain refreshes; of a chain whose rotation the kill
      // cut after it consumed that token, the client never got the successor (not acknowledged)
      const refused: string[] = [];
      const live = chains.filter((c) => !consumed.has(c.latest));
      await eachLimited(live, 4, async (chain) => {
        const res = await post(`${second.url}/token`, client, { grant_type: 'refresh_token', refresh_token: chain.latest });
        if (res.status !== 200) refused.push(`${res.status} ${res.body}`);
      });
      assert.deepEqual(refused, [], `${refused.length} of ${live.length} latest refresh tokens refused after the restart`);

      const stop = await second.stop();
      assert.deepEqual({ code: stop.code, signal: stop.signal }, { code: 0, signal: null }, tail(second.output()));
    });
  });
}
