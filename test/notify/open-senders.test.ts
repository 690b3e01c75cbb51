import t from 'tap'
import { closeSenders, createSenders } from '../../src/notify/open-senders.js'
import { mailText, smsText } from '../../src/notify/templates.js'
import { startSmsGateway, startSmtpCatcher } from '../helpers/mail-world.js'
import { loadTestConfig, validEnv, validFiles } from '../helpers/test-config.js'

t.test('no mail and no sms section: no senders', async (t) => {
  t.same(createSenders(loadTestConfig(t)), {})
})

t.test('from bridge.json to a delivered mail and SMS, the secrets from the environment', async (t) => {
  const catcher = await startSmtpCatcher()
  const gateway = await startSmsGateway({ authorization: 'Bearer from-env' })
  t.teardown(() => Promise.all([catcher.close(), gateway.close()]))
  const config = loadTestConfig(
    t,
    {
      ...validFiles,
      'bridge.json': {
        publicUrl: 'http://localhost:3000',
        mail: {
          from: 'Дневник <no-reply@example.ru>',
          smtp: { host: '127.0.0.1', port: catcher.port, requireTls: false, timeoutMs: 2000 },
        },
        sms: {
          gatewayUrl: gateway.url,
          authorizationEnv: 'SMS_GATEWAY_AUTHORIZATION',
          sender: 'Dnevnik',
          timeoutMs: 2000,
        },
      },
    },
    { ...validEnv, SMS_GATEWAY_AUTHORIZATION: 'Bearer from-env' },
  )
  const senders = createSenders(config)
  t.teardown(() => closeSenders(senders))
  const mail = mailText(
    { kind: 'recovery_link', url: 'http://localhost:3000/recovery/reset?token=t1', minutes: 30 },
    'ru',
  )
  await senders.mail?.send({ to: 'parent@example.ru', ...mail })
  await senders.sms?.send({
    to: '+79161234567',
    text: smsText({ kind: 'recovery_code', code: '123456', minutes: 15 }, 'ru'),
  })
  t.match(await catcher.next(), {
    to: 'parent@example.ru',
    from: '"Дневник" <no-reply@example.ru>',
    subject: mail.subject,
    text: mail.text,
  })
  t.match(await gateway.next(), {
    to: '+79161234567',
    text: /^123456 /,
    sender: 'Dnevnik',
    authorization: 'Bearer from-env',
  })
})

t.test('only the configured channel: sms without mail', async (t) => {
  const config = loadTestConfig(t, {
    ...validFiles,
    'bridge.json': { publicUrl: 'http://localhost:3000', sms: { gatewayUrl: 'https://sms.example/send' } },
  })
  const senders = createSenders(config)
  t.equal(senders.mail, undefined)
  t.not(senders.sms, undefined)
})

t.test('closeSenders closes one object serving both channels once', async (t) => {
  let closed = 0
  const both = { send: async () => {}, close: async () => void (closed += 1) }
  await closeSenders({ mail: both, sms: both })
  t.equal(closed, 1)
  await closeSenders({})
})
