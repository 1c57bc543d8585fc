import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import { generateDetachedKeyPair } from '../../src/crypto/key-pair.js';

/**
 * A software FIDO2 authenticator for HTTP-level tests: it builds real WebAuthn
 * registration and assertion responses (ES256, attestation "none") that the server
 * verifies exactly as it verifies a browser's. Unlike the browser it can also be told
 * to misbehave: another origin, a counter that goes backwards, no user verification.
 * The end-to-end suites use Chromium's virtual authenticator instead.
 */

// ---- a small CBOR encoder: unsigned/negative integers, byte and text strings, maps ----
type Cbor = number | string | Uint8Array | CborMap | CborRecord;
type CborMap = Map<Cbor, Cbor>;
interface CborRecord {
  [key: string]: Cbor;
}

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  counter: number;
  userHandle: string | undefined;
}

export interface CeremonyOptions {
  /** the origin the "browser" reports; defaults to the one it was created for */
  origin?: string;
  /** user verification (PIN/biometrics) performed */
  uv?: boolean;
}

export class SoftAuthenticator {
  readonly aaguid = Buffer.alloc(16);
  readonly credentials: SoftCredential[] = [];

  constructor(
    readonly origin: string,
    readonly rpId = new URL(origin).hostname,
  ) {}

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  private coseKey(publicKey: KeyObject): Buffer {
    const jwk = publicKey.export({ format: 'jwk' });
    return cbor(
      new Map<Cbor, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }

  /** An answer to navigator.credentials.create() for the given options JSON. */
  register(options: { challenge: string; user: { id: string } }, opts: CeremonyOptions = {}) {
    const { privateKey, publicKey } = generateDetachedKeyPair('ES256');
    const id = randomBytes(32);
    const credential: SoftCredential = { id, privateKey, publicKey, counter: 0, userHandle: options.user.id };
    this.credentials.push(credential);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const flags = FLAG_UP | FLAG_AT | (opts.uv === false ? 0 : FLAG_UV);
    const authData = Buffer.concat([sha256(this.rpId), Buffer.from([flags]), Buffer.alloc(4), this.aaguid, idLength, id, this.coseKey(publicKey)]);
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, opts.origin ?? this.origin);
    return {
      credential,
      response: {
        id: b64url(id),
        rawId: b64url(id),
        type: 'public-key',
        clientExtensionResults: { credProps: { rk: true } },
        authenticatorAttachment: 'cross-platform',
        response: {
          clientDataJSON: b64url(clientDataJSON),
          attestationObject: b64url(cbor({ fmt: 'none', attStmt: {}, authData })),
          transports: ['usb'],
        },
      },
    };
  }

  /** An answer to navigator.credentials.get(); the counter moves on unless told otherwise. */
  assert(credential: SoftCredential, challenge: string, opts: CeremonyOptions & { counter?: number; withUserHandle?: boolean } = {}) {
    credential.counter = opts.counter ?? credential.counter + 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(credential.counter);
    const flags = FLAG_UP | (opts.uv === false ? 0 : FLAG_UV);
    const authenticatorData = Buffer.concat([sha256(this.rpId), Buffer.from([flags]), count]);
    const clientDataJSON = this.clientData('webauthn.get', challenge, opts.origin ?? this.origin);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        ...(opts.withUserHandle === false || !credential.userHandle ? {} : { userHandle: credential.userHandle }),
      },
    };
  }
}
