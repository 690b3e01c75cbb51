/*
 * Rows of every kind the maintenance job looks at, some past their expiry plus the margin and some not,
 * for the default policy (margin 1 h, login transactions 10 min, access tokens 10 min, throttle
 * window 15 min but kept at least 1 h for the hourly recovery counters, request-limit window 1 min) and an audit retention of `auditRetentionDays`. Names say what the job must do:
 * `gone-…` rows must be deleted, `kept-…` rows must stay. Every seed tags its keys (`…#tag`), so that
 * seeding again in the same database makes new rows.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import type { Database } from '../../src/db/schema.js'

export interface SeededRows {
  /** Table → the names of the seeded rows that must remain after one run, sorted. */
  kept: Record<string, string[]>
  /** Table → how many seeded rows one run deletes. */
  deleted: Record<string, number>
  /** Names → ids of the families and sessions (uuid columns). */
  ids: Map<string, string>
  /** What this seed appended to every text key. */
  tag: string
}

export async function seedExpiringRows(
  db: Kysely<Database>,
  accountId: string,
  now: Date,
  auditRetentionDays: number,
): Promise<SeededRows> {
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000)
  const hour = 3600
  const tag = randomBytes(4).toString('hex')
  const key = (name: string) => `${name}#${tag}`
  const ids = new Map<string, string>()
  const id = (name: string) => {
    if (!ids.has(name)) ids.set(name, randomUUID())
    return ids.get(name) as string
  }

  for (const [name, usedAt] of [
    ['gone-tx', at(-(1200 + hour + 60))],
    ['kept-tx-in-margin', at(-(1200 + 60))],
    ['kept-tx', at(-5)],
  ] as const) {
    await sql`insert into login_transaction_use (id, used_at) values (${key(name)}, ${usedAt})`.execute(db)
  }

  const sessions: [string, { expires: Date; ended?: Date }][] = [
    ['gone-session-ended', { expires: at(10 * hour), ended: at(-2 * hour) }],
    ['gone-session-expired', { expires: at(-2 * hour) }],
    ['kept-session-expired-with-live-family', { expires: at(-2 * hour) }],
    ['kept-session-ended-in-margin', { expires: at(10 * hour), ended: at(-60) }],
    ['kept-session-active', { expires: at(10 * hour) }],
  ]
  for (const [name, session] of sessions) {
    await db
      .insertInto('login_session')
      .values({
        id: id(name),
        account_id: accountId,
        method: 'password',
        expires_at: session.expires,
        ended_at: session.ended ?? null,
        ended_reason: session.ended ? 'logout' : null,
      })
      .execute()
  }

  for (const [name, expires] of [
    ['gone-code', at(-(hour + 60))],
    ['kept-code-in-margin', at(-60)],
    ['kept-code', at(60)],
  ] as const) {
    await db
      .insertInto('authorization_code')
      .values({
        code_hash: key(name),
        client_id: 'web-diary',
        account_id: accountId,
        session_id: id('kept-session-active'),
        redirect_uri: 'https://diary.example/callback',
        scope: 'openid',
        code_challenge: 'x',
        auth_time: now,
        amr: 'pwd',
        expires_at: expires,
      })
      .execute()
  }

  const families: [string, { created: Date; session?: string; revoked?: boolean; tokens: [string, Date][] }][] = [
    ['gone-family-tokens-expired', { created: at(-40 * 86_400), tokens: [['gone-token-expired', at(-2 * hour)]] }],
    ['gone-family-without-tokens', { created: at(-2 * hour), tokens: [] }],
    ['kept-family-without-tokens-recent', { created: at(-60), tokens: [] }],
    [
      'kept-family-live',
      {
        created: at(-40 * 86_400),
        session: 'kept-session-expired-with-live-family',
        tokens: [
          ['kept-token-live', at(86_400)],
          ['gone-token-used-expired', at(-(hour + 60))],
        ],
      },
    ],
    [
      'kept-family-revoked-live-token',
      {
        created: at(-hour),
        session: 'gone-session-ended',
        revoked: true,
        tokens: [['kept-token-of-revoked', at(86_400)]],
      },
    ],
  ]
  for (const [name, family] of families) {
    await sql`
      insert into token_family (id, client_id, account_id, session_id, scope, auth_time, amr, created_at, revoked_at, revoked_reason)
      values (${id(name)}, 'web-diary', ${accountId}, ${family.session === undefined ? null : id(family.session)}, 'openid offline_access', ${now}, 'pwd',
              ${family.created}, ${family.revoked ? now : null}, ${family.revoked ? 'logout' : null})`.execute(db)
    for (const [token, expires] of family.tokens) {
      await db
        .insertInto('refresh_token')
        .values({ token_hash: key(token), family_id: id(name), expires_at: expires })
        .execute()
    }
  }

  const throttles: [string, Date, Date | null][] = [
    ['gone-throttle', at(-(hour + hour + 60)), null],
    ['gone-throttle-block-over', at(-(hour + hour + 60)), at(-2 * hour)],
    ['kept-throttle-blocked', at(-(hour + hour + 60)), at(hour)],
    ['kept-throttle-recovery-hour', at(-(900 + hour + 60)), null],
    ['kept-throttle', at(-60), null],
  ]
  for (const [name, windowStart, blockedUntil] of throttles) {
    await db
      .insertInto('login_throttle')
      .values({ key: key(name), failures: 3, window_started_at: windowStart, blocked_until: blockedUntil })
      .execute()
  }

  for (const [jti, expires] of [
    ['gone-jti', at(-2 * hour)],
    ['kept-jti', at(300)],
  ] as const) {
    await db
      .insertInto('revoked_access_token')
      .values({ jti: key(jti), expires_at: expires })
      .execute()
  }

  for (const [jti, expires] of [
    ['gone-assertion', at(-(hour + 60))],
    ['kept-assertion-in-margin', at(-60)],
    ['kept-assertion', at(60)],
  ] as const) {
    await db
      .insertInto('client_assertion_use')
      .values({ client_id: 'schedule', jti: key(jti), expires_at: expires })
      .execute()
  }

  const rates: [string, Date][] = [
    ['gone-rate', at(-(60 + hour + 60))],
    ['kept-rate-in-margin', at(-(60 + hour - 60))],
    ['kept-rate', at(0)],
  ]
  for (const [name, windowStart] of rates) {
    await db
      .insertInto('request_rate')
      .values({ key: key(name), window_start: windowStart, count: 7 })
      .execute()
  }

  const secrets: [string, Date][] = [
    ['gone-secret', at(-(hour + 60))],
    ['kept-secret-in-margin', at(-60)],
    ['kept-secret', at(600)],
  ]
  for (const [name, expires] of secrets) {
    await db
      .insertInto('recovery_secret')
      .values({
        lookup_key: key(name),
        account_id: null,
        purpose: 'reset_sms',
        secret_hash: key(name),
        destination: null,
        expires_at: expires,
      })
      .execute()
  }

  // A TOTP enrolment waits an hour for its first code; a confirmed factor never expires.
  const factors: [string, Date, Date | null][] = [
    ['gone-pending-totp', at(-(2 * hour + 60)), null],
    ['kept-pending-totp-in-margin', at(-(hour + 60)), null],
    ['kept-pending-totp', at(-60), null],
    ['kept-confirmed-totp', at(-(90 * 24 * hour)), at(-(90 * 24 * hour - 60))],
  ]
  for (const [name, createdAt, confirmedAt] of factors) {
    await sql`insert into account_factor (account_id, kind, name, created_at, confirmed_at, totp_secret_encrypted)
      values (${accountId}, 'totp', ${key(name)}, ${createdAt}, ${confirmedAt}, 'f1.sealed')`.execute(db)
  }

  const notices: [string, Date | null, Date | null][] = [
    ['gone-notice-delivered', at(-(hour + 60)), null],
    ['gone-notice-given-up', null, at(-(hour + 60))],
    ['kept-notice-delivered-in-margin', at(-60), null],
    ['kept-notice-pending', null, null],
  ]
  for (const [name, deliveredAt, gaveUpAt] of notices) {
    await db
      .insertInto('logout_notice')
      .values({
        client_id: key(name),
        account_id: randomUUID(),
        session_id: null,
        reason: 'logout',
        delivered_at: deliveredAt,
        gave_up_at: gaveUpAt,
      })
      .execute()
  }

  // Erased accounts go once their tokens cannot be valid any more (the longest access-token lifetime);
  // a deactivated one never goes by itself.
  const accounts: [string, 'erased' | 'deactivated', Date][] = [
    ['gone-erased-account', 'erased', at(-(600 + hour + 60))],
    ['kept-erased-account-in-margin', 'erased', at(-(600 + 60))],
    ['kept-deactivated-account', 'deactivated', at(-400 * 86_400)],
  ]
  for (const [name, state, since] of accounts) {
    await sql`insert into diary_account (id, region, login, role, family_name, given_name, state, deactivated_at, deactivated_by)
      values (${id(name)}, '29', ${key(name).toLowerCase()}, 'pupil', '', '', ${state}, ${since}, 'import')`.execute(db)
  }

  for (const [type, days] of [
    ['gone-audit', auditRetentionDays + 1],
    ['kept-audit', auditRetentionDays - 1],
  ] as const) {
    await sql`insert into audit_event (at, type, outcome) values (${at(-days * 86_400)}, ${key(type)}, 'success')`.execute(
      db,
    )
  }

  const names = [
    ['login_transaction_use', ['gone-tx', 'kept-tx-in-margin', 'kept-tx']] as const,
    ['login_session', sessions.map(([name]) => name)] as const,
    ['authorization_code', ['gone-code', 'kept-code-in-margin', 'kept-code']] as const,
    ['token_family', families.map(([name]) => name)] as const,
    ['refresh_token', families.flatMap(([, family]) => family.tokens.map(([token]) => token))] as const,
    ['login_throttle', throttles.map(([key]) => key)] as const,
    ['revoked_access_token', ['gone-jti', 'kept-jti']] as const,
    ['client_assertion_use', ['gone-assertion', 'kept-assertion-in-margin', 'kept-assertion']] as const,
    ['request_rate', rates.map(([name]) => name)] as const,
    ['recovery_secret', secrets.map(([name]) => name)] as const,
    ['account_factor', factors.map(([name]) => name)] as const,
    ['logout_notice', notices.map(([name]) => name)] as const,
    ['diary_account', accounts.map(([name]) => name)] as const,
    ['audit_event', ['gone-audit', 'kept-audit']] as const,
  ]
  return {
    kept: Object.fromEntries(
      names.map(([table, list]) => [table, list.filter((name) => name.startsWith('kept-')).sort()]),
    ),
    deleted: Object.fromEntries(
      names.map(([table, list]) => [table, list.filter((name) => name.startsWith('gone-')).length]),
    ),
    ids,
    tag,
  }
}

