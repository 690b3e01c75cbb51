/*
 * What the owner sees of a session's browser (pure): the browser family and the system, e.g.
 * "Chrome · Android", never the full User-Agent (it is close to a fingerprint).
 * - the first known family in a fixed order wins (Edge and Yandex and Opera also say "Chrome";
 *   Chrome also says "Safari")
 * - unknown or missing: undefined
 */

const browsers: readonly [RegExp, string][] = [
  [/YaBrowser\//, 'Yandex Browser'],
  [/Edg(e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/SamsungBrowser\//, 'Samsung Internet'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/Chrome\/|Chromium\/|CriOS\//, 'Chrome'],
  [/Safari\//, 'Safari'],
]

const systems: readonly [RegExp, string][] = [
  [/Android/, 'Android'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
]

export function describeBrowser(userAgent: string | undefined): string | undefined {
  if (userAgent === undefined || userAgent === '') return undefined
  const browser = browsers.find(([pattern]) => pattern.test(userAgent))?.[1]
  const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1]
  if (browser === undefined && system === undefined) return undefined
  return [browser, system].filter(Boolean).join(' · ')
}
