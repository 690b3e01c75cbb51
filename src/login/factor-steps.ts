/*
 * The pages of the second step, as steps of the login transaction (web/factor.routes.ts shows them):
 *   second_factor  give a one-time code (app or recovery code) or answer with a passkey
 *   enrol_factor   set up a passkey or a one-time code app (its QR code; the first code confirms it),
 *                  see the recovery codes once, go on; or put it off while the policy allows
 * - the WebAuthn challenge of a page is kept in the transaction (the encrypted cookie) and is new on
 *   every showing; the relying party is the bridge's host, the origin its public URL
 * - secrets of one-time code apps are sealed before they are stored (factors/factor-secret.ts); a code
 *   counts once for its time step on every instance; recovery codes are stored as keyed hashes
 * - enrolment and every try are audited; the owner is told when a factor is added
 */
import { type Account, findAccountById } from '../accounts/account.repository.js'
import { secretsKey } from '../accounts/keyed-hash.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { factorSecretKey, hashRecoveryCode, openFactorSecret, sealFactorSecret } from '../factors/factor-secret.js'
import {
  addPasskey,
  confirmTotp,
  factorSummary,
  findPasskeyByCredentialId,
  findPasskeysOfAccount,
  findPendingTotp,
  type Passkey,
  recordPasskeyUse,
  replaceRecoveryCodes,
  startTotp,
} from '../factors/factor.repository.js'
import { notifyFactorChange } from '../factors/factor-notices.js'
import {
  type AuthenticationResponseJSON,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  type RegistrationResponseJSON,
  verifyPasskeyAssertion,
  verifyPasskeyRegistration,
} from '../factors/passkey.js'
import { createRecoveryCodes, normaliseRecoveryCode } from '../factors/recovery-codes.js'
import { createTotpSecret, matchTotpCode, totpUri } from '../factors/totp.js'
import { renderTotpQr } from '../factors/totp-qr.js'
import { matchTotpFactors, recoveryCodeSpend } from '../factors/use-factor.js'
import { amrOf, parseAmr } from '../tokens/acr.js'
import { describeBrowser } from '../sessions/browser-family.js'
import { raiseSessionAssurance } from '../sessions/login-session.js'
import { answerAuthorization } from './authorization.js'
import type { BrowserRequest } from './browser.js'
import { completeSignIn, toPasswordChange } from './complete-sign-in.js'
import {
  countFactorFailure,
  finishCodeStep,
  firstStepAmr,
  readCodeStep,
  refuseBlocked,
  refuseFinishedStep,
  sessionOfStep,
  spendStep,
  tryFactor,
} from './second-factor.js'
import { askingSession } from './sign-in.js'
import type { Phase } from './transaction.js'
import type { Locale } from '../notify/templates.js'

type FactorPhase = Extract<Phase, { kind: 'second_factor' | 'enrol_factor' }>

/** The words a factor is named with in the owner's language (the page's). */
export interface FactorLabels {
  passkeyName: string
  totpName: string
  /** The issuer a one-time code app shows next to the code. */
  issuer: string
  /** The language of the page, and of the owner's notice. */
  locale: Locale
}

export function relyingParty(context: RouteContext) {
  const url = new URL(context.config.publicUrl)
  return { rpId: url.hostname, origin: url.origin }
}

export const secretKey = (context: RouteContext) => factorSecretKey(context.config.secrets.keyEncryptionKey.reveal())
/** The key of recovery codes' hashes (the one-time secrets' key, accounts/keyed-hash.ts). */
export const recoveryHashKey = (context: RouteContext) => secretsKey(context.config.secrets.snilsPepper.reveal())

/** Tells the owner at the confirmed contacts, after the answer. */
export function tellOwner(
  context: RouteContext,
  browser: BrowserRequest,
  accountId: string,
  change: { kind: 'added' | 'removed'; factor: 'passkey' | 'totp' | 'recovery_codes' },
  locale: Locale,
): Promise<unknown> {
  return notifyFactorChange(
    { db: context.db, senders: context.senders, locale, deliver: (kind, send) => browser.afterAnswer(kind, send) },
    accountId,
    change,
  )
}

