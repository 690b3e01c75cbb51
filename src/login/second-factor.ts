/*
 * The second step of a sign-in (issue 26), between a first step that was right and the session:
 * - `factorStepAfter` asks the region's policy (regions/second-factor-policy.ts) whether a factor is
 *   wanted, and if so moves the login transaction to `second_factor` (give one) or `enrol_factor` (set
 *   one up first) and answers the page to go to; the session starts only after the factor
 * - a code is a one-time code of an app (TOTP, spent across instances by its time step) or a recovery
 *   code (spent once); a passkey answers the challenge this browser's page was given; every try is
 *   throttled per account and per address like a password, audited, and never says whether the first
 *   step was right (it was: only then is this step reached)
 * - a step-up (a diary module asked for more than the session has) raises the signed-in session instead
 *   of starting one: `stepUp` is its id
 * - each step is finished once: its id is consumed when the sign-in goes on
 */
import type { Account } from '../accounts/account.repository.js'
import { findAccountById, findAccountByIdWith } from '../accounts/account.repository.js'
import {
  blockedUntil,
  blockedUntilSql,
  clearAccountKeyCte,
  recordFailure,
  recordSuccess,
} from '../accounts/throttle.js'
import { countSkippedEnrolments } from '../audit/read-audit-events.js'
import { auditEventCte, recordAuditEvent } from '../audit/record-audit-event.js'
import { factorSummary, type TotpFactor, totpFactorsFrom, totpFactorsSql } from '../factors/factor.repository.js'
import { type Cte, cte, tableOf, withCtes } from '../db/cte.js'
import { sql } from 'kysely'
import type { RouteContext } from '../context.js'
import type { AcrLevel, Executor } from '../db/schema.js'
import { BridgeError } from '../errors.js'
import { decideSecondFactor, type SecondFactorAnswer } from '../regions/second-factor-policy.js'
import {
  consumeLoginTransaction,
  consumeLoginTransactionAfterCte,
  isLoginTransactionUsed,
  loginTransactionUsedSql,
} from '../sessions/login-session.js'
import type { BrowserRequest } from './browser.js'
import type { FirstStep, StepUpReturn } from './transaction.js'

export const factorPath = '/login/factor'
export const enrolPath = '/login/factor/enrol'

/** What a finished sign-in vouches for: RFC 8176 amr values and the bridge's level. */
export interface Assurance {
  amr: string[]
  acr: AcrLevel
}

/** What a session keeps of a first step: its method and State Services person (not `verified`, not a notice). */
export function sessionOfStep(first: Pick<FirstStep, 'method' | 'upstreamIssuer' | 'upstreamSubject'>) {
  return {
    method: first.method,
    ...(first.upstreamIssuer !== undefined && { upstreamIssuer: first.upstreamIssuer }),
    ...(first.upstreamSubject !== undefined && { upstreamSubject: first.upstreamSubject }),
  }
}

const amrOfMethod = { password: 'pwd', state_services: 'fed', passkey: 'hwk' } as const

export function firstStepAmr(first: Pick<FirstStep, 'method'>): string {
  return amrOfMethod[first.method]
}

/** A first step and its account: what the policy is asked about. */
export interface FirstStepOf extends FirstStep {
  accountId: string
}

export type FactorStep = { kind: 'go'; location: string } | { kind: 'none'; assurance: Assurance }

/**
 * After a first step that was right: the factor step's page when one is wanted (the transaction moved
 * there), or the assurance to sign in with now. `stepUp`: the signed-in session a diary module asked more
 * of; `wantsStrong`: the module asked for the strong level.
 */
