import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { createClientRepository, type ClientRepository } from '../../src/db/clients.js';
import { createOidcPayloadRepository, type OidcPayloadRepository } from '../../src/db/oidc-payloads.js';
import { createOrgRepository } from '../../src/db/orgs.js';
import { createAdapterClass } from '../../src/oidc/adapter.js';
import { randomId } from '../../src/util/ids.js';
import { engines } from '../helpers/server.js';
import { openDatabase, sleep, type OpenDatabase } from '../unit/db/open-db.js';

/** Every model name oidc-provider 9 asks its adapter for (Client is read-only here). */
const MODELS = [
  'Session',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'Client',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'Interaction',
  'ReplayDetection',
  'PushedAuthorizationRequest',
  'Grant',
  'BackchannelAuthenticationRequest',
  // experimental in oidc-provider 9 (OpenID4VCI pre-authorized code), still an adapter model
  'PreAuthorizedCode',
] as const;
const PAYLOAD_MODELS = MODELS.filter((m) => m !== 'Client');

const SECRET_KEY = 'adapter-contract-secret-key-0123456789abcdef';
const epoch = () => Math.floor(Date.now() / 1000);

/** A payload shaped like the ones oidc-provider stores for `model`. */
function payloadFor(model: string, id: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  const iat = epoch();
  const base: AdapterPayload = { jti: id, kind: model, iat, exp: iat + 600 };
  switch (model) {
    case 'Session':
      return { ...base, uid: `uid-${id}`, accountId: 'acct-1', loginTs: iat, authorizations: { 'client-1': { sid: 'sid-1', grantId: 'g-1' } }, ...extra };
    case 'DeviceCode':
      return { ...base, userCode: `UC-${id}`, clientId: 'client-1', deviceInfo: { ip: '127.0.0.1', ua: 'test' }, ...extra };
    case 'Interaction':
      return { ...base, uid: id, returnTo: `http://localhost/auth/${id}`, params: { client_id: 'client-1', scope: 'openid' }, prompt: { name: 'login', reasons: [], details: {} }, ...extra };
    case 'Grant':
      return { ...base, accountId: 'acct-1', clientId: 'client-1', openid: { scope: 'openid email', claims: ['sub'] }, ...extra };
    default:
      return { ...base, accountId: 'acct-1', clientId: 'client-1', scope: 'openid', grantId: `grant-${id}`, ...extra };
  }
}

