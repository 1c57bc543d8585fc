import { randomBytes } from 'node:crypto';

/**
 * An opaque, unguessable identifier (128 bits, base64url). Never starts with "-" or "_":
 * ids are typed into the CLI (`--client-id <id>`), where a leading "-" reads as an option
 * and made one id in 64 unusable without the `--client-id=<id>` form.
 */
export function randomId(bytes = 16): string {
  for (;;) {
    const id = randomBytes(bytes).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}
