/*
 * What the school console reads and does (issue 27), for an operator whose scope (its schools, its
 * regions: console/operator.repository.ts) is already known:
 * - every read of an account goes through the scope in SQL (accounts/account.repository.ts
 *   searchAccounts, findAccountInScope): an account of another school is not found, whatever its id
 * - every action names the operator (its login, as `console:<login>`) and a reason, is audited as
 *   `console_action` beside the event of the change itself, and uses the change the CLI uses (so the
 *   two cannot drift): a temporary password (lifecycle/change-password.ts), lifting a block
 *   (accounts/throttle.ts), removing a link (linking/unlink.ts), ending sessions, resetting the second
 *   factors (factors/reset-factors.ts), deactivating and reactivating (lifecycle/account-state.ts)
 * - an action on an account outside the scope is `not_found`, like the read
 */
import {
  type Account,
  type AccountSearch,
  findAccountInScope,
  listClassesInScope,
  searchAccounts,
} from '../accounts/account.repository.js'
import { type Contacts, findContacts } from '../accounts/contacts.repository.js'
import { findSchoolById, type School, type SchoolContact, setSchoolContact } from '../accounts/school.repository.js'
import { findAccountThrottle } from '../accounts/throttle.js'
import { readSignInHistory, type SignInEvent } from '../audit/read-audit-events.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { inTransaction } from '../db/transaction.js'
import { factorSummary, type FactorSummary } from '../factors/factor.repository.js'
import { resetFactors } from '../factors/reset-factors.js'
import { deactivateAccount, reactivateAccount } from '../lifecycle/account-state.js'
import { unblockAccount } from '../lifecycle/unblock.js'
import { resetPassword } from '../lifecycle/change-password.js'
import { type IdentityLink, listLinksOfAccount } from '../linking/identity-link.repository.js'
import { removeLink } from '../linking/unlink.js'
import { maskSnilsLike } from '../person/snils.js'
import { countSessions, endSessions } from '../sessions/end-sessions.js'
import { accountInScopeSql, holdsOperatorRole, type OperatorScope } from './operator.repository.js'

/** The operator at the console: its account and scope. */
export interface Operator {
  account: Pick<Account, 'id' | 'login' | 'region'>
  scope: OperatorScope
  requestId: string
}

/** How many accounts a search shows. */
export const searchLimit = 50
/** How many accounts a class's slips are issued for at most (a class, not a school). */
export const classSlipsLimit = 60

const scopeOf = (operator: Operator) => accountInScopeSql(operator.scope, 'diary_account')
const operatorName = (operator: Operator) => `console:${operator.account.login}`

export function findAccounts(context: RouteContext, operator: Operator, search: AccountSearch): Promise<Account[]> {
  return searchAccounts(context.db, scopeOf(operator), search, searchLimit)
}

export function findAccountOfOperator(
  context: RouteContext,
  operator: Operator,
  accountId: string,
): Promise<Account | undefined> {
  return findAccountInScope(context.db, scopeOf(operator), accountId)
}

export function classesOf(context: RouteContext, operator: Operator, schoolId: string) {
  return listClassesInScope(context.db, scopeOf(operator), schoolId)
}

/** Everything the account's card shows (never a password, a SNILS or a token). */
export interface AccountCard {
  account: Account
  contacts: Contacts | undefined
  links: IdentityLink[]
  factors: FactorSummary
  /** A block running now, and the failures counted towards the next one. */
  block: { until: Date | undefined; failures: number }
  history: { successes: SignInEvent[]; failures: SignInEvent[] }
}

