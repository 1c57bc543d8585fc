import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { ensureAccountClient } from './account/internal-client.js';
import { buildApp } from './app.js';
import { connect, migrate } from './db/connect.js';
import { DEMO, seedDemo } from './dev/demo.js';
import { ensureKeys } from './oidc/keys.js';
import { startKeyRefresh } from './oidc/key-refresh.js';
import { closeRedis } from './db/redis.js';
import { createServices, type Services } from './services.js';

export interface RunningServer {
  server: Server;
  provider: Provider;
  services: Services;
  url: string;
  /** true when this start created the development demo data */
  demoSeeded: boolean;
  close(): Promise<void>;
}

/** Opens the database, migrates, loads keys, seeds the demo (development) and listens. */
export async function startServer(config: Config, logger: Logger, opts: { knex?: Knex } = {}): Promise<RunningServer> {
  const knex = opts.knex ?? connect(config.databaseUrl, config.databasePoolMax, { backgroundCheckpoints: true });
  try {
    return await start(config, logger, knex, !opts.knex);
  } catch (err) {
    // a failed start must not leave the pool's timers keeping the process alive
    if (!opts.knex) await knex.destroy();
    throw err;
  }
}

async function start(config: Config, logger: Logger, knex: Knex, ownsKnex: boolean): Promise<RunningServer> {
  // the contract's default sender is accepted everywhere; in production it is worth a word
  if (config.nodeEnv === 'production' && /@localhost>?\s*$/i.test(config.mailFrom)) {
    logger.warn('IDP_MAIL_FROM is the default no-reply@localhost: receiving servers may reject or junk such mail; set a sender of your domain');
  }
  const applied = await migrate(knex);
  if (applied.length) logger.info({ migrations: applied }, 'database migrated');
  const services = createServices(config, knex, logger);
  const keys = await ensureKeys(services.repos.keys, services.box);
  const seeded = config.nodeEnv === 'development' && config.demo ? await seedDemo(services) : false;
  // after the demo seed, which only seeds a database without clients
  await ensureAccountClient(services);
  const provider = buildApp(services, keys);
  // keys rotated by `idp keys rotate` (from any host) take effect without a restart
  const keyRefresh = startKeyRefresh({
    provider,
    repo: services.repos.keys,
    box: services.box,
    logger,
    intervalSeconds: config.keys.refreshSeconds,
    current: keys,
  });

  const handle = provider.callback();
  const server = createServer();
  const drain = drainOnClose(server);
  server.on('request', (req, res) => {
    drain.track(res);
    void handle(req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;

  const purge = setInterval(() => {
    const now = Date.now();
    Promise.all([
      services.repos.payloads.purgeExpired(now),
      services.repos.flows.purgeExpired(now),
      services.repos.throttles.purge(now - config.throttle.failureResetSeconds * 1000),
      services.repos.codes.purgeExpired(now),
      services.repos.rememberedBrowsers.purgeExpired(now),
      services.repos.webauthnChallenges.purgeExpired(now),
      services.repos.audit.purgeBefore(now - config.auditRetentionDays * 86_400_000),
      services.repos.federationRequests.purgeExpired(now),
    ]).catch((err) => logger.warn({ err }, 'purge of expired rows failed'));
  }, config.purgeIntervalSeconds * 1000);
  purge.unref();

  logger.info({ issuer: config.issuer, port }, 'identity provider listening');
  if (seeded) {
    logger.info(
      { org: DEMO.org, username: DEMO.username, client_id: DEMO.clientId },
      'demo data created: sign in with organisation DEMO, user "demo", password "demo-password" (npm run example:rp)',
    );
  }

  return {
    server,
    provider,
    services,
    url,
    demoSeeded: seeded,
    async close() {
      clearInterval(purge);
      keyRefresh.stop();
      // stop accepting, let in-flight requests finish, then release the pool
      await drain.close();
      if (services.redis) await closeRedis(services.redis);
      if (ownsKnex) await knex.destroy();
    },
  };
}

/**
 * Graceful close of a keep-alive HTTP server. `server.close()` alone stops listening and
 * drops idle connections, but a connection busy at that moment stays open after its
 * answer (keep-alive) until `keepAliveTimeout`, so the process would not exit. Here every
 * answer given while closing says `Connection: close`, and a connection left idle after an
 * answer is dropped at once.
 */
function drainOnClose(server: Server) {
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  const lastOnConnection = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  return {
    track(res: ServerResponse): void {
      if (closing) lastOnConnection(res);
      inFlight.add(res);
      res.once('close', () => {
        inFlight.delete(res);
        // an answer whose headers were already out (keep-alive) leaves an idle connection
        if (closing) server.closeIdleConnections();
      });
    },
    async close(): Promise<void> {
      // One turn of the event loop first: a request that reached the socket before the
      // signal is parsed by then, so its connection counts as busy, not idle, and is served.
      await new Promise((resolve) => setImmediate(resolve));
      closing = true;
      for (const res of inFlight) lastOnConnection(res);
      // stops listening and drops idle keep-alive connections (Node ≥ 19); calls back when
      // the last busy connection has answered and closed
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
