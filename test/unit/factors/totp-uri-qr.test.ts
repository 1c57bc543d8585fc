import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticatorApps, formatSecretForDisplay, totpQrSvg, totpUri } from '../../../src/auth/factors/totp/totp.js';

const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('otpauth URI', () => {
  it('carries every parameter, explicitly', () => {
    const uri = totpUri({ secret, accountName: 'alice', issuer: 'Example', period: 30, digits: 6, algorithm: 'SHA1' });
    assert.equal(uri, `otpauth://totp/Example:alice?secret=${secret}&issuer=Example&period=30&digits=6&algorithm=SHA1`);
  });

  it('encodes a Japanese issuer, spaces and @ so that they decode back intact', () => {
    const issuer = '安否確認 サービス';
    const accountName = 'yamada taro@example.jp';
    const uri = totpUri({ secret, accountName, issuer, period: 60, digits: 8, algorithm: 'SHA1' });
    assert.match(uri, /^otpauth:\/\/totp\/[^?]+\?[\x21-\x7e]+$/, 'printable ASCII only');
    assert.ok(!uri.includes('+'), 'spaces are %20, never +');
    const parsed = new URL(uri);
    assert.equal(parsed.protocol, 'otpauth:');
    assert.equal(parsed.host, 'totp');
    assert.equal(decodeURIComponent(parsed.pathname.slice(1)), `${issuer}:${accountName}`);
    assert.equal(parsed.searchParams.get('issuer'), issuer);
    assert.equal(parsed.searchParams.get('secret'), secret);
    assert.equal(parsed.searchParams.get('period'), '60');
    assert.equal(parsed.searchParams.get('digits'), '8');
    assert.equal(parsed.searchParams.get('algorithm'), 'SHA1');
  });

  it('keeps a colon in the account name from splitting the label', () => {
    const uri = totpUri({ secret, accountName: 'org:user', issuer: 'A:B', period: 30, digits: 6, algorithm: 'SHA1' });
    assert.ok(uri.startsWith('otpauth://totp/A%3AB:org%3Auser?'));
  });
});

describe('QR code', () => {
  it('is an inline SVG that refers to no outside service', async () => {
    const uri = totpUri({ secret, accountName: 'alice', issuer: '電子請求システム', period: 30, digits: 6, algorithm: 'SHA1' });
    const svg = await totpQrSvg(uri);
    assert.ok(svg.startsWith('<svg'), svg.slice(0, 40));
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    const urls = svg.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
    assert.deepEqual(urls.filter((u) => u !== 'http://www.w3.org/2000/svg'), []);
    assert.ok(!svg.includes(secret), 'the secret is drawn, not written');
  });
});

describe('secret display', () => {
  it('groups by four', () => {
    assert.equal(formatSecretForDisplay(secret), 'GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ');
    assert.equal(formatSecretForDisplay('ABCDEF'), 'ABCD EF');
  });
});

describe('authenticator app links', () => {
  it('cover Android, iPhone and a desktop option, all https', () => {
    const platforms = new Set(authenticatorApps.map((a) => a.platform));
    assert.deepEqual([...platforms].sort(), ['android', 'desktop', 'ios']);
    for (const app of authenticatorApps) assert.equal(new URL(app.url).protocol, 'https:', app.name);
  });
});
