import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from './logger.js';
import { DEMO } from './dev/demo.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, logger);
  if (config.nodeEnv !== 'production') {
    console.error(`\n  Identity provider ready: ${config.issuer}/.well-known/openid-configuration`);
    if (running.demoSeeded) {
      console.error(
        [
          '  Demo data created (development only):',
          `    organisation ${DEMO.org}, user "${DEMO.username}", password "${DEMO.password}"`,
          `    client ${DEMO.clientId} / ${DEMO.clientSecret}, redirect ${DEMO.redirectUris[0]}`,
          '  Try it: in another terminal run `npm run example:rp` and open http://localhost:3001',
        ].join('\n'),
      );
    }
    console.error('');
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    running.close().then(
      () => {
        logger.info('stopped: connections drained, database pool closed');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error(`start-up failed: ${(err as Error).message}`);
  process.exit(1);
});
