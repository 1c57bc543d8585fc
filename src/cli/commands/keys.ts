import { z } from 'zod';
import { rotateKeys } from '../../oidc/keys.js';
import { SIGNED_TOKEN_MAX_SECONDS } from '../../oidc/provider.js';
import { CliUsageError, integer, validate } from '../args.js';
import type { Command } from '../command.js';
import { inTransaction } from '../context.js';

const schema = z.object({ 'delay-seconds': integer(1, 30 * 86400).optional() });

export const keysRotate: Command = {
  name: 'keys rotate',
  summary: 'publish new signing keys, signing with them after a delay',
  options: { 'delay-seconds': { type: 'string' } },
  help: `Usage: idp keys rotate [--delay-seconds N] [--json]

Rotates the signing keys (RS256, ES256, EdDSA) and the cookie key without downtime:

  1. the new keys are published in the JWKS at once (running servers reload their
     keys every IDP_KEY_REFRESH_SECONDS, no restart);
  2. after the delay every server signs new tokens with them;
  3. the old signing keys stay in the JWKS until the tokens they signed have expired
     (${SIGNED_TOKEN_MAX_SECONDS} s after the delay), then leave it.

  --delay-seconds N  seconds before the new keys sign (default IDP_KEY_ROTATION_DELAY_SECONDS);
                     must exceed IDP_KEY_REFRESH_SECONDS, so every server publishes the
                     new keys before any signs with them, and relying parties that cache
                     the JWKS have time to see them`,
  prepare(values, config) {
    const input = validate(schema, values);
    const delaySeconds = input['delay-seconds'] ?? config.keys.rotationDelaySeconds;
    if (delaySeconds <= config.keys.refreshSeconds) {
      throw new CliUsageError(
        `--delay-seconds must exceed IDP_KEY_REFRESH_SECONDS (${config.keys.refreshSeconds}): a server could sign with a key the others do not publish yet`,
      );
    }
    return async ({ services }) => {
      const rotation = await inTransaction(services, async (tx) => {
        const rotated = await rotateKeys(tx.keys, services.box, { delaySeconds, retainSeconds: SIGNED_TOKEN_MAX_SECONDS });
        await tx.audit({
          type: 'keys.rotated',
          details: { kids: rotated.kids, signsFrom: rotated.signsFrom, retiring: rotated.retiring, retireAfter: rotated.retireAfter },
        });
        return rotated;
      });
      const signsFrom = new Date(rotation.signsFrom).toISOString();
      const retireAfter = new Date(rotation.retireAfter).toISOString();
      return {
        json: { kids: rotation.kids, signs_from: signsFrom, retiring: rotation.retiring, retire_after: retireAfter },
        text: [
          `Published new signing keys: ${rotation.kids.join(', ')}`,
          `They sign from ${signsFrom} (in ${delaySeconds} s); running servers pick them up within IDP_KEY_REFRESH_SECONDS, no restart.`,
          rotation.retiring.length ? `Old keys ${rotation.retiring.join(', ')} stay published until ${retireAfter}.` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      };
    };
  },
};
