/* The pages a person sees. Each takes plain data and returns HTML; routes decide which one. */
import type { PasswordProblem } from '../accounts/password-policy.js'
import type { Role } from '../db/schema.js'
import type { NeedsPasswordReason } from '../linking/match.js'
import type { LoginMethods, UpcomingChange } from '../regions/policy.js'
import { html, layout, type PageContext, type SafeHtml } from './html.js'

export interface RegionChoice {
  code: string
  name: string
}

export function regionSelectionPage(context: PageContext, regions: readonly RegionChoice[], query: string): string {
  const { t } = context
  return layout(
    context,
    t.selectRegion,
    html`<p class="muted">${t.selectRegionHint}</p>
<form method="get" action="/login" role="search">
<input type="hidden" name="choose" value="1">
<label for="q">${t.searchRegion}</label>
<input type="search" id="q" name="q" value="${query}" autocomplete="off">
<button type="submit">${t.search}</button>
</form>
${regions.length === 0 ? html`<p class="notice" role="status">${t.noRegionFound}</p>` : ''}
<ul class="regions">${regions.map((region) => html`<li><a href="/login?region=${region.code}">${region.name}</a> <span class="muted">(${region.code})</span></li>`)}</ul>`,
  )
}

function upcomingNotice(context: PageContext, change: UpcomingChange | undefined): SafeHtml | '' {
  if (change === undefined) return ''
  const { t } = context
  const day = change.at.toISOString().slice(0, 10)
  const date = context.locale === 'ru' ? day.split('-').reverse().join('.') : day
  const { password, stateServices } = change.methods
  const what = stateServices && password ? t.upcoming.both : stateServices ? t.upcoming.stateServicesOnly : password ? t.upcoming.passwordOnly : t.upcoming.none
  return html`<p class="notice" role="status"><strong>${t.upcoming.prefix} ${date}</strong> ${what}</p>`
}

function passwordForm(
  context: PageContext,
  action: string,
  submit: string,
  options: { csrfToken: string; error?: string; login?: string },
) {
  return html`<form method="post" action="${action}">
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
<input type="hidden" name="_csrf" value="${options.csrfToken}">
<label for="login">${context.t.diaryLogin}</label>
<input type="text" id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${options.login ?? ''}">
<label for="password">${context.t.diaryPassword}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">${submit}</button>
</form>`
}

export function regionLoginPage(
  context: PageContext,
  page: { region: RegionChoice; methods: LoginMethods; upcoming?: UpcomingChange; csrfToken: string; error?: string; login?: string },
): string {
  const { t } = context
  const button = page.methods.stateServices
    ? html`<a class="button state-services" href="/login/state-services">${t.stateServicesButton}</a>`
    : ''
  const form = page.methods.password ? passwordForm(context, '/login/password', t.signIn, page) : ''
  const none = !page.methods.password && !page.methods.stateServices ? html`<p class="notice">${t.noMethods}</p>` : ''
  return layout(
    context,
    t.loginTitle,
    html`<p>${page.region.name} · <a href="/login?choose=1">${t.changeRegion}</a></p>
${upcomingNotice(context, page.upcoming)}${button}${button && form ? html`<p class="or">${t.or}</p>` : ''}${form}${none}`,
  )
}

export function bindingPage(
  context: PageContext,
  page: { maskedName: string; reason: NeedsPasswordReason; csrfToken: string; error?: string; login?: string },
): string {
  const { t } = context
  return layout(
    context,
    t.bindingTitle,
    html`<p class="notice">${t.bindingReason[page.reason]}</p>
<p>${t.bindingIntro} <strong>${page.maskedName}</strong>.</p>
<p>${t.bindingAction}</p>
${passwordForm(context, '/link', t.bind, page)}`,
  )
}

export function errorPage(context: PageContext, error: { code: string; requestId: string; retryAfterSeconds?: number }): string {
  const { t } = context
  const [what, template] = t.errors[error.code] ?? t.errors.server_error ?? ['', '']
  const next = template.replace('{minutes}', String(Math.max(1, Math.ceil((error.retryAfterSeconds ?? 60) / 60))))
  return layout(
    context,
    t.errorTitle,
    html`<p class="error" role="alert">${what}</p>
<p>${next}</p>
<p><a class="button" href="/login">${t.startAgain}</a></p>
<p class="muted">${t.errorCode}: <code>${error.code}</code> · ${t.requestId}: <code>${error.requestId}</code></p>`,
  )
}

export interface AccountView {
  login: string
  fullName: string
  role: Role
  regionName: string
  school: string | null
  className: string | null
  method: 'password' | 'state_services'
  linked: 'auto_snils' | 'password' | undefined
}

export function accountPage(context: PageContext, account: AccountView): string {
  const { t } = context
  const linked = account.linked === undefined ? t.notLinked : account.linked === 'auto_snils' ? t.linkedAuto : t.linkedPassword
  return layout(
    context,
    t.accountTitle,
    html`<p><strong>${account.fullName}</strong></p>
<dl>
<dt>${t.accountLogin}</dt><dd>${account.login}</dd>
<dt>${t.accountRole}</dt><dd>${t.roles[account.role]}</dd>
<dt>${t.accountRegion}</dt><dd>${account.regionName}</dd>
${account.school ? html`<dt>${t.accountSchool}</dt><dd>${account.school}</dd>` : ''}
${account.className ? html`<dt>${t.accountClass}</dt><dd>${account.className}</dd>` : ''}
<dt>${t.accountMethod}</dt><dd>${account.method === 'password' ? t.methodPassword : t.methodStateServices}</dd>
<dt>${t.linkedIdentities}</dt><dd>${linked}</dd>
</dl>
<p><a class="button" href="/logout">${t.logout}</a></p>`,
  )
}

export function passwordChangePage(context: PageContext, page: { csrfToken: string; problem?: PasswordProblem }): string {
  const { t } = context
  return layout(
    context,
    t.passwordChangeTitle,
    html`<p class="notice">${t.passwordChangeIntro}</p>
<form method="post" action="/password/change">
${page.problem ? html`<p class="error" role="alert">${t.passwordProblems[page.problem]}</p>` : ''}
<input type="hidden" name="_csrf" value="${page.csrfToken}">
<label for="password">${t.newPassword}</label>
<input type="password" id="password" name="password" autocomplete="new-password" minlength="8" maxlength="128" required aria-describedby="password-rules">
<p class="muted" id="password-rules">${t.passwordRules}</p>
<label for="repeat">${t.repeatPassword}</label>
<input type="password" id="repeat" name="repeat" autocomplete="new-password" required>
<button type="submit">${t.savePassword}</button>
</form>`,
  )
}
