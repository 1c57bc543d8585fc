import { randomBytes } from 'node:crypto';

/** An opaque, unguessable identifier (128 bits, base64url). */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}
