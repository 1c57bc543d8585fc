import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateTotpSecret, normaliseTotpCode, verifyTotp, type TotpDigits, type TotpPeriod } from '../../../src/auth/factors/totp/totp.js';
import { base32Decode as decodeBase32, base32Encode, stepOf, totpAtStep } from './rfc6238.js';

const RFC_KEY = Buffer.from('12345678901234567890', 'ascii');
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

// RFC 6238 Appendix B, SHA1 column: (time in seconds, 8-digit code).
const RFC_VECTORS: ReadonlyArray<readonly [number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP: RFC 6238 Appendix B (SHA1)', () => {
  it('the base32 secret is the RFC key', () => {
    assert.equal(base32Encode(RFC_KEY), RFC_SECRET);
  });

  it('the independent generator reproduces every vector', () => {
    for (const [time, code] of RFC_VECTORS) assert.equal(totpAtStep(RFC_KEY, stepOf(time, 30), 8), code, `T=${time}`);
  });

  it('verifyTotp accepts every vector at its time and returns its step', () => {
    for (const [time, code] of RFC_VECTORS) {
      const result = verifyTotp({ secret: RFC_SECRET, code, period: 30, digits: 8, now: time * 1000 });
      assert.deepEqual(result, { ok: true, step: Math.floor(time / 30) }, `T=${time}`);
    }
  });

  it('verifyTotp refuses every vector far from its time', () => {
    for (const [time, code] of RFC_VECTORS) {
      const result = verifyTotp({ secret: RFC_SECRET, code, period: 30, digits: 8, now: (time + 3600) * 1000 });
      assert.deepEqual(result, { ok: false, reason: 'invalid' }, `T=${time}`);
    }
  });
});

describe('TOTP: window of one step either side, for every period and length', () => {
  const secret = generateTotpSecret();
  const key = decodeBase32(secret);
  const now = Date.parse('2026-11-21T09:41:17.250Z');

  for (const period of [30, 60] as TotpPeriod[]) {
    for (const digits of [6, 8] as TotpDigits[]) {
      const current = stepOf(Math.floor(now / 1000), period);
      const codeAt = (offset: number) => totpAtStep(key, current + offset, digits);

      it(`period ${period}, ${digits} digits: steps -1, 0, +1 accepted with their step`, () => {
        for (const offset of [-1, 0, 1]) {
          const result = verifyTotp({ secret, code: codeAt(offset), period, digits, now });
          assert.deepEqual(result, { ok: true, step: current + offset }, `offset ${offset}`);
        }
      });

      it(`period ${period}, ${digits} digits: steps -2 and +2 refused`, () => {
        for (const offset of [-2, 2]) {
          const code = codeAt(offset);
          // Skip the one-in-10^digits case where a far code equals one inside the window.
          if ([-1, 0, 1].some((o) => codeAt(o) === code)) continue;
          assert.deepEqual(verifyTotp({ secret, code, period, digits, now }), { ok: false, reason: 'invalid' });
        }
      });

      it(`period ${period}, ${digits} digits: a used step and anything older are replays`, () => {
        const first = verifyTotp({ secret, code: codeAt(0), period, digits, now });
        assert.ok(first.ok);
        const lastUsedStep = first.step;
        assert.deepEqual(verifyTotp({ secret, code: codeAt(0), period, digits, now, lastUsedStep }), { ok: false, reason: 'replayed' });
        assert.deepEqual(verifyTotp({ secret, code: codeAt(-1), period, digits, now, lastUsedStep }), { ok: false, reason: 'replayed' });
        assert.deepEqual(verifyTotp({ secret, code: codeAt(1), period, digits, now, lastUsedStep }), { ok: true, step: current + 1 });
        // After the newest code in the window, every code in it is spent.
        for (const offset of [-1, 0, 1]) {
          const result = verifyTotp({ secret, code: codeAt(offset), period, digits, now, lastUsedStep: current + 1 });
          assert.deepEqual(result, { ok: false, reason: 'replayed' }, `offset ${offset}`);
        }
      });

      it(`period ${period}, ${digits} digits: a wrong code is invalid, even with a last used step`, () => {
        const wrong = String((Number(codeAt(0)) + 1) % 10 ** digits).padStart(digits, '0');
        if ([-1, 0, 1].some((o) => codeAt(o) === wrong)) return;
        assert.deepEqual(verifyTotp({ secret, code: wrong, period, digits, now }), { ok: false, reason: 'invalid' });
        assert.deepEqual(verifyTotp({ secret, code: wrong, period, digits, now, lastUsedStep: current - 5 }), { ok: false, reason: 'invalid' });
        assert.deepEqual(verifyTotp({ secret, code: wrong, period, digits, now, lastUsedStep: current + 1 }), { ok: false, reason: 'invalid' });
      });
    }
  }

  it('the window holds at the first and the last millisecond of a step', () => {
    for (const period of [30, 60] as TotpPeriod[]) {
      const step = stepOf(Math.floor(now / 1000), period);
      for (const at of [step * period * 1000, (step + 1) * period * 1000 - 1]) {
        for (const offset of [-1, 0, 1]) {
          const result = verifyTotp({ secret, code: totpAtStep(key, step + offset, 6), period, digits: 6, now: at });
          assert.deepEqual(result, { ok: true, step: step + offset }, `period ${period} at ${at} offset ${offset}`);
        }
      }
    }
  });

  it('a last used step far in the future (clock moved back) refuses without throwing', () => {
    const code = totpAtStep(key, stepOf(Math.floor(now / 1000), 30), 6);
    const result = verifyTotp({ secret, code, period: 30, digits: 6, now, lastUsedStep: stepOf(Math.floor(now / 1000), 30) + 100 });
    assert.deepEqual(result, { ok: false, reason: 'replayed' });
  });

  it('a null last used step means none', () => {
    const code = totpAtStep(key, stepOf(Math.floor(now / 1000), 30), 6);
    assert.equal(verifyTotp({ secret, code, period: 30, digits: 6, now, lastUsedStep: null }).ok, true);
  });
});

