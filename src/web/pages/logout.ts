/*
 * The question RP-initiated logout asks when this browser's session cookie does not vouch for the
 * request (login/logout.ts): "Sign out of the diary?", a CSRF-protected form that sends the request's
 * parameters again, and a way to stay signed in.
 */
import { logoutConfirmPath, type LogoutParameters } from '../../login/logout.js'
import { csrfField, html, layout, type PageContext } from '../html.js'

export function logoutConfirmationPage(
  context: PageContext,
  page: { csrfToken: string; clientName: string | undefined; parameters: LogoutParameters },
): string {
  const { t } = context
  const fields = Object.entries(page.parameters).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )
  return layout(
    context,
    t.logoutConfirmTitle,
    html`${page.clientName ? html`<p>${t.logoutConfirmAskedBy.replace('{client}', page.clientName)}</p>` : ''}
<p class="muted">${t.logoutConfirmHint}</p>
<form method="post" action="${logoutConfirmPath}">${csrfField(page.csrfToken)}${fields}
<button type="submit">${t.logout}</button>
</form>
<p><a class="button secondary" href="/account">${t.logoutCancel}</a></p>`,
  )
}
