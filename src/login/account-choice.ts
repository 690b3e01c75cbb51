/*
 * The chooser: a State Services person linked to several diary accounts of the login's region picks
 * the one to sign in to (the rules of when it shows are in linking/account-choice.ts).
 * - the login transaction keeps only the identity (issuer, subject) and the region; the accounts are
 *   read from the links every time, and the posted choice must be one of the links read in the same
 *   transaction that starts the session (a posted account id is never trusted)
 * - single use: the phase's id is spent in that transaction (a failed choice spends nothing)
 * - the chosen link remembers when (`last_chosen_at`): next time it comes first, marked
 * - the choice is an audit event `account_choice` (ids and a count only)
 */
import { findAccountsByIds } from '../accounts/account.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import type { Role } from '../db/schema.js'
import { BridgeError } from '../errors.js'
import { type AccountChoice, decideAccountChoice } from '../linking/account-choice.js'
import { listLinksOfSubjectInRegion, markLinkChosen } from '../linking/identity-link.repository.js'
import type { LinkOutcome } from '../linking/match.js'
import { maskFullName } from '../person/full-name.js'
import { consumeLoginTransaction } from '../sessions/login-session.js'
import type { Identity } from '../upstream/connector.js'
import type { BrowserRequest } from './browser.js'
import { completeSignIn } from './complete-sign-in.js'

export const chooseAccountPath = '/login/choose-account'

export interface AccountOption {
  accountId: string
  region: string
  school: string | null
  className: string | null
  role: Role
  /** `Мария П. И.` (person/full-name.ts). */
  maskedName: string
  /** The account chosen last time (listed first). */
  lastChosen: boolean
}

/** Where a login linked to existing accounts goes: straight into one, or the chooser (undefined for other outcomes). */
export function choiceAfterLink(
  context: RouteContext,
  browser: BrowserRequest,
  outcome: LinkOutcome,
  region: string,
): AccountChoice | undefined {
  if (outcome.kind !== 'linked' && outcome.kind !== 'several') return undefined
  const accountIds = outcome.kind === 'linked' ? [outcome.accountId] : outcome.accountIds
  const pending = browser.transaction.pendingAuthorization()
  const clientRegions =
    pending === undefined ? undefined : (context.config.clients.get(pending.clientId)?.regions ?? [])
  return decideAccountChoice(
    accountIds.map((accountId) => ({ accountId, region })),
    { clientRegions, prompt: pending?.prompt },
  )
}

/** Sends the browser to the chooser: the cookie keeps who the person is, not their accounts. */
export function toAccountChoice(
  browser: BrowserRequest,
  region: string,
  identity: Pick<Identity, 'issuer' | 'subject'>,
): string {
  browser.transaction.toChooseAccount({ region, issuer: identity.issuer, subject: identity.subject })
  return chooseAccountPath
}

/** GET /login/choose-account: the accounts of the region linked to the person, the last chosen first. */
export async function accountOptions(context: RouteContext, browser: BrowserRequest): Promise<AccountOption[]> {
  const phase = browser.transaction.take('choose_account')
  const links = await listLinksOfSubjectInRegion(context.db, phase, phase.region)
  const accounts = await findAccountsByIds(
    context.db,
    links.map((link) => link.accountId),
  )
  const options: AccountOption[] = []
  for (const [index, link] of links.entries()) {
    const account = accounts.get(link.accountId)
    // A deactivated diary is not offered (choosing it could only be refused).
    if (account === undefined || account.state !== 'active') continue
    options.push({
      accountId: account.id,
      region: account.region,
      school: account.school,
      className: account.className,
      role: account.role,
      maskedName: maskFullName(account),
      lastChosen: index === 0 && link.lastChosenAt !== null,
    })
  }
  if (options.length === 0 && accounts.size > 0)
    throw new BridgeError('ERR_ACCOUNT_CLOSED', 'every diary linked to this person is deactivated')
  if (options.length === 0) throw new BridgeError('ERR_LOGIN_EXPIRED', 'the links of this login are gone')
  return options
}

/** POST /login/choose-account: signs in to the chosen account, if it is one of the person's links. */
export async function chooseAccount(
  context: RouteContext,
  browser: BrowserRequest,
  accountId: string,
): Promise<string> {
  const phase = browser.transaction.take('choose_account')
  const now = context.now()
  return context.db.transaction().execute(async (trx) => {
    if (!(await consumeLoginTransaction(trx, phase.id)))
      throw new BridgeError('ERR_LOGIN_EXPIRED', 'this choice was already made')
    const links = await listLinksOfSubjectInRegion(trx, phase, phase.region, { lock: 'share' })
    const chosen = links.find((link) => link.accountId === accountId)
    // Thrown inside the transaction: the phase is not spent, the person may choose again.
    if (chosen === undefined) throw new BridgeError('ERR_NOT_FOUND', 'not one of the accounts linked to this person')
    await markLinkChosen(trx, chosen.id, now)
    await recordAuditEvent(trx, {
      type: 'account_choice',
      outcome: 'chosen',
      accountId: chosen.accountId,
      region: phase.region,
      requestId: browser.requestId,
      details: { issuer: phase.issuer, linkId: chosen.id, accounts: links.length },
    })
    const session = {
      accountId: chosen.accountId,
      method: 'state_services' as const,
      upstreamIssuer: phase.issuer,
      upstreamSubject: phase.subject,
      verified: chosen.method === 'auto_snils' && chosen.verified,
    }
    return completeSignIn(context, browser, session, { trx })
  })
}