/** Table → the names of the seeded rows still there, sorted (rows the seed did not make are left out). */
export async function seededRowsLeft(db: Kysely<Database>, seeded: SeededRows): Promise<Record<string, string[]>> {
  const nameOf = new Map([...seeded.ids].map(([name, id]) => [id, name]))
  const suffix = `#${seeded.tag}`
  const named = (values: string[]) =>
    values
      .map((value) => nameOf.get(value) ?? (value.endsWith(suffix) ? value.slice(0, -suffix.length) : ''))
      .filter((name) => /^(gone|kept)-/.test(name))
      .sort()
  return {
    login_transaction_use: named(
      (await db.selectFrom('login_transaction_use').select('id').execute()).map((row) => row.id),
    ),
    login_session: named((await db.selectFrom('login_session').select('id').execute()).map((row) => row.id)),
    authorization_code: named(
      (await db.selectFrom('authorization_code').select('code_hash').execute()).map((row) => row.code_hash),
    ),
    token_family: named((await db.selectFrom('token_family').select('id').execute()).map((row) => row.id)),
    refresh_token: named(
      (await db.selectFrom('refresh_token').select('token_hash').execute()).map((row) => row.token_hash),
    ),
    login_throttle: named((await db.selectFrom('login_throttle').select('key').execute()).map((row) => row.key)),
    revoked_access_token: named(
      (await db.selectFrom('revoked_access_token').select('jti').execute()).map((row) => row.jti),
    ),
    client_assertion_use: named(
      (await db.selectFrom('client_assertion_use').select('jti').execute()).map((row) => row.jti),
    ),
    request_rate: named((await db.selectFrom('request_rate').select('key').execute()).map((row) => row.key)),
    recovery_secret: named(
      (await db.selectFrom('recovery_secret').select('secret_hash').execute()).map((row) => row.secret_hash),
    ),
    account_factor: named((await db.selectFrom('account_factor').select('name').execute()).map((row) => row.name)),
    logout_notice: named(
      (await db.selectFrom('logout_notice').select('client_id').execute()).map((row) => row.client_id),
    ),
    diary_account: named((await db.selectFrom('diary_account').select('id').execute()).map((row) => row.id)),
    audit_event: named((await db.selectFrom('audit_event').select('type').execute()).map((row) => row.type)),
  }
}
