import { type AddressInfo, createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { DeliveryError } from '../../src/notify/senders.js'
import { createSmtpMailer, type SmtpMailerOptions } from '../../src/notify/smtp-mailer.js'
import { startSmtpCatcher } from '../helpers/mail-world.js'

const address = 'roditel.ivanova@example.ru'

function mailerFor(t: Test, port: number, overrides: Partial<SmtpMailerOptions> = {}) {
  const mailer = createSmtpMailer({
    host: '127.0.0.1',
    port,
    secure: false,
    requireTls: false,
    from: 'Дневник <no-reply@example.ru>',
    timeoutMs: 2000,
    ...overrides,
  })
  t.teardown(() => mailer.close?.())
  return mailer
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

t.test('a Russian mail arrives decoded: subject, text and link intact, From as configured', async (t) => {
  const catcher = await startSmtpCatcher()
  t.teardown(() => catcher.close())
  const mailer = mailerFor(t, catcher.port)
  const text =
    'Здравствуйте!\n\nЧтобы задать новый пароль, откройте ссылку:\n\nhttps://id.example.ru/recovery/reset?token=abc_DEF-123\n\nСсылка действует 30 минут. Ёлка, «кавычки» — тире.\n'
  await mailer.send({ to: address, subject: 'Восстановление пароля к электронному дневнику', text })
  const mail = await catcher.next()
  t.equal(mail.to, address)
  t.equal(mail.from, '"Дневник" <no-reply@example.ru>')
  t.equal(mail.subject, 'Восстановление пароля к электронному дневнику')
  t.equal(mail.text, text)
})

t.test('the pool is bounded: many mails at once share at most maxConnections connections', async (t) => {
  const catcher = await startSmtpCatcher()
  t.teardown(() => catcher.close())
  const mailer = mailerFor(t, catcher.port, { maxConnections: 2 })
  const recipients = Array.from({ length: 8 }, (_, index) => `pupil${index}@example.ru`)
  await Promise.all(
    recipients.map((to, index) => mailer.send({ to, subject: `письмо ${index}`, text: `текст ${index}` })),
  )
  t.same(catcher.messages.map((mail) => mail.to).sort(), [...recipients].sort(), 'every mail arrived')
  t.ok(
    catcher.sessions.peak >= 1 && catcher.sessions.peak <= 2,
    `at most 2 connections at once (peak ${catcher.sessions.peak})`,
  )
  await mailer.close?.()
  await t.resolveMatch(
    new Promise((resolve) => setTimeout(() => resolve(catcher.sessions.open), 300)),
    0,
    'close() ends the pooled connections',
  )
})

t.test('the server down: send rejects with the SMTP code and no address', async (t) => {
  const catcher = await startSmtpCatcher()
  const { port } = catcher
  await catcher.close()
  const error = await rejection(mailerFor(t, port).send({ to: address, subject: 'Тема', text: 'текст' }))
  t.type(error, DeliveryError)
  t.equal((error as DeliveryError).channel, 'mail')
  t.match(error.message, /^mail not sent: /)
  t.notMatch(error.message, /roditel|example\.ru|@/, 'no address in the message')
  t.equal(error.cause, undefined, 'no library error (with the envelope) as the cause')
})

t.test('a recipient the server refuses: the reply code, without the address the reply quotes', async (t) => {
  const catcher = await startSmtpCatcher({ rejectRecipient: (to) => to === address })
  t.teardown(() => catcher.close())
  const error = await rejection(mailerFor(t, catcher.port).send({ to: address, subject: 'Тема', text: 'текст' }))
  t.type(error, DeliveryError)
  t.equal((error as DeliveryError).reason, '550')
  t.match(error.message, /550/)
  t.notMatch(error.message, /roditel|@/, 'no address in the message')
  t.same(catcher.messages, [], 'nothing was delivered')
})

t.test('requireTls against a server without STARTTLS: refused, nothing sent in clear text', async (t) => {
  const catcher = await startSmtpCatcher()
  t.teardown(() => catcher.close())
  const error = await rejection(
    mailerFor(t, catcher.port, { requireTls: true }).send({ to: address, subject: 'Тема', text: 'ссылка' }),
  )
  t.type(error, DeliveryError)
  t.notMatch(error.message, /@/)
  t.same(catcher.messages, [])
})

t.test('a server that never answers: rejects within the timeout', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    silent.close()
  })
  const port = (silent.address() as AddressInfo).port
  const started = Date.now()
  const error = await rejection(
    mailerFor(t, port, { timeoutMs: 1000 }).send({ to: address, subject: 'Тема', text: 'текст' }),
  )
  t.type(error, DeliveryError)
  t.equal((error as DeliveryError).reason, 'timeout')
  t.ok(Date.now() - started < 3000, 'within about the timeout')
})
