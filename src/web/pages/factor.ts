/*
 * The pages of the second step (login/second-factor.ts): giving a factor, enrolling one, the one-time code
 * app's QR code, the recovery codes shown once. A passkey form carries the WebAuthn options in a data
 * attribute; /assets/passkey.js (the only script) asks the browser's authenticator and posts the answer.
 */
import { csrfField, fillIn, formatWhen, html, layout, type PageContext, SafeHtml } from '../html.js'

export const passkeyScriptPath = '/assets/passkey.js'

/** A form that runs a WebAuthn ceremony (`get`: sign in, `create`: enrol) and posts its JSON answer. */
export function passkeyForm(
  context: PageContext,
  form: { action: string; ceremony: 'get' | 'create'; options: unknown; csrfToken: string; submit: string },
): SafeHtml {
  const { t } = context
  return html`<form method="post" action="${form.action}" data-passkey="${form.ceremony}" data-options="${JSON.stringify(form.options)}" data-failed="${t.factor.passkeyFailed}">
${csrfField(form.csrfToken)}
<input type="hidden" name="response" value="">
<button type="submit">${form.submit}</button>
<noscript><p class="muted">${t.factor.needsScript}</p></noscript>
</form>
<script src="${passkeyScriptPath}" defer></script>`
}

function codeForm(
  context: PageContext,
  form: {
    action: string
    csrfToken: string
    label: string
    submit: string
    numeric: boolean
    secondary?: boolean
    factorId?: string
  },
): SafeHtml {
  const id = form.numeric ? 'code' : 'recovery'
  return html`<form method="post" action="${form.action}">
${csrfField(form.csrfToken)}${form.factorId === undefined ? '' : html`<input type="hidden" name="factor" value="${form.factorId}">`}
<label for="${id}">${form.label}</label>
<input type="text" id="${id}" name="code" required maxlength="32" autocomplete="one-time-code" ${form.numeric ? new SafeHtml('inputmode="numeric" pattern="[0-9 ]{6,7}"') : ''} spellcheck="false">
<button type="submit"${form.secondary === true ? new SafeHtml(' class="secondary"') : ''}>${form.submit}</button>
</form>`
}

export function secondFactorPage(
  context: PageContext,
  page: {
    csrfToken: string
    totp: boolean
    passkeyOptions: unknown
    recoveryCodes: boolean
    error?: string
  },
): string {
  const { t } = context
  return layout(
    context,
    t.factor.title,
    html`${page.error === undefined ? '' : html`<p class="error" role="alert">${page.error}</p>`}
${
  page.totp
    ? html`<p>${t.factor.codeIntro}</p>
${codeForm(context, { action: '/login/factor/code', csrfToken: page.csrfToken, label: t.factor.codeLabel, submit: t.factor.confirm, numeric: true })}`
    : ''
}
${
  page.passkeyOptions === undefined
    ? ''
    : html`<p class="${page.totp ? 'or' : ''}">${t.factor.passkeyIntro}</p>
${passkeyForm(context, { action: '/login/factor/passkey', ceremony: 'get', options: page.passkeyOptions, csrfToken: page.csrfToken, submit: t.factor.usePasskey })}`
}
${
  page.recoveryCodes
    ? html`<h2>${t.factor.recoveryLabel}</h2><p class="muted">${t.factor.recoveryIntro}</p>
${codeForm(context, { action: '/login/factor/code', csrfToken: page.csrfToken, label: t.factor.recoveryLabel, submit: t.factor.useRecovery, numeric: false, secondary: true })}`
    : ''
}
<p class="muted">${t.factor.lostAll} <a href="${context.help ?? '/help'}">${t.help.errorLink}</a></p>`,
  )
}

export type EnrolReason =
  { kind: 'required' } | { kind: 'asked' } | { kind: 'offered'; from: Date | undefined; skipsLeft: number | undefined }

function day(context: PageContext, date: Date): string {
  const iso = date.toISOString().slice(0, 10)
  return context.locale === 'ru' ? iso.split('-').reverse().join('.') : iso
}

export function enrolChoicePage(
  context: PageContext,
  page: { csrfToken: string; reason: EnrolReason; passkeyOptions: unknown; error?: string },
): string {
  const { t } = context
  const { reason } = page
  const why =
    reason.kind === 'required'
      ? t.factor.enrolRequired
      : reason.kind === 'asked'
        ? t.factor.enrolAsked
        : reason.from !== undefined
          ? fillIn(t.factor.enrolOffered, { date: day(context, reason.from) })
          : t.factor.enrolRequired
  return layout(
    context,
    t.factor.enrolTitle,
    html`${page.error === undefined ? '' : html`<p class="error" role="alert">${page.error}</p>`}
<p class="notice" role="status">${why}${
      reason.kind === 'offered' && reason.skipsLeft !== undefined
        ? html` ${fillIn(t.factor.enrolGrace, { count: reason.skipsLeft })}`
        : ''
    }</p>
<h2>${t.factor.choosePasskey}</h2>
<p class="muted">${t.factor.choosePasskeyHint}</p>
${passkeyForm(context, { action: '/login/factor/enrol/passkey', ceremony: 'create', options: page.passkeyOptions, csrfToken: page.csrfToken, submit: t.factor.choosePasskey })}
<h2>${t.factor.chooseTotp}</h2>
<p class="muted">${t.factor.chooseTotpHint}</p>
<a class="button secondary" href="/login/factor/enrol/totp">${t.factor.chooseTotp}</a>
${
  reason.kind === 'offered'
    ? html`<form method="post" action="/login/factor/enrol/skip" class="cancel">${csrfField(page.csrfToken)}<button type="submit" class="secondary">${t.factor.skip}</button></form>`
    : ''
}`,
  )
}

