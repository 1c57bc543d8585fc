import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box.js';
import type { KeyRepository, StoredKey } from '../db/keys.js';
import { randomId } from '../util/ids.js';

/** RS256 first: it is the OIDC default ID token algorithm; ES256 and EdDSA for clients that ask. */
const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
type SigningAlg = (typeof SIGNING_ALGS)[number];

function generateJwk(alg: SigningAlg): JsonWebKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return pair.privateKey.export({ format: 'jwk' });
}

function newKeySet(box: SecretBox, now: number): Omit<StoredKey, 'status'>[] {
  const signing = SIGNING_ALGS.map((alg, i) => {
    const kid = randomId(12);
    const jwk = { ...generateJwk(alg), kid, alg, use: 'sig' };
    // later algorithms get a later timestamp so "newest first" keeps RS256 ahead within a set
    return { kid, use: 'sig' as const, alg, materialEncrypted: box.seal(JSON.stringify(jwk), `key:${kid}`), createdAt: now - i };
  });
  const cookieKid = randomId(12);
  const cookie = {
    kid: cookieKid,
    use: 'cookie' as const,
    alg: null,
    materialEncrypted: box.seal(randomBytes(32).toString('base64url'), `key:${cookieKid}`),
    createdAt: now,
  };
  return [...signing, cookie];
}

export interface KeyMaterial {
  jwks: { keys: JsonWebKey[] };
  cookieKeys: string[];
}

/** The stored keys were sealed under another IDP_SECRET_KEY than the one configured. */
export class SecretKeyMismatchError extends Error {
  override name = 'SecretKeyMismatchError';
}

function openKey(box: SecretBox, key: { kid: string; materialEncrypted: string }): string {
  try {
    return box.open(key.materialEncrypted, `key:${key.kid}`);
  } catch {
    throw new SecretKeyMismatchError(
      `IDP_SECRET_KEY cannot decrypt the stored keys (kid ${key.kid}): it differs from the key this database was created with; restore the original IDP_SECRET_KEY`,
    );
  }
}

async function load(repo: KeyRepository, box: SecretBox): Promise<KeyMaterial> {
  const signing = await repo.list('sig');
  const cookies = await repo.list('cookie');
  return {
    jwks: { keys: signing.map((k) => JSON.parse(openKey(box, k)) as JsonWebKey) },
    cookieKeys: cookies.map((k) => openKey(box, k)),
  };
}

/** Creates the signing and cookie keys on first start; later starts load the stored ones. */
export async function ensureKeys(repo: KeyRepository, box: SecretBox): Promise<KeyMaterial> {
  const existing = await repo.list('sig');
  if (existing.length === 0) await repo.insertMany(newKeySet(box, Date.now()));
  return load(repo, box);
}

/** Adds a new key set ahead of the old ones; old keys stay in JWKS to verify issued tokens. */
export async function rotateKeys(repo: KeyRepository, box: SecretBox): Promise<{ kids: string[] }> {
  const set = newKeySet(box, Date.now());
  await repo.insertMany(set);
  return { kids: set.filter((k) => k.use === 'sig').map((k) => k.kid) };
}
