/*
 * The one-statement State Services login (src/login/linked-sign-in.ts) against the careful path it
 * stands for (state-services.ts → linking/link-account.ts → sign-in.ts → authorization.ts): the same
 * callback of a linked person with a diary module waiting, once in a browser without a session cookie
 * (the one statement) and once with a stale one (the careful path), on one database. They must write
 * the same rows: a used login transaction, a session, a code, the link decision and the code in the
 * audit trail; only ids and times may differ. The statements each sends are counted, to show which ran.
 */
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import t from 'tap'
import type { RouteContext } from '../../src/context.js'
import type { Database } from '../../src/db/schema.js'
import { insertLink } from '../../src/linking/identity-link.repository.js'
import type { BrowserRequest } from '../../src/login/browser.js'
import { finishStateServices } from '../../src/login/state-services.js'
import { openLoginTransaction, type PendingAuthorization } from '../../src/login/transaction.js'
import { hashToken } from '../../src/oauth/grants.js'
import type { Connector } from '../../src/upstream/connector.js'
import { loadTestConfig } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const config = loadTestConfig(t)
const { db: database } = await openTestDatabase(t)
const now = new Date('2026-09-01T07:30:00Z')
const issuer = 'https://esia.example'
const identity = { issuer, subject: 'person-1', verified: true, snilsInvalid: false }

let statements = 0
const db: Kysely<Database> = database.withPlugin({
  transformQuery: (args) => {
    statements++
    return args.node
  },
  transformResult: async (args) => args.result,
})

const region = config.regions.get('29')
if (region === undefined) throw new Error('the test config has no region 29')
const connector = { finishLogin: async () => identity } as unknown as Connector
const noMetrics = new Proxy({}, { get: () => () => undefined })
const context = {
  db,
  config,
  now: () => now,
  regions: new Map([['29', { config: region, connector }]]),
  metrics: noMetrics,
} as unknown as RouteContext

const account = await db
  .insertInto('diary_account')
  .values({
    region: '29',
    login: 'ivanova.m',
    role: 'pupil',
    family_name: 'Иванова',
    given_name: 'Мария',
    password_hash: null,
  })
  .returning(['id'])
  .executeTakeFirstOrThrow()
await insertLink(db, {
  accountId: account.id,
  issuer,
  subject: identity.subject,
  method: 'auto_snils',
  verified: true,
  evidence: {},
})

const pending: PendingAuthorization = {
  clientId: 'web-diary',
  redirectUri: 'https://diary.example/callback',
  scope: 'openid profile',
  codeChallenge: 'c'.repeat(43),
  nonce: 'n-1',
  state: 's-1',
  startedAt: now.getTime(),
}

/** A browser back from State Services with a diary module waiting; `sid`: the session cookie it still holds. */
function browserBack(requestId: string, sid: string | undefined): { browser: BrowserRequest; transactionId: string } {
  const cookie = new Map<string, unknown>([
    ['region', '29'],
    ['authorize', pending],
    [
      'phase',
      {
        kind: 'upstream',
        id: `tx-${requestId}`,
        region: '29',
        purpose: { kind: 'sign_in' },
        upstream: {},
        startedAt: now.getTime(),
      },
    ],
  ])
  const session = new Map<string, string | undefined>([['sid', sid]])
  const transaction = openLoginTransaction(
    {
      get: (key) => cookie.get(key) as never,
      set: (key, value) => cookie.set(key, value),
      delete: () => cookie.clear(),
    },
    { ttlSeconds: 600, now: () => now },
  )
  const browser = {
    requestId,
    ip: '127.0.0.1',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    locale: 'ru',
    session: {
      get: () => session.get('sid'),
      set: (_key: 'sid', value: string | undefined) => session.set('sid', value),
      regenerate: () => undefined,
      delete: () => session.clear(),
    },
    transaction,
    afterAnswer: () => undefined,
  } as unknown as BrowserRequest
  return { browser, transactionId: `tx-${requestId}` }
}

/** What a login wrote, without ids and times (times as offsets from `now`). */
async function written(requestId: string, transactionId: string, location: string, sid: string | undefined) {
  const code = new URL(location).searchParams.get('code') ?? ''
  const seconds = (date: Date | null) => (date === null ? null : (date.getTime() - now.getTime()) / 1000)
  const codeRow = await database
    .selectFrom('authorization_code')
    .selectAll()
    .where('code_hash', '=', hashToken(code))
    .executeTakeFirstOrThrow()
  const session = await database
    .selectFrom('login_session')
    .selectAll()
    .where('id', '=', codeRow.session_id ?? '')
    .executeTakeFirstOrThrow()
  const audit = await sql<Record<string, unknown>>`
    select type, outcome, account_id, region, client_id, details from audit_event where request_id = ${requestId} order by id`.execute(
    database,
  )
  const used = await database.selectFrom('login_transaction_use').select('id').where('id', '=', transactionId).execute()
  return {
    location: location.replace(code, '<code>'),
    sessionCookie: sid,
    session: {
      account_id: session.account_id,
      method: session.method,
      upstream_issuer: session.upstream_issuer,
      upstream_subject: session.upstream_subject,
      browser: session.browser,
      authenticated_at: seconds(session.authenticated_at),
      last_seen_at: seconds(session.last_seen_at),
      expires_at: seconds(session.expires_at),
      ended_at: session.ended_at,
    },
    code: {
      client_id: codeRow.client_id,
      account_id: codeRow.account_id,
      redirect_uri: codeRow.redirect_uri,
      scope: codeRow.scope,
      nonce: codeRow.nonce,
      code_challenge: codeRow.code_challenge,
      amr: codeRow.amr,
      auth_time: seconds(codeRow.auth_time),
      expires_at: seconds(codeRow.expires_at),
      used_at: codeRow.used_at,
      family_id: codeRow.family_id,
    },
    audit: audit.rows,
    transactionUsed: used.length,
  }
}

async function login(requestId: string, staleSid: string | undefined) {
  const { browser, transactionId } = browserBack(requestId, staleSid)
  const before = statements
  const location = await finishStateServices(context, browser, 'code=c&state=s')
  const sent = statements - before
  const sid = browser.session.get('sid')
  return { sent, sid, rows: await written(requestId, transactionId, location, sid === undefined ? undefined : 'set') }
}

t.test('the one statement and the careful path write the same rows', async (t) => {
  const fast = await login('req-fast', undefined)
  const careful = await login('req-careful', randomUUID())
  t.equal(fast.sent, 1, 'no session cookie, a client waiting: one statement')
  t.ok(careful.sent > 3, `a stale session cookie: the careful path (${careful.sent} statements)`)
  t.not(fast.sid, careful.sid, 'two sessions')
  t.same(careful.rows, fast.rows, 'the same rows, but for ids and times')
  t.match(fast.rows, {
    location: /^https:\/\/diary\.example\/callback\?code=<code>&state=s-1&iss=/,
    session: {
      account_id: account.id,
      method: 'state_services',
      upstream_issuer: issuer,
      upstream_subject: 'person-1',
      ended_at: null,
    },
    code: { account_id: account.id, client_id: 'web-diary', amr: 'fed', used_at: null },
    audit: [
      {
        type: 'link_decision',
        outcome: 'linked',
        account_id: account.id,
        region: '29',
        client_id: null,
        details: { issuer, method: 'auto_snils', verified: true, created: false },
      },
      {
        type: 'authorization_code',
        outcome: 'issued',
        account_id: account.id,
        region: '29',
        client_id: 'web-diary',
        details: {},
      },
    ],
    transactionUsed: 1,
  })
})
