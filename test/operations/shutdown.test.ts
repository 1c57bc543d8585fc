import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/db/connect.js';
import { buildProduction, type ChildServer, type SeededDatabase, seedDatabase, startChild, tail } from '../helpers/child-server.js';
import { formAction, formField } from '../helpers/http-session.js';
import { basicAuth, loadLoop, until } from '../helpers/load-loop.js';
import { relyingParty, startAuthorization } from '../helpers/rp.js';
import { engines, freePort } from '../helpers/server.js';

// SIGTERM to the production build (`node dist/src/main.js`) while requests are in flight
// on keep-alive connections. main.ts force-exits with code 1 after 10 s; a graceful
// shutdown finishes well before that, with code 0.

/** Sign-in POSTs sent together just before the signal: each is an argon2 check (the slow, in-flight part). */
const SIGN_INS = 30;
/** Stronger than the default hash of the seeded user, so the burst is still being answered after the signal. */
const ARGON2_ITERATIONS = '6';
const EXIT_WITHIN_MS = 5_000;

interface Exchange {
  kind: 'token' | 'sign-in';
  /** true when the whole request had been written before SIGTERM was sent */
  sentBeforeSignal?: boolean;
  reusedSocket?: boolean;
  status?: number;
  location?: string | undefined;
  body?: string;
  /** the whole answer arrived (its end, not only its headers) */
  complete: boolean;
  answeredAt?: number;
  /** when headers saying `Connection: close` arrived: the server had stopped listening by then */
  closeAt?: number;
  error?: string;
}

interface Clock {
  signalledAt: number | undefined;
}

