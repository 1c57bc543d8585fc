import { rotateKeys } from '../../oidc/keys.js';
import type { Command } from '../command.js';
import { inTransaction } from '../context.js';

const NOTE = 'Running servers pick up the new keys when they restart; old keys stay published to verify tokens already issued.';

export const keysRotate: Command = {
  name: 'keys rotate',
  summary: 'create new signing keys',
  options: {},
  help: `Usage: idp keys rotate [--json]

Creates a new set of signing keys (RS256, ES256, EdDSA) and a cookie key, placed
ahead of the old ones: new tokens are signed with the new keys, the old keys stay in
the JWKS so tokens already issued still verify. ${NOTE}`,
  prepare() {
    return async ({ services }) => {
      const { kids } = await inTransaction(services, async (tx) => {
        const rotated = await rotateKeys(tx.keys, services.box);
        await tx.audit({ type: 'keys.rotated', details: { kids: rotated.kids } });
        return rotated;
      });
      return {
        json: { kids, note: NOTE },
        text: `Created new signing keys: ${kids.join(', ')}\n${NOTE}`,
      };
    };
  },
};
