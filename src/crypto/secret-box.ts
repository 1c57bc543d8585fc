import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface SecretBox {
  /** Encrypts with AES-256-GCM; `context` is bound as associated data (e.g. a row id). */
  seal(plaintext: string, context?: string): string;
  open(sealed: string, context?: string): string;
}

const VERSION = 'v1';

/** Derives a purpose-specific key from IDP_SECRET_KEY so one secret serves several uses. */
export function deriveKey(secretKey: string, purpose: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'idp', purpose, length));
}

export function createSecretBox(secretKey: string): SecretBox {
  const key = deriveKey(secretKey, 'secret-box v1');
  return {
    seal(plaintext, context = '') {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    },
    open(sealed, context = '') {
      const [version, data] = sealed.split('.');
      if (version !== VERSION || !data) throw new Error('secret-box: unknown format');
      const raw = Buffer.from(data, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
