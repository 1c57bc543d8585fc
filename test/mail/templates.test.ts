import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emailCode, emailVerification, formatMailTime, testMail } from '../../src/mail/templates/index.js';
import { extractCode, extractLink } from '../helpers/smtp.js';

// 2025-01-02 06:04 UTC = 15:04 in Tokyo
const EXPIRES = Date.UTC(2025, 0, 2, 6, 4, 30);
const TITLE = '<b>Acme & Co</b>';

describe('mail templates', () => {
  it('formats times as YYYY/MM/DD HH:mm in Japan time with the zone name', () => {
    assert.equal(formatMailTime(EXPIRES), '2025/01/02 15:04 JST');
    // crosses midnight into the next day in Tokyo; 24-hour clock
    assert.equal(formatMailTime(Date.UTC(2024, 11, 31, 15, 30)), '2025/01/01 00:30 JST');
    assert.equal(formatMailTime(Date.UTC(2025, 5, 30, 3, 0)), '2025/06/30 12:00 JST');
  });

  it('emailCode carries the title in the subject, or a bare subject without one', () => {
    assert.equal(emailCode({ locale: 'ja', systemTitle: '安否確認', code: '123456', expiresAt: EXPIRES, minutes: 60 }).subject, '【安否確認】ワンタイムパスワードのお知らせ');
    assert.equal(emailCode({ locale: 'ja', code: '123456', expiresAt: EXPIRES, minutes: 60 }).subject, 'ワンタイムパスワードのお知らせ');
    assert.equal(emailCode({ locale: 'ja', systemTitle: '  ', code: '123456', expiresAt: EXPIRES, minutes: 60 }).subject, 'ワンタイムパスワードのお知らせ');
    assert.equal(emailCode({ locale: 'en', systemTitle: 'Acme', code: '123456', expiresAt: EXPIRES, minutes: 60 }).subject, '[Acme] Your one-time code');
    assert.equal(emailCode({ locale: 'en', code: '123456', expiresAt: EXPIRES, minutes: 60 }).subject, 'Your one-time code');
  });

  it('emailCode (ja) has the seed-001 wording: code, expiry with minutes, warning, send-only', () => {
    const m = emailCode({ locale: 'ja', systemTitle: 'Biz安否確認', code: '042917', expiresAt: EXPIRES, minutes: 60 });
    for (const part of [m.text, m.html]) {
      assert.ok(part.includes('042917'));
      assert.ok(part.includes('有効期限：2025/01/02 15:04 JST（60分間）'), part);
      assert.ok(part.includes('このメールに心当たりがない場合は、第三者があなたのパスワードを使用している可能性があります。至急パスワードを変更してください。'));
      assert.ok(part.includes('送信専用'));
    }
    assert.equal(extractCode(m), '042917');
    assert.match(m.html, /<html lang="ja">/);
  });

  it('emailCode (en) has the English equivalents', () => {
    const m = emailCode({ locale: 'en', code: '987654', expiresAt: EXPIRES, minutes: 1, systemTitle: 'Acme' });
    for (const part of [m.text, m.html]) {
      assert.ok(part.includes('987654'));
      assert.ok(part.includes('Valid until 2025/01/02 15:04 JST (1 minute)'), part);
      assert.ok(part.includes('If this was not you, someone may know your password: change your password now.'));
      assert.ok(part.includes('sent automatically'));
    }
    assert.match(m.html, /<html lang="en">/);
  });

  it('escapes every interpolated value in the html part', () => {
    const m = emailCode({ locale: 'en', systemTitle: TITLE, code: '123456', expiresAt: EXPIRES, minutes: 60 });
    assert.ok(!m.html.includes('<b>'), 'raw markup from the title');
    assert.ok(m.html.includes('&lt;b>Acme &amp; Co&lt;/b>'));
    // plain text and subject keep the title as typed
    assert.equal(m.subject, `[${TITLE}] Your one-time code`);
    assert.ok(m.text.includes(TITLE));

    const v = emailVerification({ locale: 'ja', systemTitle: TITLE, code: '123456', link: 'https://id.example.com/confirm?token=a"b&x=<y>', expiresAt: EXPIRES, minutes: 30 });
    assert.ok(!v.html.includes('<b>'));
    assert.ok(!v.html.includes('a"b'), 'quote in an attribute');
    assert.ok(!v.html.includes('<y>'));
    assert.ok(v.html.includes('token=a&quot;b&amp;x=&lt;y>'));
  });

  it('html is self-contained: no scripts, no external images or styles', () => {
    for (const m of [
      emailCode({ locale: 'ja', code: '123456', expiresAt: EXPIRES, minutes: 60 }),
      emailVerification({ locale: 'en', code: '123456', link: 'https://id.example.com/c/x', expiresAt: EXPIRES, minutes: 60 }),
      testMail({ locale: 'ja', systemTitle: 'Acme' }),
    ]) {
      assert.doesNotMatch(m.html, /<script|<img|<link|url\(|@import/i);
      assert.match(m.html, /^<!doctype html><html lang="(ja|en)">/);
      assert.match(m.html, /<title>[^<]+<\/title>/);
    }
  });

  it('emailVerification: the link and the code, the expiry and "ignore if not you"', () => {
    const link = 'https://id.example.com/mfa/email/confirm?token=Ab3_123456-zz';
    for (const locale of ['ja', 'en'] as const) {
      const m = emailVerification({ locale, systemTitle: 'Acme', code: '314159', link, expiresAt: EXPIRES, minutes: 30 });
      for (const part of [m.text, m.html]) {
        assert.ok(part.includes('314159'));
        assert.ok(part.includes('2025/01/02 15:04 JST'));
        assert.ok(part.includes(locale === 'ja' ? '（30分間）' : '(30 minutes)'));
        assert.ok(part.includes(locale === 'ja' ? 'このメールを破棄してください' : 'If you did not request this, ignore this mail'));
      }
      assert.ok(m.text.includes(link));
      assert.ok(m.html.includes(`href="${link}"`));
      // the digits in the token are not taken for the code
      assert.equal(extractCode(m), '314159');
      assert.equal(extractLink(m), link);
      assert.equal(m.subject, locale === 'ja' ? '【Acme】二段階認証用メールアドレスの確認' : '[Acme] Confirm your two-step verification email address');
    }
  });

  it('refuses non-digit codes and non-http links', () => {
    assert.throws(() => emailCode({ locale: 'en', code: '12ab56', expiresAt: EXPIRES, minutes: 1 }), TypeError);
    assert.throws(() => emailVerification({ locale: 'en', code: '123456', link: 'javascript:alert(1)', expiresAt: EXPIRES, minutes: 1 }), TypeError);
    assert.throws(() => emailVerification({ locale: 'en', code: '123456', link: '/relative', expiresAt: EXPIRES, minutes: 1 }), TypeError);
  });

  it('testMail in both languages', () => {
    const ja = testMail({ locale: 'ja', systemTitle: 'Acme' });
    assert.equal(ja.subject, '【Acme】テストメール');
    assert.ok(ja.text.includes('テストメール'));
    const en = testMail({ locale: 'en' });
    assert.equal(en.subject, 'Test mail');
    assert.ok(en.html.includes('test mail'));
  });

  it('drops control characters from the title (it goes into headers)', () => {
    const m = testMail({ locale: 'en', systemTitle: 'Acme\r\nBcc: evil@example.com' });
    assert.ok(!/[\r\n]/.test(m.subject));
  });
});
