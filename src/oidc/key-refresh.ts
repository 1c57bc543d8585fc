import type Provider from 'oidc-provider';
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';
import type { Logger } from 'pino';
import type { SecretBox } from '../crypto/secret-box.js';
import type { KeyRepository } from '../db/keys.js';
import { type KeyMaterial, openKeys, planKeys } from './keys.js';

/**
 * Replaces the keys of a running provider. oidc-provider reads `jwks` once at
 * construction, through this same function (lib/helpers/initialize_keystore.js), which
 * validates the keys and stores the keystore and the published JWKS on the instance;
 * signing and /jwks read them per request, so calling it again swaps keys between
 * requests. Cookie keys are koa's public `app.keys`, read per request too.
 * test/operations/key-rotation.test.ts proves the swap against the pinned version.
 */
export function applyKeys(provider: Provider, keys: KeyMaterial): void {
  initializeKeystore.call(provider, { keys: keys.jwks.keys });
  provider.keys = keys.cookieKeys;
}

export interface KeyRefresh {
  /** reloads now; true when the key set changed */
  refresh(): Promise<boolean>;
  stop(): void;
}

/**
 * Every `intervalSeconds`, reads the key rows and, when the ordered set differs (a key
 * was added by `idp keys rotate` on any instance, reached its not_before, or passed its
 * retirement), decrypts it and swaps it into the provider. Errors keep the current keys.
 */
export function startKeyRefresh(opts: {
  provider: Provider;
  repo: KeyRepository;
  box: SecretBox;
  logger: Logger;
  intervalSeconds: number;
  current: KeyMaterial;
}): KeyRefresh {
  let fingerprint = opts.current.fingerprint;
  let running: Promise<boolean> | undefined;
  const refresh = async (): Promise<boolean> => {
    const plan = await planKeys(opts.repo, Date.now());
    if (plan.fingerprint === fingerprint) return false;
    const keys = openKeys(plan, opts.box);
    applyKeys(opts.provider, keys);
    fingerprint = keys.fingerprint;
    opts.logger.info({ keys: plan.signing.map((k) => ({ kid: k.kid, alg: k.alg, signsFrom: new Date(k.notBefore).toISOString() })) }, 'signing keys reloaded');
    return true;
  };
  const once = () => (running ??= refresh().finally(() => (running = undefined)));
  const timer = setInterval(() => {
    once().catch((err) => opts.logger.warn({ err }, 'key refresh failed; the current keys stay in use'));
  }, opts.intervalSeconds * 1000);
  timer.unref();
  return { refresh: once, stop: () => clearInterval(timer) };
}