export async function factorStepAfter(
  context: RouteContext,
  browser: BrowserRequest,
  first: FirstStepOf,
  options: {
    db?: Executor
    account?: Pick<Account, 'id' | 'role' | 'region'>
    stepUp?: string
    /** A step-up of the bridge's own page: where it goes when done. */
    then?: StepUpReturn
    wantsStrong: boolean
  },
): Promise<FactorStep> {
  const db = options.db ?? context.db
  const account = options.account ?? (await findAccountById(db, first.accountId))
  if (account === undefined) throw new BridgeError('ERR_ACCOUNT_CLOSED', 'the account is gone')
  const policy = context.regions.get(account.region)?.config.secondFactor ?? {
    required: [],
    stateServicesCounts: true,
    graceSignIns: 0,
  }
  const available = await factorSummary(db, account.id)
  const question = {
    policy,
    role: account.role,
    hasFactor: available.passkeys + available.totp > 0,
    first:
      first.method === 'password'
        ? { method: 'password' as const }
        : { method: 'state_services' as const, verified: first.verified === true },
    wantsStrong: options.wantsStrong,
    skipsUsed: 0,
    now: context.now(),
  }
  let answer: SecondFactorAnswer = decideSecondFactor(question)
  if (answer.kind === 'enrol' && answer.skippable && answer.skipsLeft !== undefined) {
    answer = decideSecondFactor({ ...question, skipsUsed: await countSkippedEnrolments(db, account.id, policy.from) })
  }
  const base = firstStepAmr(first)
  const step: FirstStep = {
    ...sessionOfStep(first),
    ...(first.verified !== undefined && { verified: first.verified }),
    ...(first.notice !== undefined && { notice: first.notice }),
  }
  switch (answer.kind) {
    case 'none':
      return { kind: 'none', assurance: { amr: [base], acr: answer.acr } }
    case 'ask':
      browser.transaction.toSecondFactor({
        accountId: account.id,
        first: step,
        stepUp: options.stepUp,
        ...(options.then !== undefined && { then: options.then }),
      })
      return { kind: 'go', location: factorPath }
    case 'enrol':
      browser.transaction.toEnrolFactor({
        accountId: account.id,
        first: step,
        stepUp: options.stepUp,
        ...(options.then !== undefined && { then: options.then }),
        skippable: answer.skippable,
        ...(answer.skippable && {
          offered: { from: answer.from?.getTime(), skipsLeft: answer.skipsLeft },
        }),
        asked: options.wantsStrong,
      })
      return { kind: 'go', location: enrolPath }
  }
}

/** Whether the account has a factor to give (a passkey or a confirmed code app). */
export async function hasFactor(db: Executor, accountId: string): Promise<boolean> {
  const summary = await factorSummary(db, accountId)
  return summary.passkeys + summary.totp > 0
}

/** The factor step's throttle keys: the account (whose first step was right) and the address. */
function factorKeys(accountId: string, ip: string) {
  return { account: `factor:${accountId}`, ip: `ip:${ip}` }
}

/**
 * One try of a factor, throttled like a password: a block refuses before the factor is looked at; a
 * wrong one counts; a right one clears the account's counter. Audited either way.
 */
export async function tryFactor<T>(
  context: RouteContext,
  browser: BrowserRequest,
  attempt: {
    accountId: string
    region: string
    way: 'totp' | 'recovery_code' | 'passkey'
    purpose: string
    /** A passkey alone (from the login page) rather than a second step. */
    alone?: boolean
  },
  check: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const method = attempt.alone === true ? 'passkey' : 'second_factor'
  const keys = factorKeys(attempt.accountId, browser.ip)
  const now = context.now()
  const until = await blockedUntil(context.db, keys, now)
  if (until !== undefined) {
    context.metrics.login(attempt.region, method, 'throttled')
    throw new BridgeError('ERR_THROTTLED', 'too many failed attempts', {
      retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000),
    })
  }
  const result = await check()
  if (result === undefined) await recordFailure(context.db, keys, context.config.bridge.throttling, now)
  else await recordSuccess(context.db, keys)
  const outcome = result === undefined ? 'failure' : 'success'
  context.metrics.login(attempt.region, method, outcome)
  await recordAuditEvent(context.db, {
    type: attempt.alone === true ? 'passkey_sign_in' : 'second_factor',
    outcome,
    accountId: attempt.accountId,
    region: attempt.region,
    requestId: browser.requestId,
    details: { way: attempt.way, purpose: attempt.purpose },
  })
  return result
}

/** What a typed code is checked against, read in one round trip (`readCodeStep`). */
export interface CodeStepState {
  account: Account
  /** The step was finished already (a copied cookie). */
  used: boolean
  /** The account's or the address's block on this step, if one runs. */
  blockedUntil: Date | undefined
  /** The account's confirmed code apps (read only when a one-time code was typed). */
  totp: TotpFactor[]
}

/**
 * The account of a code step, whether the step is finished, its block and (for a one-time code) the
 * code apps: one statement of the owners' reads, for the step a teacher takes at every sign-in.
 */
