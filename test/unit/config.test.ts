import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../config/load.js';

/** Asserts a ConfigError whose message matches. */
function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (err: Error) => err instanceof ConfigError && re.test(err.message));
}

const dataDir = () => mkdtempSync(join(tmpdir(), 'idp-config-'));

describe('configuration', () => {
  it('has working development defaults and generates a persistent secret key', () => {
    const dir = dataDir();
    const config = loadConfig({ IDP_DATA_DIR: dir });
    assert.equal(config.port, 3000);
    assert.equal(config.issuer, 'http://localhost:3000');
    assert.equal(config.databaseUrl, 'sqlite:./data/idp.sqlite');
    assert.equal(config.secretKey, readFileSync(join(dir, 'secret.key'), 'utf8').trim());
    assert.equal(loadConfig({ IDP_DATA_DIR: dir }).secretKey, config.secretKey, 'the same key on the next start');
  });

  it('derives the issuer from PORT and strips a trailing slash', () => {
    assert.equal(loadConfig({ IDP_DATA_DIR: dataDir(), PORT: '4000' }).issuer, 'http://localhost:4000');
    assert.equal(loadConfig({ IDP_DATA_DIR: dataDir(), IDP_ISSUER: 'https://id.example.com/' }).issuer, 'https://id.example.com');
  });

  it('names the setting and the fix on bad input, one line each', () => {
    assert.throws(() => loadConfig({ IDP_DATA_DIR: dataDir(), PORT: 'abc' }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^PORT: /);
      return true;
    });
    refuses(() => loadConfig({ IDP_DATA_DIR: dataDir(), IDP_DATABASE_URL: 'mysql://x' }), /^IDP_DATABASE_URL: must be sqlite:PATH or postgres/);
    refuses(() => loadConfig({ IDP_DATA_DIR: dataDir(), IDP_LOG_LEVEL: 'loud' }), /^IDP_LOG_LEVEL: /);
    refuses(() => loadConfig({ IDP_DATA_DIR: dataDir(), IDP_SECRET_KEY: 'short' }), /^IDP_SECRET_KEY: must be at least 32/);
    refuses(() => loadConfig({ IDP_DATA_DIR: dataDir(), IDP_ARGON2_MEMORY_KIB: '1024' }), /^IDP_ARGON2_MEMORY_KIB: must be at least 19456/);
  });

  it('reports a bad port as PORT only, and reads booleans strictly', () => {
    assert.throws(
      () => loadConfig({ IDP_DATA_DIR: dataDir(), PORT: 'abc' }),
      (err: Error) => err.message.split('\n').length === 1 && err.message.startsWith('PORT: '),
    );
    assert.equal(loadConfig({ IDP_DATA_DIR: dataDir(), IDP_TRUST_PROXY: 'off' }).trustProxy, false);
    assert.equal(loadConfig({ IDP_DATA_DIR: dataDir(), IDP_TRUST_PROXY: 'yes' }).trustProxy, true);
    assert.equal(loadConfig({ IDP_DATA_DIR: dataDir(), IDP_DEMO: '0' }).demo, false);
    refuses(() => loadConfig({ IDP_DATA_DIR: dataDir(), IDP_TRUST_PROXY: 'maybe' }), /^IDP_TRUST_PROXY: must be true or false/);
  });

  it('refuses unsafe production settings with one line each', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', IDP_DATA_DIR: dataDir(), IDP_ISSUER: 'http://id.example.com' }),
      (err: Error) => {
        const lines = err.message.split('\n');
        assert.equal(lines.length, 3);
        assert.match(lines[0]!, /^IDP_ISSUER: production requires an https issuer/);
        assert.match(lines[1]!, /^IDP_SECRET_KEY: required in production/);
        assert.match(lines[2]!, /^IDP_SMTP_URL: required in production/);
        return true;
      },
    );
    const good = {
      NODE_ENV: 'production',
      IDP_ISSUER: 'https://id.example.com',
      IDP_SECRET_KEY: 'q2m8Zx1Vb7Kp0Lr4Tn6Yc3Wd9Hs5Jf2Ga8Ue1Ri',
      IDP_SMTP_URL: 'smtp://mail:25',
      IDP_MAIL_FROM: 'no-reply@example.com',
    };
    const ok = loadConfig(good);
    assert.equal(ok.nodeEnv, 'production');
    // each further refusal alone, on one line
    for (const [change, message] of [
      [{ IDP_ISSUER: 'https://localhost:8443' }, /^IDP_ISSUER: production requires the public host name relying parties use, not a loopback address$/],
      [{ IDP_ISSUER: 'https://127.0.0.1' }, /^IDP_ISSUER: production requires the public host name/],
      [{ IDP_SECRET_KEY: 'x'.repeat(40) }, /^IDP_SECRET_KEY: not random \(fewer than 8 distinct characters\)/],
      [{ IDP_SECRET_KEY: 'passwordpasswordpasswordpassword' }, /^IDP_SECRET_KEY: not random/],
    ] as const) {
      refuses(() => loadConfig({ ...good, ...change }), message);
    }
    // the contract's default sender (no-reply@localhost) does not stop production
    const { IDP_MAIL_FROM: _sender, ...defaultSender } = good;
    assert.equal(loadConfig(defaultSender).mailFrom, 'no-reply@localhost');
    // a key from `openssl rand -hex 32` that happens to miss some hex digits is still a key
    assert.equal(loadConfig({ ...good, IDP_SECRET_KEY: '0123456789ab'.repeat(5) + '0123' }).nodeEnv, 'production');
    // outside production the same settings are accepted
    assert.equal(loadConfig({ IDP_DATA_DIR: dataDir(), IDP_ISSUER: 'https://localhost:8443', IDP_SECRET_KEY: 'x'.repeat(40) }).issuer, 'https://localhost:8443');
  });

  it('refuses a key rotation delay not above the key refresh interval', () => {
    refuses(
      () => loadConfig({ IDP_DATA_DIR: dataDir(), IDP_KEY_REFRESH_SECONDS: '60', IDP_KEY_ROTATION_DELAY_SECONDS: '60' }),
      /^IDP_KEY_ROTATION_DELAY_SECONDS: must exceed IDP_KEY_REFRESH_SECONDS \(60\)/,
    );
    const config = loadConfig({ IDP_DATA_DIR: dataDir(), IDP_KEY_REFRESH_SECONDS: '1', IDP_KEY_ROTATION_DELAY_SECONDS: '2' });
    assert.deepEqual(config.keys, { refreshSeconds: 1, rotationDelaySeconds: 2 });
    refuses(() => loadConfig({ IDP_DATA_DIR: dataDir(), IDP_KEY_REFRESH_SECONDS: '0' }), /^IDP_KEY_REFRESH_SECONDS: /);
  });

  it('reads an IDP_CONFIG JSON file, overridden by the environment', () => {
    const dir = dataDir();
    const file = join(dir, 'idp.json');
    writeFileSync(file, JSON.stringify({ port: 4100, throttle: { accountFailures: 3 } }));
    const config = loadConfig({ IDP_DATA_DIR: dir, IDP_CONFIG: file, IDP_THROTTLE_MAX_DELAY_SECONDS: '60' });
    assert.equal(config.port, 4100);
    assert.equal(config.throttle.accountFailures, 3);
    assert.equal(config.throttle.maxDelaySeconds, 60);
    assert.equal(config.throttle.baseDelaySeconds, 30, 'untouched nested defaults remain');
    writeFileSync(file, '{ not json');
    refuses(() => loadConfig({ IDP_DATA_DIR: dir, IDP_CONFIG: file }), /^IDP_CONFIG: cannot read/);
  });
});
