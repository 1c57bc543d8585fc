import type { ComponentChildren } from 'preact';
import type { Translate } from '../../src/i18n/index.js';
import type { Locale } from '../../src/model.js';

export interface PageContext {
  t: Translate;
  locale: Locale;
  /** where the language switcher returns to (a same-site path) */
  returnPath: string;
}

export function Layout(props: { page: PageContext; title: string; children: ComponentChildren; scripts?: string[] }) {
  const { t, locale, returnPath } = props.page;
  const back = encodeURIComponent(returnPath);
  return (
    <html lang={locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/assets/style.css" />
        {(props.scripts ?? []).map((src) => (
          <script src={src} defer />
        ))}
      </head>
      <body>
        <a class="skip" href="#main">
          {t('common.skipToContent')}
        </a>
        <header class="top">
          <nav aria-label={t('lang.switch')} class="lang">
            {(['ja', 'en'] as const).map((l) =>
              l === locale ? (
                <span aria-current="true" lang={l}>
                  {l === 'ja' ? '日本語' : 'English'}
                </span>
              ) : (
                <a href={`/lang/${l}?return=${back}`} lang={l} hreflang={l}>
                  {l === 'ja' ? '日本語' : 'English'}
                </a>
              ),
            )}
          </nav>
        </header>
        <main id="main" class="card">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function FieldError(props: { id: string; message?: string | undefined }) {
  if (!props.message) return null;
  return (
    <p class="field-error" id={props.id} role="alert">
      {props.message}
    </p>
  );
}

export function FormError(props: { message?: string | undefined }) {
  if (!props.message) return null;
  return (
    <div class="form-error" role="alert" id="form-error">
      {props.message}
    </div>
  );
}

export function PasswordInput(props: {
  page: PageContext;
  id: string;
  name: string;
  label: string;
  autocomplete: 'current-password' | 'new-password';
  error?: string | undefined;
  describedBy?: string | undefined;
  autofocus?: boolean;
}) {
  const { t } = props.page;
  const errorId = `${props.id}-error`;
  const described = [props.error ? errorId : undefined, props.describedBy].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <div class="password-wrap">
        <input
          type="password"
          id={props.id}
          name={props.name}
          autocomplete={props.autocomplete}
          required
          maxLength={256}
          autofocus={props.autofocus}
          aria-invalid={props.error ? 'true' : undefined}
          aria-describedby={described}
        />
        <button
          type="button"
          class="toggle-password"
          data-target={props.id}
          data-show={t('login.showPassword')}
          data-hide={t('login.hidePassword')}
          aria-pressed="false"
          aria-controls={props.id}
          hidden
        >
          {t('login.showPassword')}
        </button>
      </div>
      <FieldError id={errorId} message={props.error} />
    </div>
  );
}
