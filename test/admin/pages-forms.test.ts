/** The pure parts of the admin pages: the policy form round trip and the audit filters' times. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { japanTime, parseAuditFilters } from '../../src/admin/pages/audit-filters.js';
import { changedSettings, settingsFromForm, valuesOf } from '../../src/admin/pages/policy-form.js';
import { mergePolicy, policySettings } from '../../src/admin/org-policy.js';
import { orgSettingsSchema } from '../../src/model.js';

describe('admin pages: policy form', () => {
  const custom = orgSettingsSchema.parse({
    mfa: 'required',
    methods: ['email', 'totp'],
    rememberHours: 0,
    systemTitle: '安否確認',
    passkeys: true,
    webauthnAaguids: ['ee882879-721c-4913-9775-3dfcce97072a'],
    totpPeriod: 60,
    totpDigits: 8,
    requireVerifiedEmail: true,
  });

  it('shows every setting of the policy table and reads back the same policy', () => {
    const values = valuesOf(custom);
    for (const d of policySettings) if (d.key !== 'methods' && typeof custom[d.key] !== 'boolean') assert.ok(d.json in values, d.json);
    const { settings, invalid } = settingsFromForm(values);
    assert.deepEqual(invalid, []);
    assert.deepEqual(changedSettings(custom, settings), {}, 'nothing changed when the form is sent back as shown');
    assert.deepEqual(mergePolicy(custom, settings), { ...custom, methods: ['totp', 'email'] });
  });

  it('an unticked box is "no"; wrong types are named; ranges are left to the model schema', () => {
    const values: Record<string, string> = { ...valuesOf(custom), remember_hours: '12', totp_digits: '7', mfa: 'always', system_title: '' };
    delete values.passkeys;
    const { settings, invalid } = settingsFromForm(values);
    assert.equal(settings.passkeys, false);
    assert.deepEqual(invalid.sort(), ['mfa', 'totp_digits']);
    const ok = settingsFromForm({ ...valuesOf(custom), remember_hours: '9999' });
    assert.deepEqual(ok.invalid, []);
    assert.throws(() => mergePolicy(custom, ok.settings), (err: { field?: string }) => err.field === 'remember_hours');
    assert.deepEqual(changedSettings(custom, { systemTitle: '' }), { systemTitle: '' });
    assert.deepEqual(changedSettings(custom, { methods: ['totp', 'email'] }), {});
  });
});

describe('admin pages: audit filter times (Japan time)', () => {
  it('reads dates and datetime-local values as Japan time', () => {
    assert.equal(japanTime('2030-01-01'), Date.parse('2029-12-31T15:00:00Z'));
    assert.equal(japanTime('2030-01-01T09:30'), Date.parse('2030-01-01T00:30:00Z'));
    assert.equal(japanTime('2030-01-01T09:30:15'), Date.parse('2030-01-01T00:30:15Z'));
    for (const bad of ['2030-02-30', '2030-13-01T00:00', '2030-01-01T25:00', 'yesterday', '2030-01-01T00:00Z', '']) assert.equal(japanTime(bad), undefined, bad);
  });

  it('names the field at fault and refuses repeated or unknown parameters', () => {
    assert.deepEqual(parseAuditFilters({ from: '2030-01-02', to: '2030-01-01' }).errors, { from: 'admin.audit.rangeInvalid' });
    assert.deepEqual(parseAuditFilters({ type: 'Login Failed' }).errors, { type: 'admin.audit.typeInvalid' });
    assert.deepEqual(parseAuditFilters({ type: '', from: ' ' }).raw, { user: undefined, username: undefined, type: undefined, from: undefined, to: undefined, before: undefined });
    assert.throws(() => parseAuditFilters({ type: ['a', 'b'] }), /bad_request/);
    assert.throws(() => parseAuditFilters({ org: 'OTHER' }), /bad_request/);
    assert.throws(() => parseAuditFilters({ before: '1e9' }), /bad_request/);
  });
});
