/* The pages of signing in. Each takes plain data and returns HTML; routes decide which one. */
import type { PasswordProblem } from '../../accounts/password-policy.js'
import type { Role } from '../../db/schema.js'
import type { BindingReason } from '../../login/transaction.js'
import { fullStopAfter } from '../../person/full-name.js'
import type { LoginMethods, UpcomingChange } from '../../regions/policy.js'
import { csrfField, html, layout, type PageContext, type SafeHtml } from '../html.js'
import { errorCodeLine, explainError } from './error.js'
import { passkeyForm } from './factor.js'
import { helpPath } from './help.js'

export interface RegionChoice {
  code: string
  name: string
}

/** The regions as buttons (the page's main action), then a search for a region not in the list. */
export function regionSelectionPage(context: PageContext, regions: readonly RegionChoice[], query: string): string {
  const { t } = context
  return layout(
    context,
    t.selectRegion,
    html`<p class="muted">${t.selectRegionHint}</p>
${regions.length === 0 ? html`<p class="notice" role="status">${t.noRegionFound}</p>` : ''}
<ul class="regions" aria-label="${t.regionListLabel}">${regions.map((region) => html`<li><a class="button" href="/login?region=${region.code}">${region.name} <span class="code">${region.code}</span></a></li>`)}</ul>
<form method="get" action="/login" role="search" class="search">
<input type="hidden" name="choose" value="1">
<label for="q">${t.searchRegion}</label>
<p class="muted">${t.searchRegionHint}</p>
<input type="search" id="q" name="q" value="${query}" autocomplete="off">
<button type="submit" class="secondary">${t.search}</button>
</form>`,
  )
}

