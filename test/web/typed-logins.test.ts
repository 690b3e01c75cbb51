/*
 * What people type into the login field reaches the throttle only as a keyed hash: a mistyped SNILS,
 * a SNILS of nobody, an e-mail address or a phone number, at sign-in and at "Forgot your password?";
 * and the blocks kept under those hashes are still found and lifted by a password reset.
 */
import { sql } from 'kysely'
import t from 'tap'
import type { MailMessage } from '../../src/notify/senders.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const mails: MailMessage[] = []
const world = await startDemoWorld(t, {
  senders: { mail: { send: async (message: MailMessage) => void mails.push(message) } },
})
const { app, database } = world
const db = database.db

await sql`update diary_account set email = 'maria.ivanova@example.ru', email_verified_at = now() where login = 'ivanova.m'`.execute(
  db,
)

async function signIn(login: string, password: string): Promise<Page> {
  const browser = new Browser(app, publicUrl)
  const page = await browser.go('GET', '/login?region=29')
  return browser.go('POST', '/login/password', { _csrf: csrfToken(page), login, password })
}

async function forgot(login: string): Promise<Page> {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  const page = await browser.go('GET', '/password/forgot')
  const answer = await browser.go('POST', '/password/forgot', { _csrf: csrfToken(page), login, via: 'email' })
  await new Promise((resolve) => setImmediate(resolve))
  return answer
}

t.test(
  'a mistyped SNILS, a SNILS of nobody, an e-mail and a phone typed as the login: none of them in the throttle table',
  async (t) => {
    const typed = ['112-233-445 96', '156-482-915 96', 'Maria.Ivanova@Example.RU', '+7 900 123-45-67', 'ivanova.m']
    for (const login of typed) {
      t.equal((await signIn(login, 'wrong-password')).status, 401, `sign-in with ${login.slice(0, 3)}…`)
      t.equal((await forgot(login)).status, 200, `recovery for ${login.slice(0, 3)}…`)
    }
    const keys = (await db.selectFrom('login_throttle').select('key').execute()).map((row) => row.key)
    t.ok(keys.length >= 6, `the attempts were counted (${keys.length} keys)`)
    const needles = [
      '112-233-445',
      '11223344596',
      '15648291596',
      '156-482-915',
      'maria',
      'example',
      '9001234567',
      '900 123',
      'ivanova',
    ]
    for (const needle of needles)
      t.notOk(
        keys.some((key) => key.toLowerCase().includes(needle)),
        `no key holds ${needle.slice(0, 3)}…`,
      )
    const digits = keys.map((key) => key.replace(/\D/g, ''))
    t.notOk(
      digits.some((run) => run.includes('11223344596') || run.includes('79001234567')),
      'not even among the digits of a hash',
    )
    for (const key of keys)
      t.match(
        key,
        /^(account:29:[0-9a-f]{64}|ip:[^:]+|recovery:(account:29:[0-9a-f]{64}(:ip:[^:]+)?|ip:[^:]+|[0-9a-f]{64}))$/,
        'every key is a region, an address or a keyed hash',
      )
  },
)

t.test('the SNILS and the login in any writing count on one key, and a password reset lifts its block', async (t) => {
  await db.deleteFrom('login_throttle').execute()
  const writings = ['112-233-445 95', 'IVANOVA.M', '11223344595', ' ivanova.m ']
  for (let i = 0; i < world.config.bridge.throttling.accountFailures; i++)
    await signIn(writings[i % writings.length] as string, 'wrong-password')
  t.equal((await signIn('ivanova.m', demoPassword)).status, 429, 'blocked, whichever way the failures were typed')

  await forgot('112 233 445 95')
  const link = /http:\/\/localhost:3000(\/password\/reset\?token=[A-Za-z0-9_-]+)/.exec(
    mails.at(-1)?.text ?? '',
  )?.[1] as string
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', link)
  const done = await browser.go('POST', '/password/reset', {
    _csrf: csrfToken(form),
    password: 'Снова-вхожу-2026',
    repeat: 'Снова-вхожу-2026',
  })
  t.equal(done.url.pathname, '/login')
  t.equal(
    (await signIn('112-233-445 95', 'Снова-вхожу-2026')).url.pathname,
    '/account',
    'the reset cleared the block kept under the hash',
  )
})
