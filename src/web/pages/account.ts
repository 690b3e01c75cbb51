/*
 * The owner's pages: the account page, the confirmation asked before unlinking, and the page behind an
 * e-mail confirmation link. The account page's sections come in the order people look for them:
 *   "Sign out" at the top; who you are and which diary; change password; e-mail and phone; signing in
 *   with State Services (links, "link State Services" after a password sign-in, the person's diaries and
 *   "link another diary"); where you are signed in and "sign out everywhere"
 * Every form carries its CSRF token. A region without State Services shows nothing about it.
 */
import type { Role, SessionMethod } from '../../db/schema.js'
import { linkAccountPath } from '../../login/link-own.js'
import { logoutConfirmPath } from '../../login/logout.js'
import { csrfField, fillIn, formatWhen, html, layout, type PageContext, type SafeHtml } from '../html.js'
import { newPasswordForm, type PasswordFormProblem } from './login.js'

export interface AccountPageView {
  csrfToken: string
  fullName: string
  login: string
  role: Role
  regionName: string
  school: string | null
  className: string | null
  method: SessionMethod
  timeZone: string
  notice?: string
  returnTo?: { name: string; url: string }
  stateServices: boolean
  /** `verified`: the provider vouched for the person who made the link. */
  links: { id: string; providerName: string; createdAt: Date; method: 'auto_snils' | 'password'; verified: boolean }[]
  /** Links a password change ended lately (bindings by password of unverified persons). */
  endedLinks: { providerName: string; linkedAt: Date | undefined; endedAt: Date }[]
  sessions: { current: boolean; browser: string | null; method: SessionMethod; createdAt: Date; lastSeenAt: Date }[]
  passwordProblem?: PasswordFormProblem
  /** Masked (person/contact.ts). */
  contacts: { email: string | null; emailVerified: boolean; phone: string | null; phoneVerified: boolean }
  /** Which confirmations the bridge can send. */
  senders: { email: boolean; sms: boolean }
  phoneCodeWaiting: boolean
  /** A refused contact form: what to fix. */
  contactProblem?: string
  /** The diaries linked to the State Services person of this sign-in (names masked); empty otherwise. */
  identityAccounts: { school: string | null; role: Role; regionName: string; maskedName: string; current: boolean }[]
  canLinkAnother: boolean
  /** Signed in with the password, no link yet, and the region offers State Services now. */
  canLinkStateServices: boolean
}

const methodName = (context: PageContext, method: SessionMethod) =>
  ({
    password: context.t.methodPassword,
    state_services: context.t.methodStateServices,
    passkey: context.t.methodPasskey,
  })[method]

function endedLinksList(context: PageContext, page: AccountPageView): SafeHtml | '' {
  const { t } = context
  if (page.endedLinks.length === 0) return ''
  const items = page.endedLinks.map(
    (
      link,
    ) => html`<li><strong>${link.providerName}</strong>${link.linkedAt === undefined ? '' : html`, ${t.linkedPassword} ${formatWhen(context, link.linkedAt, page.timeZone)}`}<br>
<span class="muted">${t.endedLinkOn} ${formatWhen(context, link.endedAt, page.timeZone)}</span></li>`,
  )
  return html`<h3>${t.endedLinksTitle}</h3>
<ul class="items">${items}</ul>
<p class="muted">${t.endedLinksHint}</p>`
}

function linksSection(context: PageContext, page: AccountPageView): SafeHtml | '' {
  const { t } = context
  if (!page.stateServices) return ''
  const items = page.links.map(
    (
      link,
    ) => html`<li><strong>${link.providerName}</strong>, ${link.method === 'auto_snils' ? t.linkedAuto : t.linkedPassword}, ${t.linkedOn} ${formatWhen(context, link.createdAt, page.timeZone)}
${link.verified ? html`<span class="tag">${t.linkVerified}</span>` : html`<br><span class="muted">${t.linkUnverified}</span>`}
<form method="post" action="/account/unlink" class="inline">${csrfField(page.csrfToken)}<input type="hidden" name="link" value="${link.id}"><button type="submit" class="secondary">${t.unlink}</button></form></li>`,
  )
  const linkButton = page.canLinkStateServices
    ? html`<form method="post" action="${linkAccountPath}">${csrfField(page.csrfToken)}<button type="submit" class="state-services">${t.linkStateServices}</button></form>
<p class="muted">${t.linkStateServicesHint}</p>`
    : ''
  return html`<h2 id="links">${t.linkedIdentities}</h2>
${page.links.length === 0 ? html`<p>${t.notLinked}</p>` : html`<ul class="items">${items}</ul><p class="muted">${t.unlinkHint}</p>`}
${linkButton}
${endedLinksList(context, page)}
${identityAccountsSection(context, page)}`
}

