import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaults } from './defaults.js';
import { envMap, pathToEnv } from './env-map.js';
import { type Config, configSchema } from './schema.js';

export type { Config } from './schema.js';

/** A configuration problem: one line naming the setting and the fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Tree = Record<string, unknown>;

function setPath(target: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node[part] = { ...(node[part] as Tree | undefined) };
    node = node[part] as Tree;
  }
  node[parts[parts.length - 1]!] = value;
}

function readConfigFile(file: string): Tree {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Tree;
  } catch (err) {
    throw new ConfigError(`IDP_CONFIG: cannot read ${file} as JSON (${(err as Error).message}); fix the file or unset IDP_CONFIG`);
  }
}

function mergeDeep(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? mergeDeep(b as Tree, v as Tree) : v;
  }
  return out;
}

/** The development secret key lives next to the database so restarts keep decrypting. */
function developmentSecretKey(dataDir: string): string {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$|\.localhost$/i;

function productionProblems(config: { issuer: string; smtpUrl?: string | undefined; mailFrom: string }, raw: Tree): string[] {
  const problems: string[] = [];
  if (!config.issuer.startsWith('https://')) {
    problems.push('IDP_ISSUER: production requires an https issuer (e.g. https://id.example.com)');
  } else if (LOOPBACK.test(new URL(config.issuer).hostname)) {
    // tokens would name an issuer no relying party can reach
    problems.push('IDP_ISSUER: production requires the public host name relying parties use, not a loopback address');
  }
  const secret = typeof raw.secretKey === 'string' ? raw.secretKey : '';
  if (!secret) {
    problems.push('IDP_SECRET_KEY: required in production; generate one with `openssl rand -base64 32` and keep it safe');
  } else if (new Set(secret).size < 8) {
    // "xxxx…" or a word repeated is not a key. A random key has far more distinct
    // characters: 64 random hex digits show fewer than 8 of the 16 with odds below 1e-15
    // (a bar of 16 would refuse about 1 in 40 keys from `openssl rand -hex 32`).
    problems.push('IDP_SECRET_KEY: not random (fewer than 8 distinct characters); generate one with `openssl rand -base64 32`');
  }
  if (!config.smtpUrl) {
    problems.push('IDP_SMTP_URL: required in production so codes and links can be mailed (smtp://host:port)');
  }
  return problems;
}

/**
 * Defaults ← IDP_CONFIG JSON file ← environment variables, validated by zod.
 * Throws ConfigError whose message is one line per problem.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let raw: Tree = structuredClone(defaults) as unknown as Tree;
  if (env.IDP_CONFIG) raw = mergeDeep(raw, readConfigFile(env.IDP_CONFIG));
  for (const [name, path] of Object.entries(envMap)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  const explicitSecret = raw.secretKey;
  // the default issuer follows the port; a bad port is reported as PORT, not as the issuer
  if (raw.issuer === undefined) raw.issuer = /^\d+$/.test(String(raw.port)) ? `http://localhost:${raw.port}` : 'http://localhost';
  if (typeof raw.issuer === 'string') raw.issuer = raw.issuer.replace(/\/+$/, '');
  if (!raw.secretKey && raw.nodeEnv !== 'production') {
    raw.secretKey = developmentSecretKey(String(raw.dataDir));
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const path = issue.path.join('.');
      const name = pathToEnv[path] ?? path;
      return `${name}: ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const config = parsed.data;
  if (config.keys.rotationDelaySeconds <= config.keys.refreshSeconds) {
    throw new ConfigError(
      `IDP_KEY_ROTATION_DELAY_SECONDS: must exceed IDP_KEY_REFRESH_SECONDS (${config.keys.refreshSeconds}) so every instance publishes a new key before any signs with it`,
    );
  }
  if (config.nodeEnv === 'production') {
    const problems = productionProblems(config, { ...raw, secretKey: explicitSecret });
    if (problems.length) throw new ConfigError(problems.join('\n'));
  }
  if (!config.secretKey) throw new ConfigError('IDP_SECRET_KEY: missing; set it (e.g. `openssl rand -base64 32`)');
  return { ...config, secretKey: config.secretKey };
}
