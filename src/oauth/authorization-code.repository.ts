/*
 * Authorization codes: the one place that reads or writes `authorization_code`.
 * - a code is single use, short-lived, bound to its client, redirect URI and PKCE challenge (S256);
 *   it is issued, with its audit event, in one statement that also checks the account is in one of
 *   the client's regions
 * - redeeming it is one statement in the common case: an UPDATE that claims the code only when every
 *   check holds (unused, client, expiry, redirect URI, PKCE, its session not ended: a code issued just
 *   before a sign-out everywhere or a password change gives nothing after it), and in the same statement its token
 *   family, first refresh token (offline_access), audit event and the account for the tokens. Parallel
 *   redemptions queue on the row lock: the first wins, every later one finds it used
 * - when the claim finds nothing, a second look (under a row lock) says why: a failed check spends
 *   nothing; a replayed code revokes what it issued: its token family and its access token, whose jti
 *   is chosen and stored with the redemption, so a replay that overtakes the first answer still revokes it
 */
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { accountInRegionsCte, tokenAccountsCte, toTokenAccount } from '../accounts/account.repository.js'
import { auditEventCte } from '../audit/record-audit-event.js'
import { type Cte, cte, tableOf, withCtes } from '../db/cte.js'
import type { AcrLevel, Database, Executor, Role } from '../db/schema.js'
import { findUnendedSession, sessionInColumnEndedSql } from '../sessions/login-session.js'
import {
  accessTokenExpiry,
  checkPkce,
  type GrantFailure,
  type GrantResult,
  hashToken,
  newOpaqueToken,
  s256,
} from './grants.js'
import { refreshTokenCte, revokeAccessToken, revokeFamily, startFamilyCte } from './token-family.repository.js'

export interface NewCode {
  clientId: string
  /** The client's regions: a code is issued only for an account of one of them. */
  regions: readonly string[]
  accountId: string
  sessionId: string | null
  redirectUri: string
  scope: string
  nonce: string | null
  codeChallenge: string
  authTime: Date
  /** RFC 8176 values, space separated (tokens/acr.ts amrOf). */
  amr: string
  acr: AcrLevel
  ttlSeconds: number
  now: Date
  requestId?: string
}

/**
 * The code `value` and its audit event as data-modifying CTEs (`issued_code`, `audited_code`) of a
 * larger statement: one code for each row of `accounts`, which must already be limited to the client's regions.
 */
export function authorizationCodeCtes<Accounts extends Cte<string, 'id' | 'region' | 'session_id', string>>(
  accounts: Accounts,
  code: Omit<NewCode, 'regions' | 'accountId' | 'sessionId'>,
  value: string,
) {
  const issued = sql`
      insert into authorization_code (code_hash, client_id, account_id, session_id, redirect_uri, scope, nonce, code_challenge, auth_time, amr, acr, expires_at)
      select ${hashToken(value)}, ${code.clientId}, id, session_id, ${code.redirectUri}, ${code.scope}, ${code.nonce}, ${code.codeChallenge},
             ${code.authTime}::timestamptz, ${code.amr}, ${code.acr}, ${new Date(code.now.getTime() + code.ttlSeconds * 1000)}::timestamptz
      from ${tableOf(accounts)}
    `
  return {
    issued: cte('issued_code', [], issued, [accounts]),
    audited: auditEventCte('audited_code', accounts, {
      type: 'authorization_code',
      outcome: 'issued',
      clientId: code.clientId,
      requestId: code.requestId,
    }),
  }
}

/**
 * A code and its audit event, in one statement; undefined when the account is gone or in a region the
 * client does not serve (nothing is written then).
 */
export async function issueAuthorizationCode(db: Executor, code: NewCode): Promise<string | undefined> {
  const value = newOpaqueToken()
  const account = accountInRegionsCte('account', code.accountId, code.sessionId, code.regions)
  const issued = authorizationCodeCtes(account, code, value)
  const statement = withCtes()
    .with(account)
    .with(issued.issued)
    .with(issued.audited)
    .select<{ id: string }>(({ column, table }) => sql`select ${column('account', 'id')} from ${table('account')}`)
  const { rows } = await statement.execute(db)
  // Expired codes are deleted by the maintenance job (ops/maintenance.ts), not here.
  return rows.length === 1 ? value : undefined
}

export interface Redemption {
  code: string
  clientId: string
  redirectUri: string | undefined
  codeVerifier: string | undefined
  refreshTtlSeconds: number
  accessTtlSeconds: number
  now: Date
  requestId?: string
}

interface Claimed {
  refreshable: boolean
  session_id: string | null
  scope: string
  nonce: string | null
  auth_time: Date
  amr: string
  acr: AcrLevel
  id: string
  region: string
  role: Role
  family_name: string
  given_name: string
  patronymic: string | null
}

/**
 * Redeems a code; when offline_access was granted, the new family gets its first refresh token.
 * The access token issued with it must carry `accessJti` (it expires within `accessTtlSeconds`).
 */
