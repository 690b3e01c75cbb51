/*
 * What the signed-in owner of a diary account can see and do on the bridge's account page:
 * - see who they are, their region and school, how they signed in, the diary module they came from,
 *   the State Services identities linked to the diary and their active sessions
 * - signed in through State Services: every diary account linked to that State Services person (any
 *   region), with "link another diary" (login/link-another.ts) where the region offers State Services
 * - remove a link: only within 5 minutes of proving who they are (signing in, or confirming with the
 *   diary password or a State Services login that is linked to this diary); the removal ends the
 *   sessions that came through that link, except this one
 * - sign out everywhere: every session ends and every refresh token of the account is revoked
 * - change the password: the current one first (throttled like any password attempt), then the rules
 *   of change-password.ts; the other sessions end; the confirmed contacts are told (owner-alerts.ts)
 * - see their e-mail and phone (masked) and confirm new ones (login/contacts.ts)
 * - see, per link, whether the provider vouched for the person who made it, and for 30 days the links a
 *   password change ended (lifecycle/change-password.ts: bindings by password of unverified persons)
 * Each is an audit event.
 */
import { type Account, findAccountById, findAccountsByIds } from '../accounts/account.repository.js'
import { changePassword, type PasswordChange } from '../lifecycle/change-password.js'
import { type Contacts, findContacts } from '../accounts/contacts.repository.js'
import { type EndedLink, listLinksEndedByPasswordChange } from '../audit/read-audit-events.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { ClientConfig } from '../config/load.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import {
  findLinkById,
  type IdentityLink,
  listLinksOfAccount,
  listLinksOfIdentity,
} from '../linking/identity-link.repository.js'
import { removeLink } from '../linking/unlink.js'
import { loginMethods } from '../regions/policy.js'
import { type Region, regionOfIssuer } from '../regions/registry.js'
import { countSessions, endSessions } from '../sessions/end-sessions.js'
import {
  type ActiveSession,
  confirmSession,
  lastClientOfSession,
  listActiveSessions,
} from '../sessions/login-session.js'
import type { BrowserRequest } from './browser.js'
import { hasPendingPhoneCode } from './contacts.js'
import { alertPasswordChanged } from './owner-alerts.js'
import { attemptPassword } from './password-attempt.js'
import { sessionClock } from './sign-in.js'

export const confirmationMaxAgeSeconds = 300

/** How long the account page lists the links a password change ended. */
export const endedLinksShownDays = 30

type WithRegion<T> = T & { regionName: Region['config']['name'] | undefined }

export interface AccountOverview {
  account: Account
  region: Region | undefined
  /** Whether anything about State Services belongs on the page: the region offers it, or a link exists. */
  stateServices: boolean
  links: WithRegion<IdentityLink>[]
  /** State Services links that password changes ended within `endedLinksShownDays`, newest first. */
  endedLinks: WithRegion<EndedLink>[]
  sessions: ActiveSession[]
  /** The diary module to go back to: the one named in the request, else the last one this session served. */
  /** The diary module to go back to, its name per language. */
  returnTo: { name: { ru: string; en: string }; url: string } | undefined
  contacts: Contacts
  /** A code sent to a new phone number waits to be typed. */
  phoneCodeWaiting: boolean
  /** Signed in through State Services: the diaries linked to that person, oldest link first (this one among them). */
  identityAccounts: Account[]
  /** The person may link another diary (signed in through State Services, which the region offers now). */
  canLinkAnother: boolean
  /** No link yet and the region offers State Services now: the account page offers to link it. */
  canLinkStateServices: boolean
}

/** The diary accounts linked to the State Services person this session signed in through. */
async function accountsOfSessionIdentity(context: RouteContext, session: ActiveSession): Promise<Account[]> {
  if (session.method !== 'state_services' || session.upstreamIssuer === null || session.upstreamSubject === null)
    return []
  const links = await listLinksOfIdentity(context.db, {
    issuer: session.upstreamIssuer,
    subject: session.upstreamSubject,
  })
  const accounts = await findAccountsByIds(
    context.db,
    links.map((link) => link.accountId),
  )
  return links.flatMap((link) => accounts.get(link.accountId) ?? [])
}

/** The page a diary module's "back" link leads to: `homeUrl`, else the origin of its first web redirect URI. */
function homeOf(client: ClientConfig): string | undefined {
  if (client.homeUrl !== undefined) return client.homeUrl
  const web = client.redirectUris
    .map((uri) => new URL(uri))
    .find((url) => url.protocol === 'https:' || url.protocol === 'http:')
  return web === undefined ? undefined : `${web.origin}/`
}

/** The account a session is signed in to. */
export async function accountOf(context: RouteContext, session: ActiveSession): Promise<Account> {
  const account = await findAccountById(context.db, session.accountId)
  if (account === undefined) throw new BridgeError('ERR_LOGIN_EXPIRED', 'the account of this session no longer exists')
  return account
}

