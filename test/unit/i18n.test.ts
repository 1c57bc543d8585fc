import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { en } from '../../src/i18n/en.js';
import { pickLocale, resolveLocale, translator } from '../../src/i18n/index.js';
import { ja } from '../../src/i18n/ja.js';

describe('i18n', () => {
  it('has every English key in Japanese, with the same placeholders', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      assert.ok(ja[key], `ja is missing ${key}`);
      const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(vars(ja[key]), vars(en[key]), `placeholders differ for ${key}`);
    }
  });

  it('reads Accept-Language with weights', () => {
    assert.equal(pickLocale('fr-FR,en;q=0.5,ja;q=0.9'), 'ja');
    assert.equal(pickLocale('en-US,en;q=0.9'), 'en');
    assert.equal(pickLocale('de, fr'), undefined);
    assert.equal(pickLocale(''), undefined);
  });

  it('orders switcher choice, ui_locales, saved language, Accept-Language, then Japanese', () => {
    assert.equal(resolveLocale({ chosen: 'en', uiLocales: 'ja', saved: 'ja', acceptLanguage: 'ja' }), 'en');
    assert.equal(resolveLocale({ uiLocales: 'fr en', saved: 'ja', acceptLanguage: 'ja' }), 'en');
    assert.equal(resolveLocale({ saved: 'en', acceptLanguage: 'ja' }), 'en');
    assert.equal(resolveLocale({ acceptLanguage: 'en-GB' }), 'en');
    assert.equal(resolveLocale({ chosen: 'xx', acceptLanguage: 'de' }), 'ja');
  });

  it('fills placeholders', () => {
    assert.equal(translator('en')('login.lead', { client: 'Billing' }), 'Sign in to continue to Billing.');
    assert.equal(translator('ja')('password.too_short', { min: 8 }), 'パスワードは8文字以上で入力してください。');
  });
});
