/*
 * The common State Services login in one statement: the person is linked already to exactly one
 * account of the login's region, this browser holds no session, and a diary module is waiting. One
 * round trip to the database does what the careful path (state-services.ts → linking/link-account.ts →
 * sign-in.ts → authorization.ts) does in seven:
 *   mark the login transaction used → read the link (share lock) → audit the link decision →
 *   start the session → issue the code for the client's regions → audit the code
 * Each part is its owner's SQL (sessions/, linking/, accounts/, oauth/, audit/), a typed CTE (db/cte.ts)
 * that names the columns it provides and the CTEs it reads; this module only joins them, and a wrong
 * join does not build. test/login/fast-and-careful.test.ts checks it writes what the careful path writes. A statement is atomic, so a link removed or replaced at the same moment either waits for it
 * (and then ends the session it started) or happens first (and the login finds no link), as in the
 * careful path's transaction.
 * Answers: the transaction was used already; no link, several in the region, or one of a person the
 * provider did not verify (the careful path goes on, the transaction is spent; it shows the chooser or
 * asks the second-factor policy); or signed in, with the code (none when the
 * client does not serve the account's region).
 */
import { sql } from 'kysely'
import { sessionAccountsInRegionsCte } from '../accounts/account.repository.js'
import { auditEventCte } from '../audit/record-audit-event.js'
import type { ClientConfig } from '../config/load.js'
import { withCtes } from '../db/cte.js'
import type { LinkMethod } from '../db/schema.js'
import type { RouteContext } from '../context.js'
import { linksOfSubjectCte, onlyLinkCte } from '../linking/identity-link.repository.js'
import { authorizationCodeCtes } from '../oauth/authorization-code.repository.js'
import { newOpaqueToken } from '../oauth/grants.js'
import { describeBrowser } from '../sessions/browser-family.js'
import { consumeLoginTransactionCte, startSessionCte } from '../sessions/login-session.js'
import type { Identity } from '../upstream/connector.js'
import type { BrowserRequest } from './browser.js'
import type { PendingAuthorization } from './transaction.js'

export type LinkedSignIn =
  | { kind: 'used' }
  | { kind: 'not_linked' }
  | { kind: 'signed_in'; accountId: string; method: LinkMethod; sessionId: string; code: string | undefined }

/**
 * Whether the one-statement path applies to this browser: no session of its own, a region where a
 * verified State Services sign-in is strong by itself, a known client waiting, and no
 * `prompt=select_account` (that always shows the chooser).
 */
export function waitingClient(
  context: RouteContext,
  browser: BrowserRequest,
): { client: ClientConfig; pending: PendingAuthorization } | undefined {
  if (browser.session.get('sid') !== undefined) return undefined
  // A region where State Services does not count as strong asks its second-factor policy: careful path.
  const region = context.regions.get(browser.transaction.peek().region ?? browser.transaction.region() ?? '')
  if (region?.config.secondFactor.stateServicesCounts !== true) return undefined
  const pending = browser.transaction.pendingAuthorization()
  if (pending?.prompt === 'select_account') return undefined
  const client = pending && context.config.clients.get(pending.clientId)
  return pending && client && { client, pending }
}

export async function signInLinked(
  context: RouteContext,
  browser: BrowserRequest,
  login: {
    transactionId: string
    region: string
    identity: Identity
    client: ClientConfig
    pending: PendingAuthorization
  },
): Promise<LinkedSignIn> {
  const now = context.now()
  const { identity, pending } = login
  const code = newOpaqueToken()
  const session = {
    method: 'state_services' as const,
    upstreamIssuer: identity.issuer,
    upstreamSubject: identity.subject,
    browser: describeBrowser(browser.userAgent) ?? null,
    lifetimeSeconds: context.config.bridge.session.absoluteLifetimeSeconds,
    now,
    assurance: { amr: ['fed'], acr: 'mfa' as const },
  }
  const used = consumeLoginTransactionCte('used', login.transactionId)
  const links = linksOfSubjectCte('links', used, identity, login.region)
  // Only a link of a verified person is a strong sign-in by itself (the region lets State Services count:
  // waitingClient); any other goes the careful path, which asks the second-factor policy.
  const link = onlyLinkCte('link', links, { strongOnly: { personVerified: identity.verified } })
  const decided = auditEventCte('decided', link, {
    type: 'link_decision',
    outcome: 'linked',
    requestId: browser.requestId,
    details: (column) =>
      sql`jsonb_build_object('issuer', ${identity.issuer}::text, 'method', ${column('method')}, 'verified', ${column('verified')}, 'created', false)`,
  })
  const started = startSessionCte('session', decided, session)
  const account = sessionAccountsInRegionsCte('account', started, login.client.regions)
  const issued = authorizationCodeCtes(
    account,
    {
      clientId: login.client.clientId,
      redirectUri: pending.redirectUri,
      scope: pending.scope,
      nonce: pending.nonce ?? null,
      codeChallenge: pending.codeChallenge,
      authTime: now,
      amr: 'fed',
      acr: 'mfa',
      ttlSeconds: context.config.bridge.tokens.authorizationCodeTtlSeconds,
      now,
      requestId: browser.requestId,
    },
    code,
  )
  const statement = withCtes()
    .with(used)
    .with(links)
    .with(link)
    .with(decided)
    .with(started)
    .with(account)
    .with(issued.issued)
    .with(issued.audited)
    .select<{
      used: number
      account_id: string | null
      method: LinkMethod | null
      session_id: string | null
      coded: number
    }>(
      ({
        table,
        column,
      }) => sql`select (select count(*)::int from ${table('used')}) as used, ${column('session', 'account_id')}, (select ${column('link', 'method')} from ${table('link')}) as method,
           ${column('session', 'id')} as session_id, (select count(*)::int from ${table('account')}) as coded
    from (select 1) as one left join ${table('session')} on true`,
    )
  const { rows } = await statement.execute(context.db)
  const row = rows[0]
  if (row === undefined || row.used === 0) return { kind: 'used' }
  if (row.session_id === null || row.account_id === null || row.method === null) return { kind: 'not_linked' }
  return {
    kind: 'signed_in',
    accountId: row.account_id,
    method: row.method,
    sessionId: row.session_id,
    code: row.coded === 1 ? code : undefined,
  }
}
