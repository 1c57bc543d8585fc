import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { StoredClient } from '../db/clients.js';
import type { OidcPayloadRepository } from '../db/oidc-payloads.js';
import { guardDatabase as guard } from '../db/unavailable.js';

/**
 * oidc-provider's storage contract on top of knex. One class per model name; clients are
 * read from the operator-managed `clients` table through `findClient` (the services' cached
 * lookup, src/services.ts), everything else from `oidc_payloads`.
 * A lost database surfaces as a 503 `temporarily_unavailable` (guardDatabase).
 */
export function createAdapterClass(payloads: OidcPayloadRepository, findClient: (id: string) => Promise<StoredClient | undefined>) {
  return class KnexAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') throw new Error('clients are managed with `idp clients`');
      await guard(() => payloads.upsert(this.model, id, payload as Record<string, unknown>, expiresIn));
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        // a copy: the cached object must not change under oidc-provider's hash of it
        const metadata = (await guard(() => findClient(id)))?.metadata;
        return metadata && ({ ...metadata } as AdapterPayload);
      }
      return this.withConsumed(await guard(() => payloads.find(this.model, id)));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.withConsumed(await guard(() => payloads.findBy(this.model, 'user_code', userCode)));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.withConsumed(await guard(() => payloads.findBy(this.model, 'uid', uid)));
    }

    async consume(id: string): Promise<void> {
      await guard(() => payloads.consume(this.model, id));
    }

    async destroy(id: string): Promise<void> {
      await guard(() => payloads.destroy(this.model, id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await guard(() => payloads.revokeByGrantId(grantId));
    }

    private withConsumed(stored: Awaited<ReturnType<OidcPayloadRepository['find']>>): AdapterPayload | undefined {
      if (!stored) return undefined;
      const payload = stored.payload as AdapterPayload;
      return stored.consumedAt ? { ...payload, consumed: Math.floor(stored.consumedAt / 1000) } : payload;
    }
  };
}
