import type { MfaMethod, User } from '../model.js';
import type { Services } from '../services.js';

/** One second factor as the account pages list it, whatever its kind. */
export interface AccountFactor {
  id: string;
  type: MfaMethod;
  label: string;
  /** e.g. the 2FA address; shown under the label */
  detail: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

/**
 * What the account pages need from one kind of factor. A new kind (WebAuthn) is one
 * more provider in `factorProviders`; the pages and the last-factor rule follow.
 */
export interface FactorProvider {
  type: MfaMethod;
  /** confirmed factors of this kind */
  list(user: User): Promise<AccountFactor[]>;
  rename(user: User, id: string, label: string): Promise<boolean>;
  /** true when a factor of this user was removed */
  remove(user: User, id: string): Promise<boolean>;
}

/** TOTP apps and 2FA addresses share the `factors` table. */
function storedFactorProvider(services: Services, type: 'totp' | 'email'): FactorProvider {
  const { factors } = services.repos;
  const own = async (user: User, id: string) => {
    const f = await factors.findForUser(user.id, id);
    return f && f.type === type && f.confirmedAt !== null ? f : undefined;
  };
  return {
    type,
    async list(user) {
      return (await factors.listByUser(user.id))
        .filter((f) => f.type === type && f.confirmedAt !== null)
        .map((f) => ({ id: f.id, type, label: f.label, detail: type === 'email' ? f.email : null, createdAt: f.createdAt, lastUsedAt: f.lastUsedAt }));
    },
    async rename(user, id, label) {
      if (!(await own(user, id))) return false;
      await factors.rename(user.id, id, label);
      return true;
    },
    async remove(user, id) {
      if (!(await own(user, id))) return false;
      return factors.remove(user.id, id);
    },
  };
}

/** Security keys and biometrics: the `webauthn_credentials` table. */
function webauthnProvider(services: Services): FactorProvider {
  const credentials = services.repos.webauthnCredentials;
  return {
    type: 'webauthn',
    async list(user) {
      return (await credentials.listByUser(user.id)).map((c) => ({
        id: c.id,
        type: 'webauthn' as const,
        label: c.label,
        detail: null,
        createdAt: c.createdAt,
        lastUsedAt: c.lastUsedAt,
      }));
    },
    rename: (user, id, label) => credentials.rename(user.id, id, label),
    remove: (user, id) => credentials.remove(user.id, id),
  };
}

export function factorProviders(services: Services): FactorProvider[] {
  return [storedFactorProvider(services, 'totp'), storedFactorProvider(services, 'email'), webauthnProvider(services)];
}

export function providerFor(providers: FactorProvider[], type: string): FactorProvider | undefined {
  return providers.find((p) => p.type === type);
}

/** Every confirmed factor of the user, of every kind. */
export async function listFactors(providers: FactorProvider[], user: User): Promise<AccountFactor[]> {
  return (await Promise.all(providers.map((p) => p.list(user)))).flat();
}
