import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';

export type KeyPairAlg = 'RS256' | 'ES256' | 'EdDSA';

/**
 * A new key pair as KeyObjects that do not share their key data with the generation job.
 *
 * Node 20 can deadlock (the whole process, for good) when the garbage collector frees a
 * key-generation job while a JWK export of the key it made holds that key's lock — seen
 * here as a test server hanging in `ExportJWKRsaKey` under `KeyGenJob::~KeyGenJob`. The job
 * hands out DER bytes instead, and the KeyObjects are imported from them.
 */
export function generateDetachedKeyPair(alg: KeyPairAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateDer(alg);
  return {
    privateKey: createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' }),
    publicKey: createPublicKey({ key: publicKey, format: 'der', type: 'spki' }),
  };
}

function generateDer(alg: KeyPairAlg): { privateKey: Buffer; publicKey: Buffer } {
  const privateKeyEncoding = { type: 'pkcs8', format: 'der' } as const;
  const publicKeyEncoding = { type: 'spki', format: 'der' } as const;
  if (alg === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding, publicKeyEncoding });
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding, publicKeyEncoding });
  return generateKeyPairSync('ed25519', { privateKeyEncoding, publicKeyEncoding });
}

/** A new private signing key as a JWK (see generateDetachedKeyPair for why not directly). */
export function generatePrivateJwk(alg: KeyPairAlg): JsonWebKey {
  return generateDetachedKeyPair(alg).privateKey.export({ format: 'jwk' });
}
