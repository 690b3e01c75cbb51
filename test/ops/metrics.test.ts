import t from 'tap'
import { Browser, csrfToken } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const { app } = await startDemoWorld(t)

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = (await app.inject('/metrics')).body
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}

t.test('/metrics counts logins, link decisions, upstream calls and HTTP requests', async (t) => {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  await browser.go('POST', '/login/password', {
    _csrf: csrfToken(form),
    login: 'ivanova.m',
    password: 'wrong-one-here',
  })
  const again = await browser.go('GET', '/login?region=29')
  await browser.go('POST', '/login/password', { _csrf: csrfToken(again), login: 'ivanova.m', password: demoPassword })
  t.equal(await metric('bridge_logins_total', { region: '29', method: 'password', outcome: 'failure' }), 1)
  t.equal(await metric('bridge_logins_total', { region: '29', method: 'password', outcome: 'success' }), 1)

  const sso = new Browser(app, publicUrl)
  await sso.go('GET', '/login?region=29')
  const simulator = await sso.go('GET', '/login/state-services')
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(simulator.body)?.[1] as string
  await sso.go('POST', new URL(action, simulator.url), { person: 'sergey' })
  t.equal(await metric('bridge_link_decisions_total', { region: '29', outcome: 'needs_password:no_match' }), 1)
  t.equal(
    await metric('bridge_upstream_duration_seconds_count', { region: '29', operation: 'callback', outcome: 'ok' }),
    1,
  )
  t.equal(
    await metric('bridge_upstream_duration_seconds_count', { region: '29', operation: 'start', outcome: 'ok' }),
    1,
  )
  t.ok(
    (await metric('bridge_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/login',
      status_code: '200',
    })) >= 2,
  )
  const text = (await app.inject('/metrics')).body
  t.match(text, /bridge_password_hash_workers \d+/)
  t.match(text, /bridge_process_resident_memory_bytes/)
  t.notMatch(text, /ivanova|sergey|Соколов/, 'no logins, subjects or names in labels')
})
