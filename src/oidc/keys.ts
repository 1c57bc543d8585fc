import { randomBytes, type JsonWebKey } from 'node:crypto';
import { generatePrivateJwk } from '../crypto/key-pair.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { KeyRepository, NewKey, StoredKey } from '../db/keys.js';
import { randomId } from '../util/ids.js';

/** RS256 first: it is the OIDC default ID token algorithm; ES256 and EdDSA for clients that ask. */
const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
type SigningAlg = (typeof SIGNING_ALGS)[number];

function generateJwk(alg: SigningAlg): JsonWebKey {
  return generatePrivateJwk(alg);
}

function newKeySet(box: SecretBox, now: number, notBefore: number): NewKey[] {
  const signing = SIGNING_ALGS.map((alg, i) => {
    const kid = randomId(12);
    const jwk = { ...generateJwk(alg), kid, alg, use: 'sig' };
    // later algorithms get a later timestamp so "newest first" keeps RS256 ahead within a set
    return { kid, use: 'sig' as const, alg, materialEncrypted: box.seal(JSON.stringify(jwk), `key:${kid}`), createdAt: now - i, notBefore };
  });
  const cookieKid = randomId(12);
  const cookie = {
    kid: cookieKid,
    use: 'cookie' as const,
    alg: null,
    materialEncrypted: box.seal(randomBytes(32).toString('base64url'), `key:${cookieKid}`),
    createdAt: now,
    notBefore,
  };
  return [...signing, cookie];
}

export interface KeyMaterial {
  /** every published key; for each algorithm the one that signs comes first */
  jwks: { keys: JsonWebKey[] };
  /** the first signs cookies, the others still verify */
  cookieKeys: string[];
  /** the kids in order: changes when a key is added, starts signing or is retired */
  fingerprint: string;
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

const newestFirst = (a: StoredKey, b: StoredKey) => b.notBefore - a.notBefore || b.createdAt - a.createdAt;

/**
 * The keys to publish at `now` (not past their retirement), those allowed to sign
 * first. oidc-provider and koa sign with the first matching key, so a key published
 * ahead of its `not_before` is only used to verify until then.
 */
export function orderKeys(keys: StoredKey[], now: number): StoredKey[] {
  const published = keys.filter((k) => k.retireAfter === null || k.retireAfter > now);
  const signing = published.filter((k) => k.notBefore <= now).sort(newestFirst);
  const waiting = published.filter((k) => k.notBefore > now).sort(newestFirst);
  return [...signing, ...waiting];
}

export interface KeyPlan {
  signing: StoredKey[];
  cookies: StoredKey[];
  fingerprint: string;
}

/** Reads and orders the keys without decrypting them (the periodic refresh compares fingerprints). */
export async function planKeys(repo: KeyRepository, now: number): Promise<KeyPlan> {
  const signing = orderKeys(await repo.list('sig'), now);
  const cookies = orderKeys(await repo.list('cookie'), now);
  return { signing, cookies, fingerprint: `${signing.map((k) => k.kid).join(',')}|${cookies.map((k) => k.kid).join(',')}` };
}

export function openKeys(plan: KeyPlan, box: SecretBox): KeyMaterial {
  return {
    jwks: { keys: plan.signing.map((k) => JSON.parse(openKey(box, k)) as JsonWebKey) },
    cookieKeys: plan.cookies.map((k) => openKey(box, k)),
    fingerprint: plan.fingerprint,
  };
}

export async function loadKeys(repo: KeyRepository, box: SecretBox, now = Date.now()): Promise<KeyMaterial> {
  return openKeys(await planKeys(repo, now), box);
}

/** Creates the signing and cookie keys on first start; later starts load the stored ones. */
export async function ensureKeys(repo: KeyRepository, box: SecretBox): Promise<KeyMaterial> {
  const now = Date.now();
  const existing = await repo.list('sig');
  if (existing.length === 0) await repo.insertMany(newKeySet(box, now, now));
  return loadKeys(repo, box, now);
}

export interface Rotation {
  kids: string[];
  /** epoch ms from which the new keys sign */
  signsFrom: number;
  /** the signing keys leaving the JWKS, and when */
  retiring: string[];
  retireAfter: number;
}

/**
 * Publishes a new key set now, signing from `delaySeconds` later; every current signing
 * key leaves the JWKS `retainSeconds` (the longest signed token lifetime) after it stops
 * signing. Run inside a transaction: `repo` is the transaction's repository.
 */
export async function rotateKeys(
  repo: KeyRepository,
  box: SecretBox,
  opts: { delaySeconds: number; retainSeconds: number; now?: number },
): Promise<Rotation> {
  const now = opts.now ?? Date.now();
  const signsFrom = now + opts.delaySeconds * 1000;
  const retireAfter = signsFrom + opts.retainSeconds * 1000;
  // before the insert: the new keys have no retirement of their own
  const retiring = await repo.scheduleRetirement('sig', retireAfter);
  const set = newKeySet(box, now, signsFrom);
  await repo.insertMany(set);
  return { kids: set.filter((k) => k.use === 'sig').map((k) => k.kid), signsFrom, retiring, retireAfter };
}
