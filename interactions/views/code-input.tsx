import { FieldError } from './layout.js';

/** A one-time code field: numeric keyboard on phones, filled by the OS from SMS/mail where it can. */
export function CodeInput(props: { id?: string; label: string; digits: number; error?: string | undefined; autofocus?: boolean; hint?: string | undefined }) {
  const id = props.id ?? 'code';
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      <input
        id={id}
        name="code"
        type="text"
        inputMode="numeric"
        autocomplete="one-time-code"
        pattern="[0-9 ]*"
        maxLength={props.digits + 4}
        required
        class="code"
        autofocus={props.autofocus ?? true}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={described}
      />
      <FieldError id={`${id}-error`} message={props.error} />
    </div>
  );
}

export function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}
