import { generatePrivateJwk } from '../crypto/key-pair.js';
import type { ClientMetadata } from '../db/clients.js';
import type { Services } from '../services.js';
import { CliUsageError } from './args.js';

/** Throwaway signing keys: validation needs one per enabled algorithm, never a stored one. */
function throwawayJwks() {
  return (['RS256', 'ES256', 'EdDSA'] as const).map((alg, i) => ({ ...generatePrivateJwk(alg), alg, use: 'sig', kid: `cli-${i}` }));
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