export async function activeAccount(context: RouteContext, accountId: string): Promise<Account> {
  const account = await findAccountById(context.db, accountId)
  if (account?.state !== 'active') throw new BridgeError('ERR_ACCOUNT_CLOSED', 'the account is not active')
  return account
}

/** The step is done with this factor (its amr value): the session starts, or a step-up raises it. */
async function finishFactorStep(
  context: RouteContext,
  browser: BrowserRequest,
  phase: FactorPhase,
  factorAmr: string,
  known?: Account,
  /** The step's id was consumed already (by the statement that spent the code). */
  consumed = false,
): Promise<string> {
  if (!consumed) await spendStep(context, phase.id)
  const amr = [firstStepAmr(phase.first), factorAmr, 'mfa']
  if (phase.stepUp === undefined) {
    const account = known ?? (await activeAccount(context, phase.accountId))
    // A temporary password is replaced only now, after the factor: whoever knows it alone changes nothing.
    if (account.mustChangePassword) return toPasswordChange(browser, account, phase.first, { amr, acr: 'mfa' })
    const { notice } = phase.first
    return completeSignIn(
      context,
      browser,
      { accountId: phase.accountId, ...sessionOfStep(phase.first) },
      { ...(notice !== undefined && { notice }), assurance: { amr, acr: 'mfa' } },
    )
  }
  const session = await askingSession(context, browser, phase.stepUp)
  const raised = await raiseSessionAssurance(context.db, session.id, {
    amr: [...new Set([...parseAmr(amrOf(session)).filter((value) => value !== 'mfa'), factorAmr, 'mfa'])].join(' '),
    acr: 'mfa',
    // A factor given proves the person now; one just set up proves no more than the session already did.
    authenticatedAt: phase.kind === 'enrol_factor' ? session.authenticatedAt : context.now(),
  })
  if (raised === undefined) throw new BridgeError('ERR_LOGIN_EXPIRED', 'the session that asked for this step is over')
  const pending = browser.transaction.pendingAuthorization()
  browser.transaction.abandon()
  if (pending === undefined) return phase.then ?? '/account'
  browser.transaction.authorizationAnswered()
  return answerAuthorization(context, browser, pending, raised)
}

/** GET /login/factor: which ways this account has, and a new passkey challenge when it has passkeys. */
export async function showFactorStep(context: RouteContext, browser: BrowserRequest) {
  const phase = browser.transaction.take('second_factor')
  const summary = await factorSummary(context.db, phase.accountId)
  let passkeyOptions: unknown
  if (summary.passkeys > 0) {
    const passkeys = await findPasskeysOfAccount(context.db, phase.accountId)
    const options = await passkeyAuthenticationOptions({
      rpId: relyingParty(context).rpId,
      allowCredentialIds: passkeys.map((passkey) => passkey.credentialId),
    })
    browser.transaction.updateFactorStep({ ...phase, challenge: options.challenge })
    passkeyOptions = options
  }
  return { totp: summary.totp > 0, passkeyOptions, recoveryCodes: summary.recoveryCodesLeft > 0 }
}

export type FactorAnswer = { kind: 'next'; location: string } | { kind: 'wrong' }

/**
 * POST /login/factor/code: six digits are a one-time code of an app; anything else a recovery code.
 * Two statements for a right code (login/second-factor.ts): one read of the account, the step's use, its
 * block and the code apps; one write that spends the code, clears the counter, consumes the step and
 * audits. A wrong one is counted like a wrong password.
 */
