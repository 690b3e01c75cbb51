/*
 * Server-rendered HTML: one escaping function for every interpolated value, one page layout.
 * No third-party resources; one stylesheet served by the bridge itself.
 */
import type { Locale, Messages } from './messages/index.js'

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (character) => entities[character] ?? character)
}

/** A tagged template whose interpolations are escaped unless they are already `SafeHtml`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

type Interpolation = string | number | SafeHtml | undefined | null | false | readonly Interpolation[]

function render(value: Interpolation): string {
  if (value === undefined || value === null || value === false) return ''
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join('')
  return escapeHtml(value as string | number)
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  return new SafeHtml(
    strings.reduce((out, string, index) => out + string + (index < values.length ? render(values[index]) : ''), ''),
  )
}

/** A message with its `{name}` placeholders filled in (the text is escaped where it is interpolated, like any other). */
export function fillIn(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : placeholder,
  )
}

/** The CSRF token of a form, as every form of the bridge sends it. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`
}

/** A moment as people of the page's language read it, in the region's time zone. */
export function formatWhen(context: PageContext, when: Date, timeZone: string): string {
  return new Intl.DateTimeFormat(context.locale === 'ru' ? 'ru-RU' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
  }).format(when)
}

export interface PageContext {
  locale: Locale
  t: Messages
  /** The current path and query without `lang`, to build the language switch. */
  path: string
  /** Where the page's help link leads (pages/help.ts `helpPath`); default: the help page's region list. */
  help?: string
}

function languageSwitch(context: PageContext): SafeHtml {
  const separator = context.path.includes('?') ? '&' : '?'
  const other: Locale = context.locale === 'ru' ? 'en' : 'ru'
  return html`<a class="lang" href="${context.path}${separator}lang=${other}" hreflang="${other}" lang="${other}">${
    other === 'ru' ? 'Русский' : 'English'
  }</a>`
}

export function layout(context: PageContext, title: string, body: SafeHtml): string {
  return `<!doctype html>${
    html`<html lang="${context.t.htmlLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${context.t.serviceName}</title>
<link rel="stylesheet" href="/assets/bridge.css">
</head>
<body>
<header><span class="service">${context.t.serviceName}</span>${languageSwitch(context)}</header>
<main>
<h1>${title}</h1>
${body}
</main>
<footer><a href="${context.help ?? '/help'}">${context.t.help.link}</a></footer>
</body>
</html>`.value
  }`
}

export const stylesheet = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f4f6f8}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.75rem 1rem;background:#fff;border-bottom:1px solid #dde2e7}
main{max-width:28rem;margin:1.5rem auto;padding:1.25rem;background:#fff;border:1px solid #dde2e7;border-radius:.5rem}
h1{font-size:1.4rem;margin:0 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password],input[type=search],input[type=email],input[type=tel]{width:100%;padding:.6rem;font:inherit;border:1px solid #8a949e;border-radius:.35rem}
button,.button{display:block;width:100%;margin-top:1rem;padding:.7rem;font:inherit;font-weight:600;text-align:center;text-decoration:none;border:0;border-radius:.35rem;background:#0b5cad;color:#fff;cursor:pointer}
.button.state-services,button.state-services{background:#0d4cd3}
button.secondary,.button.secondary{background:#fff;color:#0b5cad;border:1px solid #0b5cad}
form.inline button{display:inline-block;width:auto;margin:.25rem 0 0;padding:.35rem .75rem}
ul.items{list-style:none;padding:0}ul.items li{margin:.5rem 0;padding:.5rem 0;border-bottom:1px solid #eef0f2}
.tag{font-size:.8rem;padding:.1rem .4rem;border-radius:.25rem;background:#e6f4ea;color:#1e6b34}
:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.error{padding:.75rem;border-radius:.35rem;background:#fdecea;color:#8a1c12}
.notice{padding:.75rem;border-radius:.35rem;background:#eef4fb}
.or{text-align:center;color:#5a6570;margin:1rem 0 0}
.muted{color:#5a6570;font-size:.9rem}
select{width:100%;padding:.6rem;font:inherit;border:1px solid #8a949e;border-radius:.35rem;background:#fff}
.card{padding:.75rem;border-radius:.35rem;background:#eef4fb}.card p{margin:0 0 .5rem}
footer{max-width:28rem;margin:0 auto 1.5rem;text-align:center;font-size:.9rem}
.who{display:flex;justify-content:space-between;align-items:center;gap:1rem}.who p{margin:0}.who button{width:auto;margin:0;padding:.35rem 1rem}
.cancel{text-align:center;margin:1rem 0 0}
ul.regions a.button{display:flex;justify-content:space-between;gap:1rem;margin-top:.5rem;text-align:left}ul.regions .code{font-weight:400;opacity:.8}
form.search{margin-top:1.5rem;padding-top:.5rem;border-top:1px solid #eef0f2}form.search .muted{margin:0 0 .25rem}
.support{color:#5a6570;font-size:.75rem;margin-top:2rem;overflow-wrap:anywhere}
ul.regions{list-style:none;padding:0;margin:1rem 0 0}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
`