export async function readAccountCard(
  context: RouteContext,
  operator: Operator,
  accountId: string,
): Promise<AccountCard | undefined> {
  const account = await findAccountOfOperator(context, operator, accountId)
  if (account === undefined) return undefined
  const { db } = context
  const now = context.now()
  const [contacts, links, factors, throttle, history] = await Promise.all([
    findContacts(db, account.id),
    listLinksOfAccount(db, account.id),
    factorSummary(db, account.id),
    findAccountThrottle(db, context.config.secrets.snilsPepper.reveal(), account.region, account.login),
    readSignInHistory(db, account.id, 10),
  ])
  const until = throttle?.blockedUntil ?? undefined
  return {
    account,
    contacts,
    links,
    factors,
    block: { until: until !== undefined && until > now ? until : undefined, failures: throttle?.failures ?? 0 },
    history,
  }
}

export type ConsoleAction =
  'temporary_password' | 'unblock' | 'remove_link' | 'end_sessions' | 'reset_factors' | 'deactivate' | 'reactivate'

export type ActionOutcome =
  | { kind: 'done'; action: ConsoleAction; password?: string; account: Account }
  | { kind: 'unchanged'; action: ConsoleAction; account: Account }
  | { kind: 'not_found' }
  | { kind: 'refused'; reason: 'not_allowed' | 'operator_account' }

async function audit(context: RouteContext, operator: Operator, account: Account, action: string, reason: string) {
  await recordAuditEvent(context.db, {
    type: 'console_action',
    outcome: action,
    accountId: account.id,
    region: account.region,
    requestId: operator.requestId,
    details: { operator: operator.account.id, reason: maskSnilsLike(reason) },
  })
}

/** Whether the region lets its schools deactivate and reactivate accounts at the console (SCIM stays the normal path). */
export function schoolsMayChangeState(context: RouteContext, region: string): boolean {
  return context.regions.get(region)?.config.console?.schoolsMayDeactivate === true
}

/** The actions that would give someone else the account, or take its protection away. */
const handsOver: ReadonlySet<ConsoleAction> = new Set([
  'temporary_password',
  'remove_link',
  'reset_factors',
  'deactivate',
  'reactivate',
])

/**
 * Whether the operator may change this account: a school admin of its school and a region operator of
 * its region may do everything; support (read-only) may only lift a block.
 */
export function mayAct(
  operator: Operator,
  account: Pick<Account, 'region' | 'schoolId'>,
  action: ConsoleAction,
): boolean {
  const { scope } = operator
  const full =
    scope.regions.includes(account.region) ||
    (account.schoolId !== null && scope.schools.some((school) => school.id === account.schoolId))
  return full || (action === 'unblock' && scope.supportRegions.includes(account.region))
}

/**
 * One action on an account of the operator's scope, with its reason; `linkId` for `remove_link`.
 * A temporary password is answered once (`password`) and never kept.
 */