export async function giveCode(context: RouteContext, browser: BrowserRequest, typed: string): Promise<FactorAnswer> {
  const phase = browser.transaction.take('second_factor')
  const digits = typed.replace(/\s/g, '')
  const way = /^\d{6}$/.test(digits) ? 'totp' : 'recovery_code'
  const state = await readCodeStep(context, browser, phase, way)
  if (state?.account.state !== 'active') throw new BridgeError('ERR_ACCOUNT_CLOSED', 'the account is not active')
  const { account } = state
  // A copied cookie of a finished step burns no code; a block refuses before the code is looked at.
  if (state.used) throw new BridgeError('ERR_LOGIN_EXPIRED', 'this sign-in step was already finished')
  if (state.blockedUntil !== undefined) refuseBlocked(context, account.region, state.blockedUntil)
  const step = {
    id: phase.id,
    accountId: account.id,
    region: account.region,
    way,
    purpose: phase.stepUp === undefined ? 'sign_in' : 'step_up',
  } as const
  const now = context.now()
  const spend =
    way === 'totp'
      ? matchTotpFactors(secretKey(context), state.totp, digits, now)
      : recoveryCodeSpend(recoveryHashKey(context), account.id, typed, now)
  const finished = spend === undefined ? undefined : await finishCodeStep(context, browser, step, spend)
  if (finished?.spent !== true) {
    await countFactorFailure(context, browser, step)
    return { kind: 'wrong' }
  }
  if (!finished.consumed) throw new BridgeError('ERR_LOGIN_EXPIRED', 'this sign-in step was already finished')
  return { kind: 'next', location: await finishFactorStep(context, browser, phase, 'otp', account, true) }
}