function identityAccountsSection(context: PageContext, page: AccountPageView): SafeHtml | '' {
  const { t } = context
  if (page.identityAccounts.length === 0 && !page.canLinkAnother) return ''
  const items = page.identityAccounts.map(
    (
      account,
    ) => html`<li><strong>${account.school ?? t.chooseAccountNoSchool}</strong> · ${t.roles[account.role]} · ${account.maskedName}${account.current ? html` <span class="tag">${t.identityAccountCurrent}</span>` : ''}<br>
<span class="muted">${account.regionName}</span></li>`,
  )
  return html`<h3 id="diaries">${t.identityAccountsTitle}</h3>
${page.identityAccounts.length === 0 ? '' : html`<ul class="items">${items}</ul><p class="muted">${t.identityAccountsHint}</p>`}
${
  page.canLinkAnother
    ? html`<form method="post" action="/account/link-another">${csrfField(page.csrfToken)}<button type="submit" class="secondary">${t.linkAnother}</button></form>
<p class="muted">${t.linkAnotherHint}</p>`
    : ''
}`
}

function sessionsSection(context: PageContext, page: AccountPageView): SafeHtml {
  const { t } = context
  const items = page.sessions.map(
    (
      session,
    ) => html`<li><strong>${session.browser ?? t.unknownBrowser}</strong>${session.current ? html` <span class="tag">${t.thisSession}</span>` : ''}<br>
<span class="muted">${methodName(context, session.method)} · ${t.sessionStarted} ${formatWhen(context, session.createdAt, page.timeZone)} · ${t.sessionLastUsed} ${formatWhen(context, session.lastSeenAt, page.timeZone)}</span></li>`,
  )
  return html`<h2>${t.sessionsTitle}</h2>
<ul class="items">${items}</ul>
<form method="post" action="/account/sign-out-everywhere">${csrfField(page.csrfToken)}<button type="submit" class="secondary">${t.signOutEverywhere}</button></form>
<p class="muted">${t.signOutEverywhereHint}</p>`
}

/** A contact and its state, in words that agree with the field's gender («почта подтверждена», «телефон подтверждён»). */
function contactLine(
  state: { none: string; verified: string; unverified: string },
  value: string | null,
  verified: boolean,
  confirm: SafeHtml | '',
): SafeHtml {
  if (value === null) return html`<span class="muted">${state.none}</span>`
  return html`${value} ${verified ? html`<span class="tag">${state.verified}</span>` : html`<span class="muted">(${state.unverified})</span>${confirm}`}`
}

function contactsSection(context: PageContext, page: AccountPageView): SafeHtml {
  const { contacts } = context.t
  const { email, emailVerified, phone, phoneVerified } = page.contacts
  const confirmCurrent = (action: string, label: string) =>
    html`<form method="post" action="${action}" class="inline">${csrfField(page.csrfToken)}<button type="submit" class="secondary">${label}</button></form>`
  const confirmEmail = page.senders.email ? confirmCurrent('/account/email', contacts.confirmCurrentEmail) : ''
  const confirmPhone =
    page.senders.sms && !page.phoneCodeWaiting ? confirmCurrent('/account/phone', contacts.confirmCurrentPhone) : ''
  const emailForms = page.senders.email
    ? html`<form method="post" action="/account/email">${csrfField(page.csrfToken)}
<label for="email">${contacts.newEmail}</label>
<input type="email" id="email" name="email" autocomplete="email" maxlength="254" required>
<button type="submit" class="secondary">${contacts.sendLink}</button>
</form>`
    : ''
  const phoneForms = page.senders.sms
    ? html`${
        page.phoneCodeWaiting
          ? html`<form method="post" action="/account/phone/confirm">${csrfField(page.csrfToken)}
<p class="notice">${contacts.codeWaiting}</p>
<label for="code">${contacts.code}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required>
<button type="submit">${contacts.confirmCode}</button>
</form>`
          : ''
      }
<form method="post" action="/account/phone">${csrfField(page.csrfToken)}
<label for="phone">${contacts.newPhone}</label>
<input type="tel" id="phone" name="phone" autocomplete="tel" maxlength="32" required>
<button type="submit" class="secondary">${contacts.sendCode}</button>
</form>`
    : ''
  return html`<h2 id="contacts">${contacts.title}</h2>
<p class="muted">${contacts.hint}</p>
${page.contactProblem ? html`<p class="error" role="alert">${page.contactProblem}</p>` : ''}
<dl>
<dt>${contacts.email}</dt><dd>${contactLine(contacts.emailState, email, emailVerified, confirmEmail)}</dd>
<dt>${contacts.phone}</dt><dd>${contactLine(contacts.phoneState, phone, phoneVerified, confirmPhone)}</dd>
</dl>
${emailForms}
${phoneForms}`
}

