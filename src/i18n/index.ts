import { type Locale, locales } from '../model.js';
import { type MessageKey, en } from './en.js';
import { ja } from './ja.js';

export type { MessageKey } from './en.js';

const catalogues: Record<Locale, Record<MessageKey, string>> = { en, ja };

export const DEFAULT_LOCALE: Locale = 'ja';

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const catalogue = catalogues[locale];
  return (key, vars) => catalogue[key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars?.[name] ?? `{${name}}`));
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/** First supported language of a space- or comma-separated preference list (ui_locales, Accept-Language). */
export function pickLocale(list: string | undefined | null): Locale | undefined {
  if (!list) return undefined;
  const tags = list
    .split(/[\s,]+/)
    .map((part) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.find((p) => p.trim().startsWith('q='));
      return { tag: tag.trim().toLowerCase(), q: q ? Number(q.trim().slice(2)) : 1 };
    })
    .filter((t) => t.tag && t.q > 0);
  // Accept-Language carries weights; ui_locales is already in order (stable sort keeps it).
  tags.sort((a, b) => b.q - a.q);
  for (const { tag } of tags) {
    const primary = tag.split('-')[0];
    if (isLocale(primary)) return primary;
  }
  return undefined;
}

/**
 * The page language: an explicit choice on the switcher, then the request's ui_locales,
 * then the user's saved language, then Accept-Language, then Japanese.
 */
export function resolveLocale(input: {
  chosen?: string | undefined;
  uiLocales?: string | undefined;
  saved?: string | null | undefined;
  acceptLanguage?: string | undefined;
}): Locale {
  if (isLocale(input.chosen)) return input.chosen;
  return pickLocale(input.uiLocales) ?? (isLocale(input.saved) ? input.saved : undefined) ?? pickLocale(input.acceptLanguage) ?? DEFAULT_LOCALE;
}

export function formatTime(epochMs: number, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === 'ja' ? 'ja-JP' : 'en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'Asia/Tokyo',
    timeZoneName: 'short',
  }).format(new Date(epochMs));
}