export async function redeemAuthorizationCode(db: Kysely<Database>, request: Redemption): Promise<GrantResult> {
  const challenge = s256(request.codeVerifier)
  if (challenge === undefined || request.redirectUri === undefined) return whyNotRedeemed(db, request)
  const familyId = randomUUID()
  const accessJti = randomUUID()
  const accessExpiresAt = accessTokenExpiry(request.now, request.accessTtlSeconds)
  const refreshToken = newOpaqueToken()
  const claimed = cte(
    'claimed',
    ['account_id', 'session_id', 'scope', 'nonce', 'auth_time', 'amr', 'acr'],
    sql`update authorization_code
      set used_at = ${request.now}::timestamptz, family_id = ${familyId}::uuid, access_jti = ${accessJti},
          access_expires_at = ${accessExpiresAt}::timestamptz
      where code_hash = ${hashToken(request.code)} and used_at is null and client_id = ${request.clientId}
        and expires_at > ${request.now}::timestamptz and redirect_uri = ${request.redirectUri} and code_challenge = ${challenge}
        and not ${sessionInColumnEndedSql('authorization_code.session_id')}
      returning account_id, session_id, scope, nonce, auth_time, amr, acr`,
  )
  const offline = cte(
    'offline',
    ['family_id'],
    sql`select ${familyId}::uuid as family_id from ${tableOf(claimed)} where 'offline_access' = any(string_to_array(scope, ' '))`,
    [claimed],
  )
  const account = tokenAccountsCte('account', claimed)
  const statement = withCtes()
    .with(claimed)
    .with(startFamilyCte('family', claimed, { familyId, clientId: request.clientId, accessExpiresAt }))
    .with(offline)
    .with(refreshTokenCte('refresh', offline, refreshToken, request.refreshTtlSeconds, request.now))
    .with(account)
    .with(
      auditEventCte('audited', account, {
        type: 'token_authorization_code',
        outcome: 'issued',
        clientId: request.clientId,
        requestId: request.requestId,
      }),
    )
    .select<Claimed>(({ table, column }) => {
      const claim = (name: 'session_id' | 'scope' | 'nonce' | 'auth_time' | 'amr' | 'acr') => column('claimed', name)
      const person = (name: 'id' | 'region' | 'role' | 'family_name' | 'given_name' | 'patronymic') =>
        column('account', name)
      return sql`select ${claim('session_id')}, ${claim('scope')}, ${claim('nonce')}, ${claim('auth_time')}, ${claim('amr')}, ${claim('acr')},
        ${person('id')}, ${person('region')}, ${person('role')}, ${person('family_name')}, ${person('given_name')}, ${person('patronymic')},
        exists (select 1 from ${table('refresh')}) as refreshable
      from ${table('claimed')} cross join ${table('account')}`
    })
  const { rows } = await statement.execute(db)
  const row = rows[0]
  if (row === undefined) return whyNotRedeemed(db, request)
  return {
    ok: true,
    accessJti,
    grant: {
      familyId,
      clientId: request.clientId,
      accountId: row.id,
      sessionId: row.session_id,
      scope: row.scope,
      nonce: row.nonce,
      authTime: row.auth_time,
      amr: row.amr,
      acr: row.acr,
    },
    account: toTokenAccount(row),
    refreshToken: row.refreshable ? refreshToken : undefined,
  }
}

/** Why a code was not redeemed, under its row lock; a replay revokes what the code issued. */
function whyNotRedeemed(db: Kysely<Database>, request: Redemption): Promise<GrantResult> {
  return db.transaction().execute(async (trx): Promise<GrantResult> => {
    const row = await trx
      .selectFrom('authorization_code')
      .selectAll()
      .where('code_hash', '=', hashToken(request.code))
      .forUpdate()
      .executeTakeFirst()
    if (row === undefined) return { ok: false, reason: 'unknown' }
    const refused = (reason: GrantFailure): GrantResult => ({ ok: false, reason, accountId: row.account_id })
    if (row.client_id !== request.clientId) return refused('wrong_client')
    if (row.used_at !== null) {
      if (row.family_id !== null) await revokeFamily(trx, row.family_id, 'code_replay', request.now)
      if (row.access_jti !== null && row.access_expires_at !== null)
        await revokeAccessToken(trx, row.access_jti, row.access_expires_at)
      return refused('replayed')
    }
    if (row.expires_at <= request.now) return refused('expired')
    if (request.redirectUri !== row.redirect_uri) return refused('redirect_uri')
    if (!checkPkce(request.codeVerifier, row.code_challenge)) return refused('pkce')
    if (row.session_id !== null && (await findUnendedSession(trx, row.session_id)) === undefined)
      return refused('revoked')
    // Every check holds on an unused code, yet the claim found nothing: only a bug could get here.
    throw new Error('an unused, valid authorization code could not be claimed')
  })
}
