import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { createMailbox, linkifiedText, registerMailboxPage } from '../../demo/mailbox.js'

const bridgeUrl = 'http://localhost:3000'

async function pageOf(t: Test, mailbox: ReturnType<typeof createMailbox>) {
  const app = Fastify()
  t.teardown(() => app.close())
  registerMailboxPage(app, mailbox, { bridgeUrl })
  return app.inject({ method: 'GET', url: '/mailbox' })
}

t.test('the page escapes everything the messages carry', async (t) => {
  const mailbox = createMailbox()
  await mailbox.send({
    to: '"><script>alert(1)</script>@example.ru',
    subject: '<img src=x onerror=alert(2)>',
    text: 'Откройте </pre><script>alert(3)</script> & "кавычки" \'одинарные\'',
  })
  await mailbox.send({ to: '+79161234567', text: '<b>123456</b>' })
  const response = await pageOf(t, mailbox)
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/html; charset=utf-8/)
  t.equal(response.headers['cache-control'], 'no-store')
  t.equal(response.headers['referrer-policy'], 'no-referrer')
  t.match(response.headers['content-security-policy'], /default-src 'none'/)
  t.notMatch(response.body, /<script|<img|<b>|<\/pre><script/, 'no markup from a message')
  t.match(response.body, /&lt;img src=x onerror=alert\(2\)&gt;/)
  t.match(response.body, /&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;@example\.ru/)
  t.match(response.body, /&amp; &quot;кавычки&quot; &#39;одинарные&#39;/)
  t.match(response.body, /&lt;b&gt;123456&lt;\/b&gt;/)
})

t.test('newest first, mail and SMS labelled, the last 100 kept', async (t) => {
  let clock = Date.parse('2027-03-01T10:00:00Z')
  const mailbox = createMailbox({ now: () => new Date((clock += 1000)) })
  for (let index = 1; index <= 105; index += 1)
    await mailbox.send({ to: `+7900000${String(index).padStart(4, '0')}`, text: `код ${index}` })
  await mailbox.send({ to: 'parent@example.ru', subject: 'Последнее письмо', text: 'текст' })
  t.equal(mailbox.entries.length, 100)
  t.same(
    mailbox.entries[0],
    { at: new Date(Date.parse('2027-03-01T10:00:07Z')), kind: 'sms', to: '+79000000007', text: 'код 7' },
    'the oldest kept',
  )
  const { body } = await pageOf(t, mailbox)
  const newest = body.indexOf('Последнее письмо')
  t.ok(
    newest > 0 && newest < body.indexOf('код 105') && body.indexOf('код 105') < body.indexOf('код 104'),
    'newest first',
  )
  t.notMatch(body, /код 6</, 'older ones are gone')
  t.match(body, /class="mail"[\s\S]*Subject \/ Тема: <strong>Последнее письмо/)
  t.match(body, /class="sms"/)
})

t.test('only http(s) links into the bridge become links', async (t) => {
  const cases: [string, string, string][] = [
    [
      'Ссылка: http://localhost:3000/recovery/reset?token=a_b-c&x=1.',
      'Ссылка: <a href="http://localhost:3000/recovery/reset?token=a_b-c&amp;x=1" rel="noreferrer">http://localhost:3000/recovery/reset?token=a_b-c&amp;x=1</a>.',
      'the bridge; a closing full stop is not part of it',
    ],
    ['http://evil.example/reset?token=x', 'http://evil.example/reset?token=x', 'another host: text'],
    ['http://localhost:3000.evil.example/reset', 'http://localhost:3000.evil.example/reset', 'a look-alike host: text'],
    ['http://localhost:3000@evil.example/reset', 'http://localhost:3000@evil.example/reset', 'credentials trick: text'],
    ['https://localhost:3000/reset', 'https://localhost:3000/reset', 'another scheme is another origin: text'],
    [
      'javascript:alert(1)//http://localhost:3000/',
      'javascript:alert(1)//<a href="http://localhost:3000/" rel="noreferrer">http://localhost:3000/</a>',
      'only the http part is a link',
    ],
    [
      '"http://localhost:3000/a"onmouseover="x',
      '&quot;<a href="http://localhost:3000/a" rel="noreferrer">http://localhost:3000/a</a>&quot;onmouseover=&quot;x',
      'a quote ends the link',
    ],
  ]
  for (const [text, html, why] of cases) t.equal(linkifiedText(text, bridgeUrl), html, why)
  t.equal(
    linkifiedText('https://id.example/bridge/reset https://id.example/other', 'https://id.example/bridge'),
    '<a href="https://id.example/bridge/reset" rel="noreferrer">https://id.example/bridge/reset</a> https://id.example/other',
    'a public URL with a path: only below it',
  )
})
