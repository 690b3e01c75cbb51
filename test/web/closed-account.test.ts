/*
 * State Services and a deactivated diary: a person whose diary the school closed is told so, whether the
 * link exists already (it stays, unusable) or would be made now (it is not made); reactivation lets the
 * linked person straight in again.
 */
import t from 'tap'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { deactivateAccount, reactivateAccount } from '../../src/lifecycle/account-state.js'
import { Browser, type Page } from '../helpers/browser.js'
import { publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const world = await startDemoWorld(t)
const db = world.database.db
const by = { kind: 'scim' as const, clientId: 'demo-diary-sync' }

async function loginAs(person: string): Promise<Page> {
  const browser = new Browser(world.app, publicUrl)
  await browser.go('GET', '/login?region=29')
  const simulatorPage = await browser.go('GET', '/login/state-services')
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(simulatorPage.body)?.[1]
  if (action === undefined) throw new Error(`no person page at the simulator: ${simulatorPage.status}`)
  return browser.go('POST', new URL(action, simulatorPage.url), { person })
}

const linksOf = (accountId: string) =>
  db.selectFrom('identity_link').select('method').where('account_id', '=', accountId).execute()

t.test('linked already: the page says the school closed access; the link stays for later', async (t) => {
  const first = await loginAs('maria')
  t.equal(first.url.pathname, '/account', 'linked by SNILS and signed in')
  const maria = (await findAccountByLogin(db, '29', 'ivanova.m'))!
  await deactivateAccount(db, { region: '29', accountId: maria.id, by, reason: 'выбыла', now: new Date() })

  const closed = await loginAs('maria')
  t.equal(closed.status, 403)
  t.match(closed.body, 'Доступ к дневнику закрыт школой')
  t.same(await linksOf(maria.id), [{ method: 'auto_snils' }], 'the link is kept')

  await reactivateAccount(db, { region: '29', accountId: maria.id, by, now: new Date() })
  const again = await loginAs('maria')
  t.equal(again.url.pathname, '/account', 'reactivated: straight in through the kept link')
})

t.test('not linked yet: the same page, and no link is made', async (t) => {
  const petr = (await findAccountByLogin(db, '29', 'ivanov.p'))!
  await deactivateAccount(db, { region: '29', accountId: petr.id, by, now: new Date() })
  const closed = await loginAs('petr')
  t.equal(closed.status, 403)
  t.match(closed.body, 'Доступ к дневнику закрыт школой')
  t.same(await linksOf(petr.id), [], 'no link to a closed diary')
})