/** One POST on a keep-alive agent, recording when it was written and how it was answered. */
function post(clock: Clock, agent: http.Agent, port: number, kind: Exchange['kind'], path: string, headers: Record<string, string>, body: string) {
  const ex: Exchange = { kind, complete: false };
  let markWritten!: () => void;
  const written = new Promise<void>((r) => (markWritten = r));
  const done = new Promise<Exchange>((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        agent,
        headers: { host: `localhost:${port}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        ex.status = res.statusCode;
        ex.location = res.headers.location;
        if (res.headers.connection === 'close') ex.closeAt = performance.now();
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          ex.complete = true;
          ex.body = text;
          ex.answeredAt = performance.now();
          resolve(ex);
        });
        res.on('close', () => {
          ex.error ??= ex.complete ? undefined : 'answer cut short';
          resolve(ex);
        });
      },
    );
    req.on('finish', () => {
      ex.sentBeforeSignal = clock.signalledAt === undefined;
      ex.reusedSocket = req.reusedSocket;
      markWritten();
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      ex.error = err.code ?? err.message;
      markWritten();
      resolve(ex);
    });
    req.end(body);
  });
  return { written, done };
}

/** Opens `count` keep-alive connections on `agent` (left idle in its pool). */
async function warm(agent: http.Agent, port: number, count: number): Promise<void> {
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
              res.resume();
              res.on('end', resolve);
            })
            .on('error', reject);
        }),
    ),
  );
}

function freeSockets(agent: http.Agent): number {
  return Object.values(agent.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);
}

/** A new TCP connection: refused, or accepted by a listening server. */
function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : (err.code ?? err.message)));
  });
}

/** A sign-in page opened with its own cookie jar; returns the ready-to-send password POST. */
async function signInForm(start: URL, user: SeededDatabase['user']): Promise<{ path: string; cookie: string; body: string }> {
  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let url = start.toString();
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: cookie(), 'accept-language': 'en' } });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer();
      url = new URL(res.headers.get('location')!, url).toString();
      continue;
    }
    const html = await res.text();
    assert.equal(res.status, 200, `the sign-in page at ${url}`);
    const action = new URL(formAction(html)!, url);
    const form: Record<string, string> = { csrf: formField(html, 'csrf')!, username: user.username, password: user.password };
    if (html.includes('name="org"')) form.org = user.orgCode;
    return { path: action.pathname + action.search, cookie: cookie(), body: new URLSearchParams(form).toString() };
  }
  throw new Error(`no sign-in page after 10 redirects from ${start}`);
}

for (const engine of engines()) {
  describe(`graceful shutdown of the production build on SIGTERM (${engine})`, () => {
    let seeded: SeededDatabase;
    let child: ChildServer | undefined;
    const agents: http.Agent[] = [];

    before(async () => {
      buildProduction();
      seeded = await seedDatabase(engine, { IDP_ARGON2_ITERATIONS: ARGON2_ITERATIONS });
    });
    after(async () => {
      if (child && !child.exit) child.process.kill('SIGKILL');
      await child?.exited;
      for (const a of agents) a.destroy();
      await seeded?.database.drop();
    });

    it('answers every request sent before the signal, refuses new connections, closes idle keep-alive connections and the pool, exits 0', async (t) => {
      const port = await freePort();
      child = await startChild({ databaseUrl: seeded.database.url, port });
      const server = child;
      const { client, user } = seeded;
      const rp = await relyingParty(server.url, client);
      const forms = await Promise.all(
        Array.from({ length: SIGN_INS }, async () => signInForm((await startAuthorization(rp, client, { scope: 'openid' })).url, user)),
      );

      const clock: Clock = { signalledAt: undefined };
      const idleAgent = new http.Agent({ keepAlive: true });
      const busyAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
      const burstAgent = new http.Agent({ keepAlive: true, maxSockets: SIGN_INS });
      agents.push(idleAgent, busyAgent, burstAgent);
      await warm(idleAgent, port, 4);
      await warm(burstAgent, port, SIGN_INS);
      assert.equal(freeSockets(idleAgent), 4, 'idle keep-alive connections are open');
      assert.equal(freeSockets(burstAgent), SIGN_INS, 'keep-alive connections ready for the sign-in burst');

      // client-credentials grants in a loop on keep-alive connections, before and after the signal
      const grants = loadLoop(
        () => post(clock, busyAgent, port, 'token', '/token', { authorization: basicAuth(client), accept: 'application/json' }, 'grant_type=client_credentials').done,
        { concurrency: 6, pauseMs: 2 },
      );
      await until('30 client-credentials grants', () => grants.outcomes.filter((o) => o.status === 200).length >= 30);

      const database = connect(engine === 'postgres' ? adminUrl() : seeded.database.url, 1);
      try {
        if (engine === 'postgres') {
          assert.ok((await pgConnections(database, seeded.database.url)) >= 1, 'the server holds PostgreSQL connections before the signal');
        } else {
          assert.ok(existsSync(`${sqliteFile(seeded.database.url)}-wal`), 'the server has the SQLite WAL open before the signal');
        }
      } finally {
        await database.destroy();
      }

      // the burst: every password POST fully written, then SIGTERM
      const burst = forms.map((f) => post(clock, burstAgent, port, 'sign-in', f.path, { cookie: f.cookie, 'accept-language': 'en' }, f.body));
      await Promise.all(burst.map((b) => b.written));
      clock.signalledAt = performance.now();
      server.process.kill('SIGTERM');

      const probes: { startedAt: number; result: string; resultAt: number }[] = [];
      while (!server.exit && performance.now() - clock.signalledAt < 12_000) {
        const startedAt = performance.now();
        const result = await probe(port);
        if (!server.exit) probes.push({ startedAt, result, resultAt: performance.now() });
        await new Promise((r) => setTimeout(r, 10));
      }
      const exit = await Promise.race([server.exited, new Promise<undefined>((r) => setTimeout(r, 1_000))]);
      await grants.stop();
      const signIns = await Promise.all(burst.map((b) => b.done));
      const log = server.output();
      assert.ok(exit, `the server did not exit within 13 s of SIGTERM\n${tail(log)}`);

      // exits by itself, cleanly, long before main.ts's 10 s force-exit (code 1)
      const exitMs = exit.at - clock.signalledAt;
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `exit after SIGTERM\n${tail(log)}`);
      assert.ok(exitMs < EXIT_WITHIN_MS, `exited ${Math.round(exitMs)} ms after SIGTERM: keep-alive connections held it open`);
      assert.match(log, /"msg":"stopped: connections drained, database pool closed"/, 'close() finished (not the force-exit timer)');

      // every request written before the signal got its whole answer, and the right one
      const all = [...grants.outcomes, ...signIns];
      const before = all.filter((e) => e.sentBeforeSignal);
      const unanswered = before.filter((e) => !e.complete || e.error);
      assert.deepEqual(unanswered, [], `${unanswered.length} requests sent before the signal were not answered in full`);
      for (const e of before.filter((x) => x.kind === 'token')) {
        assert.equal(e.status, 200, `client-credentials grant: ${e.status} ${e.body}`);
        assert.ok((JSON.parse(e.body!) as { access_token?: string }).access_token, 'an access token');
      }
      for (const e of signIns) {
        assert.equal(e.sentBeforeSignal, true);
        assert.equal(e.reusedSocket, true, 'the sign-in POST went over a kept-alive connection');
        assert.equal(e.status, 303, `sign-in POST: ${e.status} ${e.body?.slice(0, 200)}`);
        assert.match(e.location ?? '', /\/auth\//, 'the sign-in continues to the authorization endpoint');
      }
      const inFlight = before.filter((e) => e.answeredAt! > clock.signalledAt!);
      assert.ok(inFlight.length >= 5, `only ${inFlight.length} requests were still in flight at the signal: the test proves nothing`);
      // after the signal: a complete answer is still a good one (no 500, no 503), or no answer at all
      const afterSignal = all.filter((e) => !e.sentBeforeSignal && e.complete);
      for (const e of afterSignal) assert.equal(e.status, 200, `answered after the signal: ${e.status} ${e.body}`);

      // new connections are refused while the in-flight requests are still being answered.
      // The server marks its answers `Connection: close` right after it stopped listening,
      // so a connection tried after the first such answer arrived must be refused.
      const closedAt = Math.min(...all.filter((e) => e.closeAt).map((e) => e.closeAt!));
      assert.ok(Number.isFinite(closedAt), 'no answer after the signal said Connection: close');
      const lastAnswer = Math.max(...inFlight.map((e) => e.answeredAt!));
      const late = probes.filter((p) => p.startedAt > closedAt);
      assert.deepEqual(
        late.filter((p) => p.result !== 'refused'),
        [],
        'a new connection opened after the server stopped listening was accepted',
      );
      assert.ok(
        late.some((p) => p.resultAt < lastAnswer),
        `no connection attempt while the server was still answering (last answer ${Math.round(lastAnswer - clock.signalledAt)} ms after the signal): nothing shows that new connections are refused`,
      );

      const ms = (at: number) => Math.round(at - clock.signalledAt!);
      t.diagnostic(
        `${before.length} requests sent before SIGTERM, ${inFlight.length} answered after it; listening stopped by ${ms(closedAt)} ms, ` +
          `${late.length} connections refused after that, last answer at ${ms(lastAnswer)} ms, exit 0 at ${Math.round(exitMs)} ms`,
      );

      // the pool was closed before exit
      if (engine === 'postgres') {
        const admin = connect(adminUrl(), 1);
        try {
          await until('no PostgreSQL session of the stopped server', async () => (await pgConnections(admin, seeded.database.url)) === 0, 2_000);
          // PostgreSQL also ends the sessions of a client that just vanished; it counts those
          // as abandoned. Closing the pool ends each session with a Terminate message instead.
          const [stats] = (await admin('pg_stat_database')
            .where({ datname: new URL(seeded.database.url).pathname.slice(1) })
            .select('sessions', 'sessions_abandoned')) as { sessions: number; sessions_abandoned: number }[];
          assert.ok(Number(stats?.sessions) > 0, 'PostgreSQL counted the sessions of the database');
          assert.equal(Number(stats?.sessions_abandoned), 0, 'sessions left open at exit (the pool was not closed)');
        } finally {
          await admin.destroy();
        }
      } else {
        const file = sqliteFile(seeded.database.url);
        // SQLite checkpoints and deletes the WAL when the last connection closes cleanly
        assert.equal(existsSync(`${file}-wal`), false, 'the WAL file is left: the connection was not closed');
        const db = connect(seeded.database.url);
        try {
          const [check] = (await db.raw('pragma integrity_check')) as { integrity_check: string }[];
          assert.equal(check?.integrity_check, 'ok');
          const [checkpoint] = (await db.raw('pragma wal_checkpoint(TRUNCATE)')) as { busy: number }[];
          assert.equal(checkpoint?.busy, 0, 'a WAL checkpoint is not blocked');
        } finally {
          await db.destroy();
        }
      }
    });
  });
}

function adminUrl(): string {
  const url = process.env.IDP_TEST_DATABASE_URL;
  if (!url) throw new Error('IDP_TEST_DATABASE_URL is not set');
  return url;
}

function sqliteFile(url: string): string {
  return url.slice('sqlite:'.length);
}

async function pgConnections(admin: ReturnType<typeof connect>, databaseUrl: string): Promise<number> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const [row] = (await admin('pg_stat_activity').where({ datname: name }).count({ n: '*' })) as { n: number | string }[];
  return Number(row?.n ?? 0);
}
