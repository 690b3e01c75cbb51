/*
 * The page of every failure: what happened, what to do next, and below it, small, the stable code and
 * the request number labelled for the support desk (a parent reads the first two; support asks for the rest).
 */
import { fillIn, html, layout, type PageContext, type SafeHtml } from '../html.js'

/** The explanation of a public error code: what happened and what to do next. */
export function explainError(
  context: PageContext,
  code: string,
  retryAfterSeconds?: number,
): { what: string; next: string } {
  const { t } = context
  const [what, template] = t.errors[code] ?? t.errors.server_error ?? ['', '']
  return { what, next: fillIn(template, { minutes: Math.max(1, Math.ceil((retryAfterSeconds ?? 60) / 60)) }) }
}

/** The code line shown under an error and its next step, for a call to the support desk. */
export function errorCodeLine(context: PageContext, code: string, requestId: string): SafeHtml {
  const { t } = context
  return html`<p class="support">${t.supportDesk}: ${t.errorCode} <code>${code}</code>, ${t.requestId} <code>${requestId}</code></p>`
}

export function errorPage(
  context: PageContext,
  error: { code: string; requestId: string; retryAfterSeconds?: number },
): string {
  const { what, next } = explainError(context, error.code, error.retryAfterSeconds)
  return layout(
    context,
    context.t.errorTitle,
    html`<p class="error" role="alert">${what}</p>
<p>${next}</p>
<p><a class="button" href="/login">${context.t.startAgain}</a></p>
<p><a href="${context.help ?? '/help'}">${context.t.help.errorLink}</a></p>
${errorCodeLine(context, error.code, error.requestId)}`,
  )
}