/** The one-time code app's setup: the QR code (SVG made on the server), the key in groups, the first code. */
export function totpEnrolPage(
  context: PageContext,
  page: { csrfToken: string; action: string; qrSvg: string; secret: string; factorId?: string; error?: string },
): string {
  const { t } = context
  const grouped = page.secret.replace(/(.{4})/g, '$1 ').trim()
  return layout(
    context,
    t.factor.totpTitle,
    html`${page.error === undefined ? '' : html`<p class="error" role="alert">${page.error}</p>`}
<p>${t.factor.totpScan}</p>
<figure class="qr" role="img" aria-label="${t.factor.totpQr}">${new SafeHtml(page.qrSvg)}</figure>
<p class="muted">${t.factor.totpKey}: <code class="secret" data-secret="${page.secret}">${grouped}</code></p>
${codeForm(context, { action: page.action, csrfToken: page.csrfToken, label: t.factor.codeLabel, submit: t.factor.confirm, numeric: true, factorId: page.factorId })}`,
  )
}

/** The recovery codes, once, with the form that goes on. */
export function recoveryCodesPage(
  context: PageContext,
  page: { csrfToken: string; codes: readonly string[]; action: string },
): string {
  const { t } = context
  return layout(
    context,
    t.factor.recoveryCodesTitle,
    html`<p class="notice" role="status">${t.factor.recoveryCodesIntro}</p>
<ol class="codes">${page.codes.map((code) => html`<li><code>${code}</code></li>`)}</ol>
<form method="post" action="${page.action}">${csrfField(page.csrfToken)}<button type="submit">${t.factor.continue}</button></form>`,
  )
}

export interface FactorView {
  id: string
  kind: 'passkey' | 'totp'
  name: string
  createdAt: Date
  lastUsedAt: Date | null
}

/**
 * The owner's second-step page (/account/security): the factors, the recovery codes left, and the forms
 * to add and remove. Changing anything needs a recent sign-in or the password again (`confirmed`).
 */
export function securityPage(
  context: PageContext,
  page: {
    csrfToken: string
    factors: readonly FactorView[]
    recoveryCodesLeft: number
    confirmed: boolean
    passkeyOptions: unknown
    timeZone: string
    notice?: string
    error?: string
  },
): string {
  const { t } = context
  const when = (date: Date) => formatWhen(context, date, page.timeZone)
  const list =
    page.factors.length === 0
      ? html`<p class="notice">${t.security.none}</p>`
      : html`<ul class="items">${page.factors.map(
          (
            factor,
          ) => html`<li><strong>${factor.name}</strong> · ${factor.kind === 'passkey' ? t.security.passkey : t.security.totp}<br>
<span class="muted">${t.security.added} ${when(factor.createdAt)} · ${t.security.lastUsed}: ${factor.lastUsedAt === null ? t.security.never : when(factor.lastUsedAt)}</span>${
            page.confirmed
              ? html`<form method="post" action="/account/security/remove" class="inline">${csrfField(page.csrfToken)}<input type="hidden" name="factor" value="${factor.id}"><button type="submit" class="secondary">${t.security.remove}</button></form>`
              : ''
          }</li>`,
        )}</ul>`
  const changes = page.confirmed
    ? html`${
        page.passkeyOptions === undefined
          ? ''
          : passkeyForm(context, {
              action: '/account/security/passkey',
              ceremony: 'create',
              options: page.passkeyOptions,
              csrfToken: page.csrfToken,
              submit: t.security.addPasskey,
            })
      }
<a class="button secondary" href="/account/security/totp">${t.security.addTotp}</a>
${
  page.factors.length > 0
    ? html`<p class="muted">${fillIn(t.security.recoveryLeft, { count: page.recoveryCodesLeft })}</p>
<form method="post" action="/account/security/recovery-codes">${csrfField(page.csrfToken)}<button type="submit" class="secondary">${t.security.newRecoveryCodes}</button></form>`
    : ''
}`
    : html`<form method="post" action="/account/security/confirm">
${csrfField(page.csrfToken)}
<p>${t.security.confirmIntro}</p>
<label for="password">${t.diaryPassword}</label>
<input type="password" id="password" name="password" required autocomplete="current-password">
<button type="submit">${t.security.confirm}</button>
</form>`
  return layout(
    context,
    t.security.title,
    html`${page.notice === undefined ? '' : html`<p class="notice" role="status">${page.notice}</p>`}${
      page.error === undefined ? '' : html`<p class="error" role="alert">${page.error}</p>`
    }
<p>${t.security.intro}</p>
${list}
${changes}
<p class="cancel"><a href="/account">${t.security.back}</a></p>`,
  )
}