export async function actOnAccount(
  context: RouteContext,
  operator: Operator,
  request: { accountId: string; action: ConsoleAction; reason: string; linkId?: string },
): Promise<ActionOutcome> {
  const account = await findAccountOfOperator(context, operator, request.accountId)
  if (account === undefined) return { kind: 'not_found' }
  if (!mayAct(operator, account, request.action)) return { kind: 'refused', reason: 'not_allowed' }
  // An account that holds a console role is handed over by IT only: a school admin who could give a
  // region operator's account a temporary password (or reset its factor) would hold the region.
  if (handsOver.has(request.action) && (await holdsOperatorRole(context.db, account.id)))
    return { kind: 'refused', reason: 'operator_account' }
  const now = context.now()
  const { db } = context
  const by = operatorName(operator)
  const done = async (changed: boolean, password?: string): Promise<ActionOutcome> => {
    await audit(context, operator, account, changed ? request.action : `${request.action}_unchanged`, request.reason)
    return changed
      ? { kind: 'done', action: request.action, account, ...(password !== undefined && { password }) }
      : { kind: 'unchanged', action: request.action, account }
  }
  switch (request.action) {
    case 'temporary_password': {
      if (account.state !== 'active') return { kind: 'refused', reason: 'not_allowed' }
      const reset = await resetPassword(db, context.hasher, account, { operator: by, now })
      return done(true, reset.password)
    }
    case 'unblock': {
      const { cleared } = await unblockAccount(db, context.config.secrets.snilsPepper.reveal(), account, {
        operator: by,
        now,
        requestId: operator.requestId,
      })
      return done(cleared !== undefined)
    }
    case 'remove_link': {
      const link = (await listLinksOfAccount(db, account.id)).find((candidate) => candidate.id === request.linkId)
      if (link === undefined) return { kind: 'not_found' }
      const removed = await inTransaction(db, (trx) =>
        removeLink(
          trx,
          link,
          { kind: 'support', operator: by, reason: request.reason },
          { now, requestId: operator.requestId, region: account.region },
        ),
      )
      return done(removed !== undefined)
    }
    case 'end_sessions': {
      const ended = await inTransaction(db, (trx) => endSessions(trx, { accountId: account.id }, 'support', now))
      return done(countSessions(ended) > 0)
    }
    case 'reset_factors': {
      const reset = await resetFactors(db, {
        region: account.region,
        accountId: account.id,
        operator: by,
        reason: request.reason,
        now,
      })
      return reset.kind === 'not_found' ? { kind: 'not_found' } : done(true)
    }
    case 'deactivate':
    case 'reactivate': {
      if (!schoolsMayChangeState(context, account.region)) return { kind: 'refused', reason: 'not_allowed' }
      const change = {
        region: account.region,
        accountId: account.id,
        by: { kind: 'operator' as const, name: by },
        reason: request.reason,
        now,
        requestId: operator.requestId,
      }
      const outcome =
        request.action === 'deactivate'
          ? await deactivateAccount(db, change, context.metrics)
          : await reactivateAccount(db, change, context.metrics)
      if (outcome.kind === 'not_found') return { kind: 'not_found' }
      return done(outcome.kind === 'changed')
    }
  }
}

/**
 * Temporary passwords for the accounts of one class that have not chosen their own password yet (new
 * pupils on 1 September): each gets a new one, answered once for the slips; accounts that use their own
 * password are left as they are.
 */
export async function issueClassPasswords(
  context: RouteContext,
  operator: Operator,
  request: { schoolId: string; className: string; reason: string },
): Promise<{ account: Account; password: string }[] | undefined> {
  const members = await searchAccounts(
    context.db,
    scopeOf(operator),
    { schoolId: request.schoolId, className: request.className },
    classSlipsLimit,
  )
  if (members.length === 0) return undefined
  const issued: { account: Account; password: string }[] = []
  for (const account of members) {
    if (account.state !== 'active' || !account.mustChangePassword) continue
    const outcome = await actOnAccount(context, operator, {
      accountId: account.id,
      action: 'temporary_password',
      reason: request.reason,
    })
    if (outcome.kind === 'done' && outcome.password !== undefined)
      issued.push({ account: outcome.account, password: outcome.password })
  }
  return issued
}

/** The school of the operator's scope, or undefined (another school's id reads nothing). */
export async function findSchoolOfOperator(
  context: RouteContext,
  operator: Operator,
  schoolId: string,
): Promise<School | undefined> {
  const inScope = operator.scope.schools.find((school) => school.id === schoolId)
  if (inScope !== undefined) return findSchoolById(context.db, inScope.region, schoolId)
  for (const region of operator.scope.regions) {
    const school = await findSchoolById(context.db, region, schoolId)
    if (school !== undefined) return school
  }
  return undefined
}

/** The school's contact card, set by one of its operators (support is read-only), audited. */
export async function setContactCard(
  context: RouteContext,
  operator: Operator,
  schoolId: string,
  contact: SchoolContact,
): Promise<School | undefined> {
  const school = await findSchoolOfOperator(context, operator, schoolId)
  if (school === undefined) return undefined
  await setSchoolContact(context.db, school.region, school.id, contact, context.now())
  await recordAuditEvent(context.db, {
    type: 'school_contact_set',
    outcome: 'success',
    region: school.region,
    requestId: operator.requestId,
    details: { schoolId: school.id, operator: operator.account.id },
  })
  return findSchoolById(context.db, school.region, school.id)
}
