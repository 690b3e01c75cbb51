/*
 * The pages of "Forgot your password?" (login/password-recovery.ts). The answers after a request read
 * the same whether the login exists or not: they say what happens "if" it does.
 */
import type { PasswordProblem } from '../../accounts/password-policy.js'
import { csrfField, fillIn, html, layout, type PageContext, type SafeHtml } from '../html.js'
import { newPasswordForm } from './login.js'

export const forgotPasswordPath = '/password/forgot'
export const recoveryCodePath = '/password/forgot/code'

function schoolNotice(context: PageContext): SafeHtml {
  const { recovery } = context.t
  return html`<h2>${recovery.school}</h2>
<p class="muted">${recovery.schoolHint}</p>
<p><a href="${context.help ?? '/help'}">${context.t.help.errorLink}</a></p>`
}

export function forgotPasswordPage(
  context: PageContext,
  page: {
    csrfToken: string
    regionName: string
    ways: { stateServices: boolean; email: boolean; sms: boolean }
    login?: string
  },
): string {
  const { t } = context
  const { recovery } = t
  const { ways } = page
  const stateServices = ways.stateServices
    ? html`<h2>${recovery.stateServices}</h2>
<p class="muted">${recovery.stateServicesHint}</p>
<a class="button state-services" href="${forgotPasswordPath}/state-services">${t.stateServicesButton}</a>`
    : ''
  const contact =
    ways.email || ways.sms
      ? html`<h2>${recovery.byContact}</h2>
<form method="post" action="${forgotPasswordPath}">
${csrfField(page.csrfToken)}
<label for="login">${t.diaryLogin}</label>
<input type="text" id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${page.login ?? ''}">
<p class="muted">${recovery.byContactHint}</p>
${ways.email ? html`<button type="submit" name="via" value="email">${recovery.sendEmail}</button>` : ''}
${ways.sms ? html`<button type="submit" name="via" value="sms"${ways.email ? html` class="secondary"` : ''}>${recovery.sendSms}</button>` : ''}
</form>`
      : ''
  return layout(
    context,
    recovery.title,
    html`<p>${page.regionName} · <a href="/login">${t.signIn}</a></p>
<p>${recovery.intro}</p>
${stateServices}${contact}${schoolNotice(context)}`,
  )
}

export function emailSentPage(context: PageContext, page: { minutes: number }): string {
  const { recovery } = context.t
  return layout(
    context,
    recovery.emailSentTitle,
    html`<p class="notice" role="status">${fillIn(recovery.emailSent, page)}</p>
<p class="muted">${recovery.notArrived}</p>
<p><a href="${forgotPasswordPath}">${recovery.anotherWay}</a></p>
${schoolNotice(context)}`,
  )
}

export type CodeProblem = { kind: 'wrong'; attemptsLeft: number } | { kind: 'malformed' }

export function recoveryCodePage(
  context: PageContext,
  page: { csrfToken: string; minutes: number; attempts: number; problem?: CodeProblem },
): string {
  const { recovery } = context.t
  const problem =
    page.problem === undefined
      ? undefined
      : page.problem.kind === 'wrong'
        ? fillIn(recovery.wrongCode, { attempts: page.problem.attemptsLeft })
        : recovery.malformedCode
  return layout(
    context,
    recovery.codeTitle,
    html`<p class="notice" role="status">${fillIn(recovery.codeSent, { minutes: page.minutes, attempts: page.attempts })}</p>
<form method="post" action="${recoveryCodePath}">
${problem === undefined ? '' : html`<p class="error" role="alert">${problem}</p>`}
${csrfField(page.csrfToken)}
<label for="code">${recovery.code}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 -]*" maxlength="12" required>
<button type="submit">${recovery.checkCode}</button>
</form>
<p><a href="${forgotPasswordPath}">${recovery.anotherWay}</a></p>`,
  )
}

export function newPasswordPage(
  context: PageContext,
  page: { action: string; csrfToken: string; problem?: PasswordProblem },
): string {
  const { recovery } = context.t
  return layout(
    context,
    recovery.newPasswordTitle,
    html`<p class="notice">${recovery.newPasswordIntro}</p>
${newPasswordForm(context, { action: page.action, submit: recovery.save, csrfToken: page.csrfToken, problem: page.problem })}`,
  )
}
