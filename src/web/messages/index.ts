/*
 * Every text a person reads, in Russian and English (ru.ts, en.ts). Error texts say what happened and
 * what to do next; they are keyed by the stable public error code shown on the page.
 */
import { en } from './en.js'
import { type Messages, ru } from './ru.js'

export type Locale = 'ru' | 'en'
export const locales: readonly Locale[] = ['ru', 'en']

export const messages: Record<Locale, Messages> = { ru, en }
export type { Messages }

/** `?lang=`, then the `lang` cookie, then Accept-Language, then the configured default. */
export function pickLocale(
  query: string | undefined,
  cookie: string | undefined,
  acceptLanguage: string | undefined,
  fallback: Locale,
): Locale {
  for (const candidate of [query, cookie]) {
    if (candidate === 'ru' || candidate === 'en') return candidate
  }
  const preferred = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', q] = part.trim().split(';q=')
      return { lang: tag.slice(0, 2).toLowerCase(), q: q === undefined ? 1 : Number(q) }
    })
    .filter((entry) => entry.lang === 'ru' || entry.lang === 'en')
    .sort((a, b) => b.q - a.q)
  return (preferred[0]?.lang as Locale | undefined) ?? fallback
}