export function accountPage(context: PageContext, page: AccountPageView): string {
  const { t } = context
  return layout(
    context,
    t.accountTitle,
    html`<div class="who"><p>${t.accountWho} <strong>${page.fullName}</strong></p>
<form method="post" action="${logoutConfirmPath}">${csrfField(page.csrfToken)}<button type="submit" class="secondary">${t.logout}</button></form></div>
${page.notice ? html`<p class="notice" role="status">${page.notice}</p>` : ''}
${page.returnTo ? html`<p><a class="button" href="${page.returnTo.url}">${fillIn(t.backTo, { client: page.returnTo.name })}</a></p>` : ''}
<dl>
<dt>${t.accountLogin}</dt><dd>${page.login}</dd>
<dt>${t.accountRole}</dt><dd>${t.roles[page.role]}</dd>
<dt>${t.accountRegion}</dt><dd>${page.regionName}</dd>
${page.school ? html`<dt>${t.accountSchool}</dt><dd>${page.school}</dd>` : ''}
${page.className ? html`<dt>${t.accountClass}</dt><dd>${page.className}</dd>` : ''}
<dt>${t.accountMethod}</dt><dd>${methodName(context, page.method)}</dd>
</dl>
<h2 id="change-password">${t.changePasswordTitle}</h2>
<p class="muted">${t.changePasswordHint}</p>
${newPasswordForm(context, { action: '/account/password', submit: t.changePassword, csrfToken: page.csrfToken, problem: page.passwordProblem, askCurrent: true })}
<h2 id="second-step">${t.security.title}</h2>
<p><a href="/account/security">${t.security.link}</a></p>
${contactsSection(context, page)}
${linksSection(context, page)}
${sessionsSection(context, page)}`,
  )
}

/** Asked before unlinking when the last sign-in is older than 5 minutes. */
export function confirmationPage(
  context: PageContext,
  page: { csrfToken: string; linkId: string; stateServices: boolean; wrongPassword?: boolean },
): string {
  const { t } = context
  return layout(
    context,
    t.confirmTitle,
    html`<form method="post" action="/account/unlink">
${page.wrongPassword ? html`<p class="error" role="alert">${t.wrongPassword}</p>` : ''}
${csrfField(page.csrfToken)}<input type="hidden" name="link" value="${page.linkId}">
<label for="password">${t.confirmIntro}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">${t.confirmAndUnlink}</button>
</form>
${
  page.stateServices
    ? html`<p class="or">${t.or}</p>
<form method="post" action="/account/unlink/state-services">${csrfField(page.csrfToken)}<input type="hidden" name="link" value="${page.linkId}"><button type="submit" class="state-services">${t.confirmWithStateServices}</button></form>`
    : ''
}
<p><a href="/account">${t.accountTitle}</a></p>`,
  )
}

export function signedOutPage(context: PageContext, notice: string): string {
  return layout(
    context,
    context.t.signOutEverywhere,
    html`<p class="notice" role="status">${notice}</p>
<p><a class="button" href="/login">${context.t.signIn}</a></p>`,
  )
}

/** Behind the link of a confirmation e-mail: a button, so that a mail scanner that opens links confirms nothing. */
export function confirmEmailPage(
  context: PageContext,
  page: { csrfToken: string; token: string } | { confirmed: true },
): string {
  const { contacts } = context.t
  const body =
    'confirmed' in page
      ? html`<p class="notice" role="status">${contacts.emailConfirmed}</p>
<p><a class="button" href="/account">${contacts.toAccount}</a></p>`
      : html`<form method="post" action="/account/email/confirm">${csrfField(page.csrfToken)}<input type="hidden" name="token" value="${page.token}">
<p>${contacts.confirmEmailIntro}</p>
<button type="submit">${contacts.confirmEmail}</button>
</form>`
  return layout(context, contacts.confirmEmailTitle, body)
}