for (const engine of engines()) {
  describe(`knex adapter contract (${engine})`, () => {
    let db: OpenDatabase;
    let knex: Knex;
    let payloads: OidcPayloadRepository;
    let clients: ClientRepository;
    let KnexAdapter: new (model: string) => Adapter;
    const adapter = (model: string) => new KnexAdapter(model);

    before(async () => {
      db = await openDatabase(engine);
      knex = db.knex;
      payloads = createOidcPayloadRepository(knex);
      clients = createClientRepository(knex, createSecretBox(SECRET_KEY));
      KnexAdapter = createAdapterClass(payloads, clients.find);
    });
    after(() => db.close());

    for (const model of PAYLOAD_MODELS) {
      describe(model, () => {
        it('upsert then find returns the payload', async () => {
          const id = randomId();
          const payload = payloadFor(model, id);
          await adapter(model).upsert(id, payload, 300);
          assert.deepEqual(await adapter(model).find(id), payload);
        });

        it('upsert again overwrites the payload, its lookup columns and its expiry', async () => {
          const id = randomId();
          await adapter(model).upsert(id, payloadFor(model, id, { uid: 'old-uid', userCode: 'OLD-UC', grantId: 'old-grant' }), 1);
          const second = payloadFor(model, id, { uid: 'new-uid', userCode: 'NEW-UC', grantId: 'new-grant', extra: { second: true } });
          await adapter(model).upsert(id, second, 3600);
          assert.deepEqual(await adapter(model).find(id), second);
          const rows = await knex('oidc_payloads').where({ type: model, id });
          assert.equal(rows.length, 1);
          const row = rows[0] as { grant_id: string; uid: string; user_code: string; expires_at: number | string };
          assert.equal(row.grant_id, 'new-grant');
          assert.equal(row.uid, 'new-uid');
          assert.equal(row.user_code, 'NEW-UC');
          assert.ok(Number(row.expires_at) > Date.now() + 3000 * 1000, 'the second expiresIn replaces the first');
        });

        it('find of an unknown id returns undefined', async () => {
          assert.equal(await adapter(model).find(`unknown-${randomId()}`), undefined);
        });

        it('rows of another model with the same id are not returned', async () => {
          const id = randomId();
          const other = model === 'AccessToken' ? 'RefreshToken' : 'AccessToken';
          await adapter(other).upsert(id, payloadFor(other, id), 300);
          assert.equal(await adapter(model).find(id), undefined);
        });

        it('consume makes find return `consumed` as epoch seconds', async () => {
          const id = randomId();
          const payload = payloadFor(model, id);
          await adapter(model).upsert(id, payload, 300);
          const before = epoch();
          await adapter(model).consume(id);
          const after = epoch();
          const found = await adapter(model).find(id);
          assert.ok(found);
          assert.equal(typeof found.consumed, 'number');
          assert.ok(Number.isInteger(found.consumed), `consumed is whole seconds, got ${String(found.consumed)}`);
          assert.ok(found.consumed >= before && found.consumed <= after, `consumed ${String(found.consumed)} not in [${before}, ${after}]`);
          const { consumed: _consumed, ...rest } = found;
          assert.deepEqual(rest, payload);
        });

        it('consume of an unknown id does not throw', async () => {
          await adapter(model).consume(`unknown-${randomId()}`);
        });

        it('destroy removes the row (and only that row)', async () => {
          const id = randomId();
          const keep = randomId();
          await adapter(model).upsert(id, payloadFor(model, id), 300);
          await adapter(model).upsert(keep, payloadFor(model, keep), 300);
          await adapter(model).destroy(id);
          assert.equal(await adapter(model).find(id), undefined);
          assert.equal((await knex('oidc_payloads').where({ type: model, id })).length, 0);
          assert.ok(await adapter(model).find(keep));
          await adapter(model).destroy(`unknown-${randomId()}`);
        });

        it('round-trips unicode and nested JSON exactly', async () => {
          const id = randomId();
          const payload = payloadFor(model, id, {
            extra: {
              text: 'Grüße — こんにちは 世界 — مرحبا — 👩‍💻🔑 — e\u0301 — "quotes" \\ back\\slash \n\t newline',
              nul: 'a\u0000b',
              escapes: '</script><!-- \u2028 \u2029',
              nested: { a: [1, 2.5, -3, 0, 1e21, null, true, false, '', [[], {}]], b: { c: { d: { e: ['深い', { f: null }] } } } },
              big: Number.MAX_SAFE_INTEGER,
              emptyObject: {},
              emptyArray: [],
            },
          });
          await adapter(model).upsert(id, payload, 300);
          assert.deepEqual(await adapter(model).find(id), payload);
        });
      });
    }

    it('expired rows are not returned by find, findByUid or findByUserCode (every model)', async () => {
      const ids = new Map(PAYLOAD_MODELS.map((m) => [m, { short: randomId(), long: randomId() }]));
      await Promise.all(
        PAYLOAD_MODELS.flatMap((m) => {
          const { short, long } = ids.get(m)!;
          return [adapter(m).upsert(short, payloadFor(m, short), 1), adapter(m).upsert(long, payloadFor(m, long), 60)];
        }),
      );
      for (const m of PAYLOAD_MODELS) assert.ok(await adapter(m).find(ids.get(m)!.short), `${m} is found before it expires`);
      await sleep(1200);
      for (const m of PAYLOAD_MODELS) {
        const { short, long } = ids.get(m)!;
        assert.equal(await adapter(m).find(short), undefined, `${m} with expiresIn 1 s is gone after 1.2 s`);
        assert.ok(await adapter(m).find(long), `${m} with expiresIn 60 s is still there`);
      }
      assert.equal(await adapter('Session').findByUid(`uid-${ids.get('Session')!.short}`), undefined);
      assert.equal(await adapter('DeviceCode').findByUserCode(`UC-${ids.get('DeviceCode')!.short}`), undefined);
      assert.ok(await adapter('Session').findByUid(`uid-${ids.get('Session')!.long}`));
      assert.ok(await adapter('DeviceCode').findByUserCode(`UC-${ids.get('DeviceCode')!.long}`));
    });

    it('a payload stored without expiry never expires', async () => {
      const id = randomId();
      const payload = payloadFor('Grant', id);
      await new KnexAdapter('Grant').upsert(id, payload);
      const row = (await knex('oidc_payloads').where({ type: 'Grant', id }).first()) as { expires_at: unknown };
      assert.equal(row.expires_at, null);
      assert.deepEqual(await adapter('Grant').find(id), payload);
    });

    it('revokeByGrantId removes every row with that grantId across models, and nothing else', async () => {
      const grantId = `grant-${randomId()}`;
      const otherGrant = `grant-${randomId()}`;
      const revoked: [string, string][] = [];
      const kept: [string, string][] = [];
      for (const m of PAYLOAD_MODELS) {
        const a = randomId();
        const b = randomId();
        const c = randomId();
        await adapter(m).upsert(a, payloadFor(m, a, { grantId }), 300);
        await adapter(m).upsert(b, payloadFor(m, b, { grantId: otherGrant }), 300);
        await adapter(m).upsert(c, payloadFor(m, c, { grantId: undefined }), 300);
        revoked.push([m, a]);
        kept.push([m, b], [m, c]);
      }
      await adapter('AccessToken').revokeByGrantId(grantId);
      for (const [m, id] of revoked) assert.equal(await adapter(m).find(id), undefined, `${m} with the grant is revoked`);
      for (const [m, id] of kept) assert.ok(await adapter(m).find(id), `${m} ${id} without the grant is kept`);
      assert.equal((await knex('oidc_payloads').where({ grant_id: grantId })).length, 0);
    });

    it('findByUid finds a Session by its uid', async () => {
      const id = randomId();
      const payload = payloadFor('Session', id, { uid: `uid-${id}` });
      await adapter('Session').upsert(id, payload, 300);
      assert.deepEqual(await adapter('Session').findByUid(`uid-${id}`), payload);
      assert.equal(await adapter('Session').findByUid(`uid-unknown-${randomId()}`), undefined);
      // the uid of a Session is not found through another model
      assert.equal(await adapter('AccessToken').findByUid(`uid-${id}`), undefined);
      await adapter('Session').consume(id);
      assert.equal(typeof (await adapter('Session').findByUid(`uid-${id}`))?.consumed, 'number');
    });

    it('findByUserCode finds a DeviceCode by its user code', async () => {
      const id = randomId();
      const payload = payloadFor('DeviceCode', id, { userCode: `UC-${id}` });
      await adapter('DeviceCode').upsert(id, payload, 300);
      assert.deepEqual(await adapter('DeviceCode').findByUserCode(`UC-${id}`), payload);
      assert.equal(await adapter('DeviceCode').findByUserCode(`UC-unknown-${randomId()}`), undefined);
      assert.equal(await adapter('Session').findByUserCode(`UC-${id}`), undefined);
      await adapter('DeviceCode').consume(id);
      const consumed = await adapter('DeviceCode').findByUserCode(`UC-${id}`);
      assert.equal(typeof consumed?.consumed, 'number');
    });

    describe('Client', () => {
      it('find reads the operator-managed clients table with the decrypted secret and our extras', async () => {
        const org = await createOrgRepository(knex).create({ code: `ORG${randomId(3).replace(/[^A-Za-z0-9]/g, 'X')}`, name: 'Org', settings: {} });
        const clientId = `client-${randomId(6)}`;
        const secret = `sécret-${randomId(24)}-🔐`;
        const metadata = {
          client_id: clientId,
          client_secret: secret,
          client_name: 'Ünïcode client 日本',
          redirect_uris: ['https://rp.example/cb'],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        };
        await clients.create({ metadata, name: 'Ünïcode client 日本', orgId: org.id, firstParty: false, requireMfa: true });

        const found = await adapter('Client').find(clientId);
        assert.deepEqual(found, { ...metadata, first_party: false, require_mfa: true, org_id: org.id });

        // the secret is stored encrypted, never in the metadata JSON
        const row = (await knex('clients').where({ client_id: clientId }).first()) as { metadata: string; secret_encrypted: string };
        assert.ok(!row.metadata.includes(secret));
        assert.ok(!row.secret_encrypted.includes(secret));
        assert.ok(!('client_secret' in (JSON.parse(row.metadata) as Record<string, unknown>)));
      });

      it('find of a public first-party client without an organisation has no secret and no org_id', async () => {
        const clientId = `client-${randomId(6)}`;
        const metadata = { client_id: clientId, redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'none' };
        await clients.create({ metadata, name: 'public', orgId: null, firstParty: true, requireMfa: false });
        assert.deepEqual(await adapter('Client').find(clientId), { ...metadata, first_party: true, require_mfa: false });
      });

      it('find of an unknown client returns undefined', async () => {
        assert.equal(await adapter('Client').find(`client-unknown-${randomId()}`), undefined);
      });

      it('upsert throws: clients are managed by the operator', async () => {
        const clientId = `client-${randomId(6)}`;
        await assert.rejects(adapter('Client').upsert(clientId, { client_id: clientId }, 300), /managed/);
        assert.equal(await adapter('Client').find(clientId), undefined);
        assert.equal((await knex('oidc_payloads').where({ type: 'Client' })).length, 0);
      });

      it('a client secret sealed with another IDP_SECRET_KEY does not decrypt', async () => {
        const clientId = `client-${randomId(6)}`;
        await createClientRepository(knex, createSecretBox('a-different-secret-key-0123456789abcdefgh')).create({
          metadata: { client_id: clientId, client_secret: 'x'.repeat(32), redirect_uris: ['https://rp.example/cb'] },
          name: 'other key',
          orgId: null,
          firstParty: true,
          requireMfa: false,
        });
        await assert.rejects(adapter('Client').find(clientId));
      });
    });

    it('purgeExpired deletes only expired rows and returns their count', async () => {
      await payloads.purgeExpired(); // leftovers of the tests above
      const expired = PAYLOAD_MODELS.map((m) => [m, randomId()] as const);
      const live = PAYLOAD_MODELS.map((m) => [m, randomId()] as const);
      const forever = ['Grant', randomId()] as const;
      for (const [m, id] of [...expired, ...live]) await adapter(m).upsert(id, payloadFor(m, id), 300);
      await adapter(forever[0]).upsert(forever[1], payloadFor(forever[0], forever[1]));
      for (const [m, id] of expired) await knex('oidc_payloads').where({ type: m, id }).update({ expires_at: Date.now() - 1000 });
      const total = async () => Number(((await knex('oidc_payloads').count({ n: '*' })) as [{ n: number | string }])[0].n);
      const before = await total();

      assert.equal(await payloads.purgeExpired(), expired.length);
      assert.equal(await total(), before - expired.length);
      for (const [m, id] of expired) assert.equal((await knex('oidc_payloads').where({ type: m, id })).length, 0, `${m} expired row is purged`);
      for (const [m, id] of live) assert.ok(await adapter(m).find(id), `${m} live row is kept`);
      assert.ok(await adapter(forever[0]).find(forever[1]), 'a row without expiry is kept');
      assert.equal(await payloads.purgeExpired(), 0, 'nothing left to purge');
    });

    it('20 parallel upserts of the same id leave one row holding one of the payloads', async () => {
      const id = randomId();
      const candidates = Array.from({ length: 20 }, (_, i) => payloadFor('AccessToken', id, { extra: { writer: i }, grantId: `grant-${i}` }));
      await Promise.all(candidates.map((p) => new KnexAdapter('AccessToken').upsert(id, p, 300)));
      const rows = (await knex('oidc_payloads').where({ type: 'AccessToken', id })) as { grant_id: string; payload: string }[];
      assert.equal(rows.length, 1);
      const found = await adapter('AccessToken').find(id);
      const winner = candidates.find((c) => JSON.stringify(c) === JSON.stringify(found));
      assert.ok(winner, 'the stored payload is one of the written ones, not a mix');
      assert.equal(rows[0]!.grant_id, winner.grantId, 'the grant_id column belongs to the same write as the payload');
    });
  });
}