export function parseCredential(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

export function credentialIdOf(credential: Record<string, unknown>): Buffer | undefined {
  const id = credential.rawId ?? credential.id
  return typeof id === 'string' && /^[A-Za-z0-9_-]{16,1364}$/.test(id) ? Buffer.from(id, 'base64url') : undefined
}

export const passkeyAmr = (passkey: { multiDevice: boolean | null }) => (passkey.multiDevice === true ? 'swk' : 'hwk')

/** A stored passkey as the WebAuthn check takes it. */
export const storedPasskey = (passkey: Passkey) => ({
  id: passkey.credentialId,
  publicKey: passkey.publicKey,
  signCount: passkey.signCount,
  transports: passkey.transports,
})

/** POST /login/factor/passkey: the browser's answer to this page's challenge, from one of the account's passkeys. */
export async function givePasskey(
  context: RouteContext,
  browser: BrowserRequest,
  response: string,
): Promise<FactorAnswer> {
  const phase = browser.transaction.take('second_factor')
  const account = await activeAccount(context, phase.accountId)
  await refuseFinishedStep(context, phase.id)
  const { rpId, origin } = relyingParty(context)
  const accepted = await tryFactor(
    context,
    browser,
    {
      accountId: account.id,
      region: account.region,
      way: 'passkey',
      purpose: phase.stepUp === undefined ? 'sign_in' : 'step_up',
    },
    async () => {
      const credential = parseCredential(response)
      const credentialId = credential && credentialIdOf(credential)
      if (credential === undefined || credentialId === undefined || phase.challenge === undefined) return undefined
      const passkey = await findPasskeyByCredentialId(context.db, credentialId)
      if (passkey?.accountId !== account.id) return undefined
      const verified = await verifyPasskeyAssertion({
        response: credential as unknown as AuthenticationResponseJSON,
        expectedChallenge: phase.challenge,
        expectedOrigin: origin,
        rpId,
        credential: storedPasskey(passkey),
      })
      if (verified === undefined) return undefined
      if (!(await recordPasskeyUse(context.db, passkey.id, verified.newSignCount, context.now()))) return undefined
      return passkeyAmr(passkey)
    },
  )
  // The challenge was answered (or tried): the next showing of the page makes a new one.
  if (accepted === undefined) return { kind: 'wrong' }
  return { kind: 'next', location: await finishFactorStep(context, browser, phase, accepted, account) }
}

/** The WebAuthn options of a new passkey of `account` (its existing ones excluded), a new challenge. */
export async function registrationOptions(context: RouteContext, account: Account, labels: FactorLabels) {
  const existing = await findPasskeysOfAccount(context.db, account.id)
  return passkeyRegistrationOptions({
    rpId: relyingParty(context).rpId,
    rpName: labels.issuer,
    accountId: account.id,
    userName: account.login,
    displayName: [account.givenName, account.familyName].filter(Boolean).join(' ') || account.login,
    existingCredentialIds: existing.map((passkey) => passkey.credentialId),
  })
}

/**
 * A new passkey of `account` from the browser's answer to `challenge`, named after the browser family;
 * undefined when the answer does not verify or the credential is registered already.
 */
export async function makePasskey(
  context: RouteContext,
  browser: BrowserRequest,
  account: Account,
  answer: { response: string; challenge: string | undefined },
  labels: FactorLabels,
): Promise<{ amr: string } | undefined> {
  const credential = parseCredential(answer.response)
  const { rpId, origin } = relyingParty(context)
  const made =
    credential === undefined || answer.challenge === undefined
      ? undefined
      : await verifyPasskeyRegistration({
          response: credential as unknown as RegistrationResponseJSON,
          expectedChallenge: answer.challenge,
          expectedOrigin: origin,
          rpId,
        })
  if (made === undefined) return undefined
  const device = describeBrowser(browser.userAgent)
  const name = (device === undefined ? labels.passkeyName : `${labels.passkeyName} · ${device}`).slice(0, 64)
  const added = await addPasskey(context.db, account.id, { name, ...made })
  return added.kind === 'added' ? { amr: passkeyAmr(made) } : undefined
}

/** Ten new recovery codes of the account (the old ones stop working), to be shown once. */
export async function issueRecoveryCodes(context: RouteContext, accountId: string): Promise<string[]> {
  const codes = createRecoveryCodes()
  const key = recoveryHashKey(context)
  await replaceRecoveryCodes(
    context.db,
    accountId,
    codes.map((code) => hashRecoveryCode(key, accountId, normaliseRecoveryCode(code) as string)),
  )
  return codes
}

/** GET /login/factor/enrol: why, and a passkey registration's options (a new challenge). */
export async function showEnrolChoice(context: RouteContext, browser: BrowserRequest, labels: FactorLabels) {
  const phase = browser.transaction.take('enrol_factor')
  const account = await activeAccount(context, phase.accountId)
  const options = await registrationOptions(context, account, labels)
  browser.transaction.updateFactorStep({ ...phase, challenge: options.challenge })
  const reason = phase.asked
    ? ({ kind: 'asked' } as const)
    : phase.offered !== undefined
      ? ({
          kind: 'offered',
          from: phase.offered.from === undefined ? undefined : new Date(phase.offered.from),
          skipsLeft: phase.offered.skipsLeft,
        } as const)
      : ({ kind: 'required' } as const)
  return { reason, passkeyOptions: options }
}

export async function totpSetup(_context: RouteContext, account: Account, secret: string, issuer: string) {
  return { qrSvg: await renderTotpQr(totpUri({ secret, issuer, label: account.login })), secret }
}

/** GET /login/factor/enrol/totp: a new secret (kept sealed, unconfirmed), or the one this step made before. */
export async function startTotpEnrolment(context: RouteContext, browser: BrowserRequest, labels: FactorLabels) {
  const phase = browser.transaction.take('enrol_factor')
  const account = await activeAccount(context, phase.accountId)
  const key = secretKey(context)
  const pending = phase.totpId === undefined ? undefined : await findPendingTotp(context.db, account.id, phase.totpId)
  if (pending !== undefined)
    return totpSetup(context, account, openFactorSecret(key, pending.sealedSecret), labels.issuer)
  const secret = createTotpSecret()
  const totpId = await startTotp(context.db, account.id, labels.totpName, sealFactorSecret(key, secret))
  browser.transaction.updateFactorStep({ ...phase, totpId })
  return totpSetup(context, account, secret, labels.issuer)
}

export type EnrolAnswer =
  | { kind: 'codes'; codes: string[] }
  | { kind: 'next'; location: string }
  | { kind: 'wrong'; qrSvg: string; secret: string }
  | { kind: 'failed' }

/** Ten recovery codes if the account has none left (shown once), else none. */
export async function recoveryCodesAfterEnrolment(context: RouteContext, accountId: string): Promise<string[]> {
  if ((await factorSummary(context.db, accountId)).recoveryCodesLeft > 0) return []
  return issueRecoveryCodes(context, accountId)
}

async function enrolled(
  context: RouteContext,
  browser: BrowserRequest,
  phase: Extract<Phase, { kind: 'enrol_factor' }>,
  account: Account,
  factor: { kind: 'passkey' | 'totp'; amr: string },
  locale: Locale,
): Promise<EnrolAnswer> {
  await recordAuditEvent(context.db, {
    type: 'second_factor_enrolment',
    outcome: 'enrolled',
    accountId: account.id,
    region: account.region,
    requestId: browser.requestId,
    details: { kind: factor.kind },
  })
  await tellOwner(context, browser, account.id, { kind: 'added', factor: factor.kind }, locale)
  const codes = await recoveryCodesAfterEnrolment(context, account.id)
  const done = { ...phase, totpId: undefined, challenge: undefined, enrolled: [factor.amr] }
  if (codes.length === 0)
    return { kind: 'next', location: await finishFactorStep(context, browser, done, factor.amr, account) }
  browser.transaction.updateFactorStep(done)
  return { kind: 'codes', codes }
}

/** POST /login/factor/enrol/totp: the first code confirms the app (and spends its time step). */
export async function confirmTotpEnrolment(
  context: RouteContext,
  browser: BrowserRequest,
  typed: string,
  labels: FactorLabels,
): Promise<EnrolAnswer> {
  const phase = browser.transaction.take('enrol_factor')
  const account = await activeAccount(context, phase.accountId)
  await refuseFinishedStep(context, phase.id)
  const pending = phase.totpId === undefined ? undefined : await findPendingTotp(context.db, account.id, phase.totpId)
  if (pending === undefined) throw new BridgeError('ERR_LOGIN_EXPIRED', 'no one-time code app is being set up')
  const secret = openFactorSecret(secretKey(context), pending.sealedSecret)
  const now = context.now()
  const step = await tryFactor(
    context,
    browser,
    { accountId: account.id, region: account.region, way: 'totp', purpose: 'enrolment' },
    async () => {
      const matched = matchTotpCode(secret, typed.replace(/\s/g, ''), now.getTime(), null)
      return matched !== undefined && (await confirmTotp(context.db, account.id, pending.id, matched, now))
        ? matched
        : undefined
    },
  )
  if (step === undefined) return { kind: 'wrong', ...(await totpSetup(context, account, secret, labels.issuer)) }
  return enrolled(context, browser, phase, account, { kind: 'totp', amr: 'otp' }, labels.locale)
}

/** POST /login/factor/enrol/passkey: the new credential, made for this page's challenge. */
export async function enrolPasskey(
  context: RouteContext,
  browser: BrowserRequest,
  response: string,
  labels: FactorLabels,
): Promise<EnrolAnswer> {
  const phase = browser.transaction.take('enrol_factor')
  const account = await activeAccount(context, phase.accountId)
  await refuseFinishedStep(context, phase.id)
  const made = await makePasskey(context, browser, account, { response, challenge: phase.challenge }, labels)
  if (made === undefined) return { kind: 'failed' }
  return enrolled(context, browser, phase, account, { kind: 'passkey', amr: made.amr }, labels.locale)
}

/** POST /login/factor/enrol/done: after the recovery codes, the sign-in goes on. */
export async function finishEnrolment(context: RouteContext, browser: BrowserRequest): Promise<string> {
  const phase = browser.transaction.take('enrol_factor')
  const [amr] = phase.enrolled ?? []
  if (amr === undefined) throw new BridgeError('ERR_LOGIN_EXPIRED', 'no factor was set up in this step')
  return finishFactorStep(context, browser, phase, amr)
}

/** POST /login/factor/enrol/skip: put off, where the policy still allows it; counted against the grace. */
export async function skipEnrolment(context: RouteContext, browser: BrowserRequest): Promise<string> {
  const phase = browser.transaction.take('enrol_factor')
  if (!phase.skippable) throw new BridgeError('ERR_FACTOR_REQUIRED', 'a second factor must be set up to sign in')
  const account = await activeAccount(context, phase.accountId)
  await spendStep(context, phase.id)
  await recordAuditEvent(context.db, {
    type: 'second_factor_enrolment',
    outcome: 'skipped',
    accountId: account.id,
    region: account.region,
    requestId: browser.requestId,
  })
  const { notice } = phase.first
  return completeSignIn(
    context,
    browser,
    { accountId: account.id, ...sessionOfStep(phase.first) },
    { ...(notice !== undefined && { notice }), assurance: { amr: [firstStepAmr(phase.first)], acr: 'password' } },
  )
}