function upcomingNotice(context: PageContext, change: UpcomingChange | undefined): SafeHtml | '' {
  if (change === undefined) return ''
  const { t } = context
  const day = change.at.toISOString().slice(0, 10)
  const date = context.locale === 'ru' ? day.split('-').reverse().join('.') : day
  const { password, stateServices } = change.methods
  const what =
    stateServices && password
      ? t.upcoming.both
      : stateServices
        ? t.upcoming.stateServicesOnly
        : password
          ? t.upcoming.passwordOnly
          : t.upcoming.none
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
${csrfField(options.csrfToken)}
<label for="login">${context.t.diaryLogin}</label>
<input type="text" id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${options.login ?? ''}">
<label for="password">${context.t.diaryPassword}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">${submit}</button>
</form>`
}

export function regionLoginPage(
  context: PageContext,
  page: {
    region: RegionChoice
    methods: LoginMethods
    upcoming?: UpcomingChange
    csrfToken: string
    error?: string
    login?: string
    notice?: string
    /** WebAuthn options of "sign in with a passkey" (offered with password sign-in). */
    passkeyOptions?: unknown
  },
): string {
  const { t } = context
  const button = page.methods.stateServices
    ? html`<a class="button state-services" href="/login/state-services">${t.stateServicesButton}</a>`
    : ''
  const form = page.methods.password
    ? html`${passwordForm(context, '/login/password', t.signIn, page)}
<p><a href="/password/forgot">${t.forgotPassword}</a></p>${
        page.passkeyOptions === undefined
          ? ''
          : html`<div class="passkey-sign-in">${passkeyForm(context, {
              action: '/login/passkey',
              ceremony: 'get',
              options: page.passkeyOptions,
              csrfToken: page.csrfToken,
              submit: t.factor.signInWithPasskey,
            })}</div>`
      }`
    : ''
  const none = !page.methods.password && !page.methods.stateServices ? html`<p class="notice">${t.noMethods}</p>` : ''
  return layout(
    context,
    t.loginTitle,
    html`${page.notice ? html`<p class="notice" role="status">${page.notice}</p>` : ''}<p>${page.region.name} · <a href="/login?choose=1">${t.changeRegion}</a></p>
${upcomingNotice(context, page.upcoming)}${button}${button && form ? html`<p class="or">${t.or}</p>` : ''}${form}${none}
<p><a href="${context.help ?? helpPath(page.region.code)}">${t.help.loginLink}</a></p>`,
  )
}

/**
 * The binding page: why (or the refusal), whom State Services named, the diary login and password, and
 * a way out: back to the login page, or to the account page when the signed-in owner links a diary.
 * The "link a diary" variants say what to type in their notice only.
 */
export function bindingPage(
  context: PageContext,
  page: {
    maskedName: string
    reason: BindingReason
    csrfToken: string
    error?: string
    login?: string
    /** A binding the rules refused: its public code, shown with what to do next. */
    refusal?: { code: string; requestId: string }
  },
): string {
  const { t } = context
  const fromAccount = page.reason === 'link_another' || page.reason === 'link_account'
  const refusal = page.refusal && explainError(context, page.refusal.code)
  const cancel = fromAccount
    ? html`<a href="/account">${t.bindingCancelToAccount}</a>`
    : html`<a href="/login">${t.bindingCancelToLogin}</a>`
  return layout(
    context,
    t.bindingTitle,
    html`${refusal ? html`<div class="error" role="alert"><p><strong>${refusal.what}</strong></p><p>${refusal.next}</p></div>` : html`<p class="notice">${t.bindingReason[page.reason]}</p>`}
<p>${t.bindingIntro} <strong>${page.maskedName}</strong>${fullStopAfter(page.maskedName)}</p>
${fromAccount ? '' : html`<p>${t.bindingAction}</p>`}
${passwordForm(context, '/link', page.reason === 'link_another' ? t.bindAnother : page.reason === 'link_account' ? t.linkStateServices : t.bind, page)}
<p><a href="${context.help ?? '/help'}">${t.help.errorLink}</a></p>
<p class="cancel">${cancel}</p>
${page.refusal ? errorCodeLine(context, page.refusal.code, page.refusal.requestId) : ''}`,
  )
}

export interface AccountChoiceView {
  accountId: string
  school: string | null
  className: string | null
  role: Role
  regionName: string
  maskedName: string
  lastChosen: boolean
}

/** The chooser: one button per linked diary of the region, the last chosen first and marked. */
export function chooseAccountPage(
  context: PageContext,
  page: { csrfToken: string; accounts: readonly AccountChoiceView[] },
): string {
  const { t } = context
  const items = page.accounts.map(
    (
      account,
    ) => html`<li><form method="post" action="/login/choose-account">${csrfField(page.csrfToken)}<input type="hidden" name="account" value="${account.accountId}">
<button type="submit" class="${account.lastChosen ? '' : 'secondary'}">${account.school ?? t.chooseAccountNoSchool}${account.className ? html`, ${account.className}` : ''} · ${t.roles[account.role]} · ${account.maskedName}</button>
${account.lastChosen ? html` <span class="tag">${t.chooseAccountLast}</span>` : ''}<br><span class="muted">${account.regionName}</span></form></li>`,
  )
  return layout(
    context,
    t.chooseAccountTitle,
    html`<p>${t.chooseAccountIntro}</p>
<ul class="items">${items}</ul>`,
  )
}

export type PasswordFormProblem = PasswordProblem | 'wrong_current'

/** The form for a new password, twice; with `askCurrent` the current one first (account page). */
export function newPasswordForm(
  context: PageContext,
  form: { action: string; submit: string; csrfToken: string; problem?: PasswordFormProblem; askCurrent?: boolean },
): SafeHtml {
  const { t } = context
  return html`<form method="post" action="${form.action}">
${form.problem ? html`<p class="error" role="alert">${t.passwordProblems[form.problem]}</p>` : ''}
${csrfField(form.csrfToken)}
${
  form.askCurrent
    ? html`<label for="current">${t.currentPassword}</label>
<input type="password" id="current" name="current" autocomplete="current-password" required>`
    : ''
}
<label for="password">${t.newPassword}</label>
<input type="password" id="password" name="password" autocomplete="new-password" minlength="8" maxlength="128" required aria-describedby="password-rules">
<p class="muted" id="password-rules">${t.passwordRules}</p>
<label for="repeat">${t.repeatPassword}</label>
<input type="password" id="repeat" name="repeat" autocomplete="new-password" required>
<button type="submit">${form.submit}</button>
</form>`
}

export function passwordChangePage(
  context: PageContext,
  page: { csrfToken: string; problem?: PasswordProblem },
): string {
  const { t } = context
  return layout(
    context,
    t.passwordChangeTitle,
    html`<p class="notice">${t.passwordChangeIntro}</p>
${newPasswordForm(context, { action: '/password/change', submit: t.savePassword, ...page })}`,
  )
}