export async function readCodeStep(
  context: RouteContext,
  browser: BrowserRequest,
  step: { id: string; accountId: string },
  way: 'totp' | 'recovery_code',
): Promise<CodeStepState | undefined> {
  const found = await findAccountByIdWith<{ used: boolean; blocked_until: Date | null; totp: unknown }>(
    context.db,
    step.accountId,
    {
      used: loginTransactionUsedSql(step.id),
      blocked_until: blockedUntilSql(factorKeys(step.accountId, browser.ip), context.now()),
      totp: way === 'totp' ? totpFactorsSql(step.accountId) : sql`'[]'::json`,
    },
  )
  if (found === undefined) return undefined
  const { used, blocked_until: until, totp } = found.extra
  return {
    account: found.account,
    used,
    blockedUntil: until === null ? undefined : new Date(until),
    totp: totpFactorsFrom(totp),
  }
}

/**
 * A typed code that matched, written in one statement: the code spent (`spend`, its owner's CTE; one
 * caller on any instance gets its row), then only if it was: the account's step counter cleared, the
 * step's id consumed and the success audited. Answers whether the code was spent and the step consumed;
 * a code not spent (used in between) counts as a failure (`countFactorFailure`).
 */
export async function finishCodeStep(
  context: RouteContext,
  browser: BrowserRequest,
  step: { id: string; accountId: string; region: string; way: 'totp' | 'recovery_code'; purpose: string },
  spend: Cte<'spent', 'id'>,
): Promise<{ spent: boolean; consumed: boolean }> {
  const subject = cte(
    'subject',
    ['id', 'region'],
    sql`select ${step.accountId}::uuid as id, ${step.region}::text as region from ${tableOf(spend)}`,
    [spend],
  )
  const statement = withCtes()
    .with(spend)
    .with(subject)
    .with(clearAccountKeyCte('cleared', factorKeys(step.accountId, browser.ip), subject))
    .with(consumeLoginTransactionAfterCte('consumed', step.id, subject))
    .with(
      auditEventCte('audited', subject, {
        type: 'second_factor',
        outcome: 'success',
        requestId: browser.requestId,
        details: { way: step.way, purpose: step.purpose },
      }),
    )
    .select<{ spent: boolean; consumed: boolean }>(
      ({ table }) =>
        sql`select exists (select from ${table('spent')}) as spent, exists (select from ${table('consumed')}) as consumed`,
    )
  const row = (await statement.execute(context.db)).rows[0]
  const spent = row?.spent === true
  if (spent) context.metrics.login(step.region, 'second_factor', 'success')
  return { spent, consumed: row?.consumed === true }
}

/** A wrong code (or one spent in between): counted on the account's step and the address, and audited. */
export async function countFactorFailure(
  context: RouteContext,
  browser: BrowserRequest,
  step: { accountId: string; region: string; way: 'totp' | 'recovery_code'; purpose: string },
): Promise<void> {
  await recordFailure(
    context.db,
    factorKeys(step.accountId, browser.ip),
    context.config.bridge.throttling,
    context.now(),
  )
  context.metrics.login(step.region, 'second_factor', 'failure')
  await recordAuditEvent(context.db, {
    type: 'second_factor',
    outcome: 'failure',
    accountId: step.accountId,
    region: step.region,
    requestId: browser.requestId,
    details: { way: step.way, purpose: step.purpose },
  })
}

/** A block running on the step: refused before the code is looked at. */
export function refuseBlocked(context: RouteContext, region: string, until: Date): never {
  context.metrics.login(region, 'second_factor', 'throttled')
  throw new BridgeError('ERR_THROTTLED', 'too many failed attempts', {
    retryAfterSeconds: Math.ceil((until.getTime() - context.now().getTime()) / 1000),
  })
}

/** A copied cookie of a step that was finished already tries nothing (no code or recovery code is burnt). */
export async function refuseFinishedStep(context: RouteContext, id: string): Promise<void> {
  if (await isLoginTransactionUsed(context.db, id))
    throw new BridgeError('ERR_LOGIN_EXPIRED', 'this sign-in step was already finished')
}

/** The step is over: its id is spent (a copied cookie cannot finish it again). */
export async function spendStep(context: RouteContext, id: string): Promise<void> {
  if (!(await consumeLoginTransaction(context.db, id)))
    throw new BridgeError('ERR_LOGIN_EXPIRED', 'this sign-in step was already finished')
}

/**
 * Whether the diary module waiting for this sign-in asked for the strong level only (acr_values): a
 * request that accepts the password level too is answered by a password (tokens/acr.ts).
 */
export function wantsStrong(pending: { acrValues?: readonly string[] } | undefined): boolean {
  const asked = pending?.acrValues ?? []
  return asked.includes('mfa') && !asked.includes('password')
}
