import { type ParseArgsConfig, parseArgs } from 'node:util';
import { z } from 'zod';

/** A mistake in how the command was called or in the values given: exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
  readonly exitCode = 2;
}

/** A failure while doing the work (database unreachable, …): exit code 1. */
export class CliRuntimeError extends Error {
  override name = 'CliRuntimeError';
  readonly exitCode = 1;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type RawValues = Record<string, string | boolean | string[] | undefined>;

/** Options every command understands. */
export const commonOptions = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

function describeParseError(err: Error & { code?: string }, command: string): string {
  const m = err.message;
  const unknown = /Unknown option '([^']+)'/.exec(m);
  if (unknown) return `unknown option ${unknown[1]} for "idp ${command}" (see idp ${command} --help)`;
  const missing = /Option '(--[\w-]+)(?: <value>)?' argument (?:missing|is ambiguous)/.exec(m);
  if (missing) return `${missing[1]} needs a value`;
  const flag = /Option '(--[\w-]+)' does not take an argument/.exec(m);
  if (flag) return `${flag[1]} is a switch and takes no value`;
  const positional = /Unexpected argument '([^']*)'/.exec(m);
  if (positional) return `unexpected argument "${positional[1]}" for "idp ${command}" (options are written --name value)`;
  return m.split('\n')[0]!;
}

/**
 * Strict parsing with node:util parseArgs: unknown options, positionals, missing values
 * and repeated single-value options are usage errors.
 */
export function parseOptions(command: string, args: string[], options: OptionSpec): RawValues {
  const spec: OptionSpec = { ...options, ...commonOptions };
  let parsed;
  try {
    parsed = parseArgs({ args, options: spec, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) throw new CliUsageError(describeParseError(e, command));
    throw err;
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const def = spec[token.name];
    if (def && !def.multiple && seen.has(token.name) && token.name !== 'json' && token.name !== 'help') {
      throw new CliUsageError(`--${token.name} given more than once`);
    }
    seen.add(token.name);
  }
  return parsed.values as RawValues;
}

// ---- zod helpers: messages are phrased to follow the option name ("--mfa must be …") ----

const quote = (v: unknown) => JSON.stringify(v);

/** A required or optional text option. */
export function text(opts: { max: number; min?: number; label?: string }) {
  const min = opts.min ?? 1;
  return z.string().superRefine((v, ctx) => {
    const n = [...v].length;
    if (n < min) ctx.addIssue({ code: 'custom', message: min === 1 ? 'must not be empty' : `must be at least ${min} characters` });
    else if (n > opts.max) ctx.addIssue({ code: 'custom', message: `must be at most ${opts.max} characters (got ${n})` });
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f]/.test(v)) ctx.addIssue({ code: 'custom', message: 'must not contain control characters' });
  });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.string().transform((v, ctx): T[number] => {
    if (!(values as readonly string[]).includes(v)) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')} (got ${quote(v)})` });
      return z.NEVER;
    }
    return v as T[number];
  });
}

/** A comma-separated list of allowed values, at least one, duplicates dropped. */
export function listOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.string().transform((v, ctx): T[number][] => {
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!items.length) {
      ctx.addIssue({ code: 'custom', message: `must list at least one of ${values.join(', ')}` });
      return z.NEVER;
    }
    const bad = items.filter((i) => !(values as readonly string[]).includes(i));
    if (bad.length) {
      ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of ${values.join(', ')} (got ${quote(bad.join(','))})` });
      return z.NEVER;
    }
    return [...new Set(items)] as T[number][];
  });
}

export function integer(min: number, max: number) {
  return z.string().transform((v, ctx): number => {
    const n = /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max} (got ${quote(v)})` });
      return z.NEVER;
    }
    return n;
  });
}

const ORG_CODE = /^[A-Za-z0-9_-]{1,64}$/;

/** Organisation codes: 1–64 letters, digits, "-" or "_"; compared and stored upper-case. */
export const orgCode = z.string().transform((v, ctx): string => {
  const code = v.normalize('NFKC').trim().toUpperCase();
  if (!ORG_CODE.test(code)) {
    ctx.addIssue({ code: 'custom', message: `must be 1 to 64 letters, digits, "-" or "_" (got ${quote(v)})` });
    return z.NEVER;
  }
  return code;
});

/** Usernames: 1–128 characters after NFKC, no whitespace or control characters. */
export const username = z.string().transform((v, ctx): string => {
  const name = v.normalize('NFKC').trim();
  const n = [...name].length;
  if (n < 1 || n > 128 || /[\s\p{C}]/u.test(name)) {
    ctx.addIssue({ code: 'custom', message: `must be 1 to 128 characters without spaces or control characters (got ${quote(v)})` });
    return z.NEVER;
  }
  return name;
});

export const email = z.string().transform((v, ctx): string => {
  const r = z.email().max(254).safeParse(v.trim());
  if (!r.success) {
    ctx.addIssue({ code: 'custom', message: `must be an e-mail address (got ${quote(v)})` });
    return z.NEVER;
  }
  return r.data;
});

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Redirect URIs: absolute http(s) without a fragment; plain http only for loopback hosts
 * in production (development and test accept any http host).
 */
export function redirectUri(production: boolean) {
  return z.string().transform((v, ctx): string => {
    const url = URL.canParse(v) ? new URL(v) : undefined;
    let problem: string | undefined;
    if (!url) problem = 'must be an absolute URL';
    else if (url.protocol !== 'https:' && url.protocol !== 'http:') problem = 'must be an http(s) URL';
    else if (v.includes('#')) problem = 'must not contain a fragment (#…)';
    else if (url.username || url.password) problem = 'must not contain credentials';
    else if (url.protocol === 'http:' && production && !LOOPBACK.has(url.hostname)) {
      problem = 'must use https (plain http is allowed only for localhost and 127.0.0.1 in production)';
    }
    if (problem) {
      ctx.addIssue({ code: 'custom', message: `${problem} (got ${quote(v)})` });
      return z.NEVER;
    }
    return v;
  });
}

/**
 * Validates parsed options with a zod object whose keys are the option names; the first
 * problem becomes a usage error naming the option ("--mfa must be one of …").
 */
export function validate<S extends z.ZodType>(schema: S, values: RawValues): z.output<S> {
  const { json: _json, help: _help, ...rest } = values;
  const result = schema.safeParse(rest, {
    error: (issue) => (issue.input === undefined ? 'is required' : undefined),
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path[0];
  const name = typeof key === 'string' ? `--${key}` : 'options';
  throw new CliUsageError(`${name} ${issue.message}`);
}