describe('TOTP: what people type', () => {
  const secret = generateTotpSecret();
  const key = decodeBase32(secret);
  const now = Date.parse('2026-11-21T00:00:10Z');
  const code6 = totpAtStep(key, stepOf(Math.floor(now / 1000), 30), 6);

  it('malformed: 5 digits, letters, empty, 7 digits when 6 expected, 6 digits when 8 expected', () => {
    for (const code of ['12345', 'abcdef', '12a456', '', '   ', '1234567', `${code6}0`]) {
      assert.deepEqual(verifyTotp({ secret, code, period: 30, digits: 6, now }), { ok: false, reason: 'malformed' }, JSON.stringify(code));
    }
    assert.deepEqual(verifyTotp({ secret, code: code6, period: 30, digits: 8, now }), { ok: false, reason: 'malformed' });
  });

  it('full-width digits, spaces, hyphens and an IME long-vowel mark are accepted', () => {
    const fullWidth = [...code6].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
    const spaced = `${code6.slice(0, 3)} ${code6.slice(3)}`;
    for (const code of [fullWidth, spaced, `${code6.slice(0, 3)}-${code6.slice(3)}`, ` ${code6}\n`, `${code6.slice(0, 3)}ー${code6.slice(3)}`, `${fullWidth.slice(0, 3)}\u3000${fullWidth.slice(3)}`]) {
      assert.equal(verifyTotp({ secret, code, period: 30, digits: 6, now }).ok, true, JSON.stringify(code));
    }
  });

  it('normalises "１２３ ４５６" to "123456"', () => {
    assert.equal(normaliseTotpCode('１２３ ４５６'), '123456');
    assert.equal(normaliseTotpCode('123 456'), '123456');
  });
});

describe('TOTP secrets', () => {
  it('are 160-bit base32, distinct each time', () => {
    const a = generateTotpSecret();
    assert.match(a, /^[A-Z2-7]{32}$/);
    assert.equal(decodeBase32(a).length, 20);
    assert.notEqual(a, generateTotpSecret());
  });

  it('the test base32 helpers round-trip', () => {
    const bytes = randomBytes(20);
    assert.deepEqual(decodeBase32(base32Encode(bytes)), bytes);
  });
});
