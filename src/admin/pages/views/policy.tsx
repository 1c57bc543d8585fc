import { Csrf } from '../../../../interactions/views/code-input.js';
import { FieldError } from '../../../../interactions/views/layout.js';
import { federatedMfaModes, mfaMethods, mfaModes } from '../../../model.js';
import { policySettings } from '../../org-policy.js';
import { type PolicyFormValues, type PolicyKey, controls, groups, methodField } from '../policy-form.js';
import { AdminLayout, type AdminPageContext } from './admin-layout.js';

export interface PolicyView {
  page: AdminPageContext;
  values: PolicyFormValues;
  /** json name → message */
  errors: Record<string, string>;
  notice?: string | undefined;
}

function Control(props: { v: PolicyView; name: string; settingKey: PolicyKey }) {
  const { t } = props.v.page;
  const { name, settingKey } = props;
  const c = controls[settingKey];
  const value = props.v.values[name] ?? '';
  const error = props.v.errors[name];
  const label = t(`admin.policy.${settingKey}`);
  const invalid = error ? 'true' : undefined;
  const described = error ? `${name}-error` : undefined;
  const err = <FieldError id={`${name}-error`} message={error} />;
  switch (c.kind) {
    case 'boolean':
      return (
        <div class="field checkbox">
          <input type="checkbox" id={name} name={name} value="yes" checked={value === 'yes'} aria-describedby={described} />
          <label for={name}>{label}</label>
          {err}
        </div>
      );
    case 'methods':
      return (
        <fieldset class="field" id={name} aria-describedby={described}>
          <legend>{label}</legend>
          {mfaMethods.map((m) => (
            <div class="checkbox">
              <input type="checkbox" id={methodField(m)} name={methodField(m)} value="yes" checked={props.v.values[methodField(m)] === 'yes'} />
              <label for={methodField(m)}>{t(`mfa.methods.${m}`)}</label>
            </div>
          ))}
          {err}
        </fieldset>
      );
    case 'mode':
    case 'federated':
    case 'choice': {
      const options =
        c.kind === 'mode'
          ? mfaModes.map((m) => ({ value: m, text: t(`admin.policy.mode.${m}`) }))
          : c.kind === 'federated'
            ? federatedMfaModes.map((m) => ({ value: m, text: t(`admin.policy.federated.${m}`) }))
            : (c.choices ?? []).map((n) => ({ value: String(n), text: String(n) }));
      return (
        <div class="field">
          <label for={name}>{label}</label>
          <select id={name} name={name} aria-invalid={invalid} aria-describedby={described}>
            {options.map((o) => (
              <option value={o.value} selected={o.value === value}>
                {o.text}
              </option>
            ))}
          </select>
          {err}
        </div>
      );
    }
    case 'list':
      return (
        <div class="field">
          <label for={name}>{label}</label>
          <textarea id={name} name={name} rows={3} maxLength={4000} aria-invalid={invalid} aria-describedby={described}>
            {value}
          </textarea>
          {err}
        </div>
      );
    default:
      return (
        <div class="field">
          <label for={name}>{label}</label>
          <input
            id={name}
            name={name}
            type={c.kind === 'number' ? 'number' : 'text'}
            inputMode={c.kind === 'number' ? 'numeric' : undefined}
            maxLength={c.kind === 'number' ? 6 : 100}
            value={value}
            aria-invalid={invalid}
            aria-describedby={described}
          />
          {err}
        </div>
      );
  }
}

export function PolicyPage(v: PolicyView) {
  const { t } = v.page;
  return (
    <AdminLayout page={v.page} title={t('admin.policy.title')} notice={v.notice}>
      <p class="lead">{t('admin.policy.lead', { name: v.page.orgName, code: v.page.orgCode })}</p>
      <form method="post" action="/admin/policy" novalidate id="policy">
        <Csrf token={v.page.csrf} />
        {groups.map((g) => (
          <section aria-labelledby={`group-${g}`}>
            <h2 id={`group-${g}`}>{t(`admin.policy.group.${g}`)}</h2>
            {policySettings
              .filter((d) => controls[d.key].group === g)
              .map((d) => (
                <Control v={v} name={d.json} settingKey={d.key} />
              ))}
          </section>
        ))}
        <button type="submit" class="primary" id="save-policy">
          {t('admin.policy.save')}
        </button>
      </form>
    </AdminLayout>
  );
}
