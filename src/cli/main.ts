import type { Knex } from 'knex';
import { type Config, ConfigError, loadConfig } from '../../config/load.js';
import { CliRuntimeError, CliUsageError, parseOptions } from './args.js';
import type { Command } from './command.js';
import { auditCommand } from './commands/audit.js';
import { clientsAdd, clientsList, clientsRemove } from './commands/clients.js';
import { keysRotate } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { orgsAdd, orgsList, orgsUpdate } from './commands/orgs.js';
import {
  usersAdd,
  usersDisable,
  usersEnable,
  usersForcePasswordChange,
  usersList,
  usersResetMfa,
  usersSet2faEmail,
  usersUnlock,
} from './commands/users.js';
import { upstreamCommands } from './commands/upstreams.js';
import { type Streams, writeError, writeResult } from './output.js';

export const commands: Command[] = [
  migrateCommand,
  orgsAdd,
  orgsUpdate,
  orgsList,
  usersAdd,
  usersList,
  usersResetMfa,
  usersUnlock,
  usersDisable,
  usersEnable,
  usersForcePasswordChange,
  usersSet2faEmail,
  auditCommand,
  clientsAdd,
  clientsList,
  clientsRemove,
  keysRotate,
  ...upstreamCommands,
];

const groups = [...new Set(commands.map((c) => c.name.split(' ')[0]!))];

function toolHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: idp COMMAND [options] [--json]

Operator tool of the identity provider. It uses the server's configuration
(environment variables, IDP_CONFIG) and database.

Commands:
${commands.map((c) => `  idp ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Every command takes --json: it then prints exactly one JSON object on stdout.
Errors go to stderr; exit code 2 for a wrong command or option, 1 for other failures.
Run idp COMMAND --help for a command's options.`;
}

function groupHelp(group: string): string {
  const inGroup = commands.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...inGroup.map((c) => c.name.length));
  return `Usage: idp ${group} SUBCOMMAND [options] [--json]

${inGroup.map((c) => `  idp ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run idp ${group} SUBCOMMAND --help for the options.`;
}

const isHelp = (a: string | undefined) => a === '--help' || a === '-h' || a === 'help';

type Resolved = { command: Command; args: string[] } | { help: string };

function resolve(all: string[]): Resolved {
  // --json may come anywhere, also before the command words
  const json = all.includes('--json') ? ['--json'] : [];
  const argv = all.filter((a) => a !== '--json');
  const [first, second, ...words] = argv;
  const rest = [...words, ...json];
  if (first === undefined) throw new CliUsageError(`a command is needed\n${toolHelp()}`);
  if (isHelp(first)) return { help: toolHelp() };
  const single = commands.find((c) => c.name === first);
  if (single) return { command: single, args: [...argv.slice(1), ...json] };
  if (!groups.includes(first)) {
    throw new CliUsageError(`unknown command "${first}"; commands are ${groups.join(', ')} (see idp --help)`);
  }
  if (second === undefined || isHelp(second)) {
    if (second === undefined) throw new CliUsageError(`"idp ${first}" needs a subcommand\n${groupHelp(first)}`);
    return { help: groupHelp(first) };
  }
  const command = commands.find((c) => c.name === `${first} ${second}`);
  if (!command) {
    const subs = commands.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name.split(' ')[1]);
    throw new CliUsageError(`unknown command "${first} ${second}"; ${first} has ${subs.join(', ')} (see idp ${first} --help)`);
  }
  return { command, args: rest };
}

/**
 * knex prints its own warnings ("Acquire connection error: …") with console.log, i.e. on
 * stdout; send them to the logger (stderr) so stdout carries only the command's result.
 */
function routeKnexLogs(knex: Knex, logger: { warn: LogFn; error: LogFn; debug: LogFn }): void {
  const knexLogger = (knex.client as { logger?: Record<string, unknown> }).logger;
  if (!knexLogger) return;
  knexLogger._warn = (message: unknown) => logger.warn({ knex: message }, 'database warning');
  knexLogger._error = (message: unknown) => logger.error({ knex: message }, 'database error');
  knexLogger._deprecate = (message: unknown) => logger.debug({ knex: message }, 'database deprecation');
  knexLogger._debug = (message: unknown) => logger.debug({ knex: message }, 'database debug');
}
type LogFn = (obj: object, msg: string) => void;

export interface MainOptions extends Partial<Streams> {
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
}

/** Runs one CLI invocation; returns the exit code. */
export async function main(argv: string[], opts: MainOptions = {}): Promise<number> {
  const streams: Streams = { stdout: opts.stdout ?? process.stdout, stderr: opts.stderr ?? process.stderr };
  const asJson = argv.includes('--json');
  let knex: Knex | undefined;
  try {
    const resolved = resolve(argv);
    if ('help' in resolved) {
      streams.stdout.write(`${resolved.help}\n`);
      return 0;
    }
    const { command } = resolved;
    if (resolved.args.some(isHelp)) {
      streams.stdout.write(`${command.help}\n`);
      return 0;
    }
    const values = parseOptions(command.name, resolved.args, command.options);
    let config: Config;
    try {
      config = loadConfig(opts.env ?? process.env);
    } catch (err) {
      if (err instanceof ConfigError) {
        // one line: the first problem names the setting and the fix
        writeError(streams, `configuration: ${err.message.split('\n').join('; ')}`);
        return 1;
      }
      throw err;
    }
    const work = command.prepare(values, config);
    // loaded only now: --help and usage errors answer without the database and hashing stack
    const [{ connect, migrate }, { createLogger }, { createServices }] = await Promise.all([
      import('../db/connect.js'),
      import('../logger.js'),
      import('../services.js'),
    ]);
    // logs (the audit trail's mirror among them) go to stderr: stdout is the command's output
    const logger = createLogger(config.logLevel, streams.stderr);
    knex = connect(config.databaseUrl, 2);
    routeKnexLogs(knex, logger);
    try {
      if (command.migrateFirst !== false) await migrate(knex);
      else await knex.raw('select 1');
    } catch (err) {
      const e = err as Error & { code?: string };
      throw new CliRuntimeError(`cannot use the database (IDP_DATABASE_URL): ${e.message}${e.code ? ` (${e.code})` : ''}`);
    }
    const services = createServices(config, knex, logger);
    try {
      const result = await work({ services, config, logger, stdin: opts.stdin ?? process.stdin });
      writeResult(streams, result, asJson);
      return 0;
    } finally {
      // IDP_REDIS_URL: e.g. `idp users unlock` clears a counter kept there
      if (services.redis) await (await import('../db/redis.js')).closeRedis(services.redis);
    }
  } catch (err) {
    if (err instanceof CliUsageError) {
      writeError(streams, err.message);
      return err.exitCode;
    }
    if (err instanceof CliRuntimeError) {
      writeError(streams, err.message);
      return err.exitCode;
    }
    const e = err as Error & { code?: string };
    if (/unable to authenticate data/.test(e.message ?? '')) {
      // AES-GCM refused a stored secret: the configured key is not the one that sealed it
      writeError(streams, 'IDP_SECRET_KEY cannot decrypt the stored secrets: it differs from the key this database was created with; use the server\'s IDP_SECRET_KEY');
      return 1;
    }
    writeError(streams, `${e.message || String(err)}${e.code ? ` (${e.code})` : ''}`);
    if (process.env.IDP_CLI_DEBUG) streams.stderr.write(`${e.stack}\n`);
    return 1;
  } finally {
    await knex?.destroy().catch(() => undefined);
  }
}
