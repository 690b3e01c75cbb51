/*
 * A leaver loses access at once: ivanova.m is signed in to two diary modules; deactivating her account
 * ends the session in the same transaction, so both modules get a logout token, her access tokens are
 * refused by /userinfo, /introspect and a module's own verifier (the revocation list), her refresh
 * tokens are refused, and the sign-in page says the school closed access — for the right password and
 * a wrong one alike (password recovery: test/web/password-recovery.test.ts). Reactivation lets her sign in
 * again (old tokens stay dead); erasure removes everything personal and keeps ids only.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as client from 'openid-client'
import t from 'tap'
import { findAccountById, findAccountByLogin } from '../../src/accounts/account.repository.js'
import {
  addPasskey,
  factorSummary,
  findPasskeysOfAccount,
  replaceRecoveryCodes,
} from '../../src/factors/factor.repository.js'
import { deactivateAccount, eraseAccount, reactivateAccount } from '../../src/lifecycle/account-state.js'
import { createVerifier, type TokenVerificationError } from '../../src/verify/index.js'
import { Browser, csrfToken } from '../helpers/browser.js'
import { publicUrl } from '../helpers/demo-world.js'
import { clients, secrets, startOAuthWorld } from '../helpers/oauth-world.js'
import { pkceAuthorizationUrl } from '../helpers/pkce.js'
import { waitUntil } from '../helpers/spawn.js'

const logoutTokens: Record<string, string[]> = { web: [], schedule: [] }
const servers = await Promise.all(
  Object.keys(logoutTokens).map(async (name) => {
    const server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString()))
      request.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token')
        if (token !== null) logoutTokens[name]?.push(token)
        response.writeHead(token === null ? 400 : 200).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`
  }),
)
const world = await startOAuthWorld(t, {
  bridge: { backchannelLogout: { intervalMs: 100, timeoutMs: 1000 } },
  clients: {
    'web-diary': { backchannelLogoutUri: servers[0] },
    schedule: { backchannelLogoutUri: servers[1] },
  },
  backgroundJobs: true,
})
const operator = { kind: 'operator' as const, name: 'Петрова А. В.' }

async function passwordPage(login: string, password: string) {
  const browser = new Browser(world.app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  return browser.go('POST', '/login/password', { _csrf: csrfToken(form), login, password })
}

async function signedInTwice() {
  const webConfig = await world.discover('web-diary', client.ClientSecretBasic(secrets['web-diary']))
  const webVerifier = client.randomPKCECodeVerifier()
  const first = await world.signIn(
    await world.authorizationUrl(webConfig, webVerifier, { scope: 'openid offline_access' }),
  )
  const web = await client.authorizationCodeGrant(webConfig, first.location as URL, { pkceCodeVerifier: webVerifier })
  const scheduleConfig = await world.discover('schedule', client.ClientSecretPost(secrets.schedule))
  const scheduleVerifier = client.randomPKCECodeVerifier()
  const url = await pkceAuthorizationUrl(scheduleConfig, scheduleVerifier, {
    redirect_uri: clients.schedule.redirectUris[0] as string,
    scope: 'openid offline_access',
  })
  const second = await world.signIn(url, 'ivanova.m', 'diary-demo', first.browser)
  const schedule = await client.authorizationCodeGrant(scheduleConfig, second.location as URL, {
    pkceCodeVerifier: scheduleVerifier,
  })
  return { webConfig, web, scheduleConfig, schedule }
}

t.test('deactivated: every way in is closed at once, and reactivation opens it again', async (t) => {
  const { webConfig, web, schedule } = await signedInTwice()
  const account = (await findAccountByLogin(world.db, '29', 'ivanova.m'))!
  const scheduleApi = createVerifier({
    issuer: publicUrl,
    audience: clients.schedule.audience,
    fetch: world.fetch,
    revocations: { refreshMs: 200 },
  })
  t.teardown(() => scheduleApi.close())
  await scheduleApi.verify(schedule.access_token)

  const foreign = await deactivateAccount(world.db, {
    region: '78',
    accountId: account.id,
    by: operator,
    reason: 'wrong region',
    now: world.now(),
  })
  t.same(foreign, { kind: 'not_found' }, 'an operator of another region cannot touch it')

  const started = Date.now()
  const outcome = await deactivateAccount(world.db, {
    region: '29',
    accountId: account.id,
    by: operator,
    reason: 'Выбыла в другую школу',
    now: world.now(),
  })
  t.same(outcome, { kind: 'changed', sessionsEnded: 1 })
  t.same(
    await deactivateAccount(world.db, { region: '29', accountId: account.id, by: operator, now: world.now() }),
    { kind: 'unchanged' },
    'twice is nothing new',
  )
  const closed = (await findAccountById(world.db, account.id))!
  t.match(closed, {
    state: 'deactivated',
    deactivation: { reason: 'Выбыла в другую школу', by: 'operator:Петрова А. В.' },
  })

  const userinfo = await world.app.inject({
    method: 'GET',
    url: '/userinfo',
    headers: { authorization: `Bearer ${web.access_token}` },
  })
  t.equal(userinfo.statusCode, 401, '/userinfo refuses the access token')
  const introspection = await world.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      token: schedule.access_token,
      client_id: 'schedule',
      client_secret: secrets.schedule,
    }).toString(),
  })
  t.same(introspection.json(), { active: false }, '/introspect too')
  await client.refreshTokenGrant(webConfig, web.refresh_token as string).then(
    () => t.fail('the refresh token still worked'),
    (error: { error?: string }) => t.equal(error.error, 'invalid_grant', 'the refresh token is refused'),
  )
  await waitUntil(() => logoutTokens.web!.length > 0 && logoutTokens.schedule!.length > 0, 'both logout tokens', 10_000)
  t.ok(Date.now() - started < 5_000, 'both modules got a logout token within 5 seconds')
  const refused = await (async () => {
    for (let i = 0; i < 50; i++) {
      try {
        await scheduleApi.verify(schedule.access_token)
      } catch (error) {
        return error as TokenVerificationError
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return undefined
  })()
  t.equal(refused?.code, 'token_revoked', "the module's own verifier refuses it (the revocation list)")

  for (const password of ['diary-demo', 'not-her-password']) {
    const page = await passwordPage('ivanova.m', password)
    t.equal(page.status, 403)
    t.match(
      page.body,
      'Доступ к дневнику закрыт школой',
      `the sign-in page says so (${password === 'diary-demo' ? 'right' : 'wrong'} password)`,
    )
    t.match(page.body, 'обратитесь к ответственному сотруднику школы')
  }
  const audit = await world.db
    .selectFrom('audit_event')
    .select(['type', 'outcome', 'details'])
    .where('account_id', '=', account.id)
    .where('type', 'in', ['account_deactivated', 'password_sign_in'])
    .orderBy('id')
    .execute()
  t.match(audit.slice(-3), [
    { type: 'account_deactivated', outcome: 'success', details: { by: 'operator:Петрова А. В.', sessions_ended: 1 } },
    { type: 'password_sign_in', outcome: 'closed' },
    { type: 'password_sign_in', outcome: 'closed' },
  ])

  const reactivated = await reactivateAccount(world.db, {
    region: '29',
    accountId: account.id,
    by: operator,
    reason: 'ошибка',
    now: world.now(),
  })
  t.same(reactivated, { kind: 'changed', sessionsEnded: 0 })
  const again = await passwordPage('ivanova.m', 'diary-demo')
  t.same([again.status, again.url.pathname], [200, '/account'], 'she signs in again')
  await client.refreshTokenGrant(webConfig, web.refresh_token as string).then(
    () => t.fail('an old refresh token came back to life'),
    (error: { error?: string }) => t.equal(error.error, 'invalid_grant', 'old tokens stay dead'),
  )
})

t.test('erasure keeps ids only, and its tokens stay revoked', async (t) => {
  const account = (await findAccountByLogin(world.db, '29', 'smirnov.a'))!
  await world.db
    .updateTable('diary_account')
    .set({ email: 'smirnov@example.ru' })
    .where('id', '=', account.id)
    .execute()
  const added = await addPasskey(world.db, account.id, {
    name: 'Ноутбук',
    credentialId: randomBytes(32),
    publicKey: randomBytes(77),
    signCount: 0,
    transports: ['internal'],
    multiDevice: false,
    backedUp: false,
  })
  t.equal(added.kind, 'added')
  await replaceRecoveryCodes(world.db, account.id, ['hash-1', 'hash-2'])
  const deactivated = { region: '29', accountId: account.id, by: operator, now: world.now() }
  t.equal((await deactivateAccount(world.db, deactivated)).kind, 'changed')
  t.same(
    await factorSummary(world.db, account.id),
    { passkeys: 1, totp: 0, recoveryCodesLeft: 2 },
    'deactivation keeps the factors (reactivation restores them)',
  )
  t.same(
    await eraseAccount(world.db, { region: '78', accountId: account.id, by: operator, now: world.now() }),
    { kind: 'not_found' },
    'not from another region',
  )
  await world.db
    .insertInto('login_session')
    .values({
      account_id: account.id,
      method: 'state_services',
      upstream_issuer: 'https://esia.example',
      upstream_subject: '1000300099',
      browser: 'Chrome · Android',
      expires_at: new Date(Date.now() + 3_600_000),
    })
    .execute()
  const erased = await eraseAccount(world.db, { region: '29', accountId: account.id, by: operator, now: world.now() })
  t.equal(erased.kind, 'changed')
  const row = await world.db
    .selectFrom('diary_account')
    .selectAll()
    .where('id', '=', account.id)
    .executeTakeFirstOrThrow()
  t.match(row, {
    login: account.id,
    family_name: '',
    given_name: '',
    patronymic: null,
    birth_date: null,
    snils_hmac: null,
    email: null,
    phone: null,
    password_hash: null,
    state: 'erased',
  })
  t.equal(await findAccountByLogin(world.db, '29', 'smirnov.a'), undefined, 'the login is free')
  t.same(
    await factorSummary(world.db, account.id),
    { passkeys: 0, totp: 0, recoveryCodesLeft: 0 },
    'erasure removed its factors and recovery codes',
  )
  t.same(await findPasskeysOfAccount(world.db, account.id), [], 'no passkey left, not even in a summary')
  const sessions = await world.db
    .selectFrom('login_session')
    .select(['upstream_subject', 'browser', 'ended_reason'])
    .where('account_id', '=', account.id)
    .execute()
  t.same(
    sessions,
    [{ upstream_subject: null, browser: null, ended_reason: 'erased' }],
    'its sessions: ended, ids and times only',
  )
  const tombstone = await world.db
    .selectFrom('audit_event')
    .select(['details'])
    .where('type', '=', 'account_erased')
    .where('account_id', '=', account.id)
    .executeTakeFirstOrThrow()
  t.same(
    Object.keys(tombstone.details).sort(),
    ['by', 'factors_removed', 'links_removed', 'sessions_ended'],
    'the tombstone: ids and counts',
  )
  t.same(
    await eraseAccount(world.db, { region: '29', accountId: account.id, by: operator, now: world.now() }),
    { kind: 'not_found' },
    'erased once',
  )
  t.same(
    await reactivateAccount(world.db, { region: '29', accountId: account.id, by: operator, now: world.now() }),
    { kind: 'not_found' },
    'an erased account does not come back',
  )
})