/** Whether the owner can confirm with a State Services login: their region offers it now. */
export function canConfirmWithStateServices(context: RouteContext, account: Account): boolean {
  const region = context.regions.get(account.region)
  return region?.connector !== undefined && loginMethods(region.config, context.now()).stateServices
}

export async function accountOverview(
  context: RouteContext,
  session: ActiveSession,
  requestedClient: string | undefined,
): Promise<AccountOverview> {
  const account = await accountOf(context, session)
  const region = context.regions.get(account.region)
  const links = await listLinksOfAccount(context.db, account.id)
  const endedSince = new Date(context.now().getTime() - endedLinksShownDays * 86_400_000)
  const endedLinks = await listLinksEndedByPasswordChange(context.db, account.id, endedSince)
  const regionName = (issuer: string) => regionOfIssuer(context.regions, issuer, account.region)?.config.name
  const sessions = await listActiveSessions(context.db, account.id, sessionClock(context))
  const clientId =
    requestedClient !== undefined && context.config.clients.has(requestedClient)
      ? requestedClient
      : await lastClientOfSession(context.db, session.id)
  const client = clientId === undefined ? undefined : context.config.clients.get(clientId)
  const home = client === undefined || !client.regions.includes(account.region) ? undefined : homeOf(client)
  return {
    account,
    region,
    stateServices:
      links.length > 0 ||
      endedLinks.length > 0 ||
      (region !== undefined && loginMethods(region.config, context.now()).stateServices),
    links: links.map((link) => ({ ...link, regionName: regionName(link.issuer) })),
    endedLinks: endedLinks.map((link) => ({ ...link, regionName: regionName(link.issuer) })),
    sessions,
    returnTo: client === undefined || home === undefined ? undefined : { name: client.name, url: home },
    contacts: (await findContacts(context.db, account.id)) ?? {
      email: null,
      emailVerified: false,
      phone: null,
      phoneVerified: false,
    },
    phoneCodeWaiting: context.senders.sms !== undefined && (await hasPendingPhoneCode(context, account)),
    identityAccounts: await accountsOfSessionIdentity(context, session),
    canLinkAnother: session.upstreamSubject !== null && canConfirmWithStateServices(context, account),
    canLinkStateServices: links.length === 0 && canConfirmWithStateServices(context, account),
  }
}

export function isRecentlyConfirmed(session: ActiveSession, now: Date): boolean {
  return now.getTime() - session.authenticatedAt.getTime() <= confirmationMaxAgeSeconds * 1000
}

/** Removes one of the account's own links (the caller made sure the session is recently confirmed). */
export async function unlinkByOwner(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
  account: Account,
  linkId: string,
): Promise<boolean> {
  const link = await findLinkById(context.db, linkId)
  if (link?.accountId !== account.id || session.accountId !== account.id) return false
  const removed = await context.db
    .transaction()
    .execute((trx) =>
      removeLink(
        trx,
        link,
        { kind: 'owner', sessionId: session.id },
        { now: context.now(), requestId: browser.requestId, region: account.region },
      ),
    )
  return removed !== undefined
}

/** The owner typed the diary password again: the session counts as just confirmed. */
export async function confirmWithPassword(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
  account: Account,
  password: string,
): Promise<boolean> {
  const verified = await attemptPassword(context, browser, {
    region: account.region,
    login: account.login,
    password,
    purpose: 'confirmation',
  })
  if (verified?.id !== account.id) return false
  await confirmSession(context.db, session.id, context.now(), 'pwd')
  return true
}

export async function signOutEverywhere(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
): Promise<void> {
  await context.db.transaction().execute(async (trx) => {
    const ended = await endSessions(trx, { accountId: session.accountId }, 'sign_out_everywhere', context.now())
    await recordAuditEvent(trx, {
      type: 'sign_out_everywhere',
      outcome: 'success',
      accountId: session.accountId,
      requestId: browser.requestId,
      details: { sessions: countSessions(ended) },
    })
  })
  browser.session.delete()
}

export type OwnPasswordChange = PasswordChange | { ok: false; problem: 'wrong_current' }

export async function changeOwnPassword(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
  account: Account,
  form: { current: string; password: string; repeat: string },
): Promise<OwnPasswordChange> {
  const verified = await attemptPassword(context, browser, {
    region: account.region,
    login: account.login,
    password: form.current,
    purpose: 'password_change',
  })
  if (verified?.id !== account.id) return { ok: false, problem: 'wrong_current' }
  const result = await changePassword(context.db, context.hasher, account, {
    password: form.password,
    repeat: form.repeat,
    keepSessionId: session.id,
    now: context.now(),
    requestId: browser.requestId,
  })
  if (result.ok) await alertPasswordChanged(context, browser, account.id)
  return result
}
