import { generateKeyPairSync } from 'node:crypto';
import type { ClientMetadata } from '../db/clients.js';
import type { Services } from '../services.js';
import { CliUsageError } from './args.js';

/** Throwaway signing keys: validation needs one per enabled algorithm, never a stored one. */
function throwawayJwks() {
  const pairs = [
    ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['EdDSA', generateKeyPairSync('ed25519')],
  ] as const;
  return pairs.map(([alg, pair], i) => ({ ...pair.privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `cli-${i}` }));
}

/**
 * Checks client metadata with the server's own oidc-provider configuration, so the CLI
 * never stores a client that the server would refuse to load.
 */
export async function validateClientMetadata(services: Services, metadata: ClientMetadata): Promise<void> {
  const { createProvider } = await import('../oidc/provider.js');
  const provider = createProvider(services, { jwks: { keys: throwawayJwks() }, cookieKeys: ['cli-validation-only'] });
  try {
    await provider.Client.validate(metadata);
  } catch (err) {
    const e = err as { error?: string; error_description?: string; message?: string };
    if (e.error === 'invalid_client_metadata' || e.error === 'invalid_redirect_uri') {
      throw new CliUsageError(`the client would be invalid: ${e.error_description ?? e.message}`);
    }
    throw err;
  }
}
