// Cross-check against Debian's oathtool (OATH Toolkit), a TOTP implementation that shares
// no code with otplib. Missing oathtool fails the suite on purpose: .ci/run installs it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { generateTotpSecret, verifyTotp, type TotpDigits, type TotpPeriod } from '../../../src/auth/factors/totp/totp.js';

function oathtool(secret: string, at: Date, period: TotpPeriod, digits: TotpDigits): string {
  const when = at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const args = ['--totp', '-b', secret, '--now', when, `--time-step-size=${period}s`, `--digits=${digits}`];
  try {
    return execFileSync('oathtool', args, { encoding: 'utf8' }).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') assert.fail('install oathtool: apt-get install -y oathtool');
    throw error;
  }
}

describe('TOTP cross-checked with oathtool', () => {
  const now = new Date('2026-11-21T00:00:00Z');

  it('prints the RFC 6238 vector at T=59 that verifyTotp accepts', () => {
    const code = oathtool('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', new Date(59_000), 30, 8);
    assert.equal(code, '94287082');
    assert.deepEqual(verifyTotp({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', code, period: 30, digits: 8, now: 59_000 }), { ok: true, step: 1 });
  });

  for (const period of [30, 60] as TotpPeriod[]) {
    for (const digits of [6, 8] as TotpDigits[]) {
      it(`period ${period}, ${digits} digits: its codes one step early, on time and one step late verify`, () => {
        const secret = generateTotpSecret();
        const step = Math.floor(now.getTime() / 1000 / period);
        for (const offset of [-1, 0, 1]) {
          const code = oathtool(secret, new Date(now.getTime() + offset * period * 1000), period, digits);
          assert.match(code, new RegExp(`^[0-9]{${digits}}$`));
          const result = verifyTotp({ secret, code, period, digits, now: now.getTime() });
          assert.deepEqual(result, { ok: true, step: step + offset }, `offset ${offset}`);
        }
      });
    }
  }
});
