import t, { type Test } from 'tap'
import { createHttpSmsGateway } from '../../src/notify/http-sms.js'
import { DeliveryError } from '../../src/notify/senders.js'
import { startSmsGateway } from '../helpers/mail-world.js'

const phone = '+79161234567'
const text = '123456 — код сброса пароля дневника, 15 мин. Никому не говорите'

async function rejection(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DeliveryError) return error
    throw error
  }
  throw new Error('expected a rejection')
}

/** The error says nothing of the number or the text. */
function tellsNothing(t: Test, error: Error): void {
  t.notMatch(error.message, /9161234567|123456|пароля/, 'neither the number nor the text in the message')
  t.equal(error.cause, undefined)
}

t.test('delivers the documented JSON with the Authorization header and the sender', async (t) => {
  const gateway = await startSmsGateway({ authorization: 'Bearer sms-token' })
  t.teardown(() => gateway.close())
  const sms = createHttpSmsGateway({
    url: gateway.url,
    authorization: 'Bearer sms-token',
    sender: 'Dnevnik',
    timeoutMs: 2000,
  })
  await sms.send({ to: phone, text })
  t.same(await gateway.next(), { to: phone, text, sender: 'Dnevnik', authorization: 'Bearer sms-token' })
  t.equal(gateway.requests[0]?.contentType, 'application/json')
  t.same(JSON.parse(gateway.requests[0]?.body ?? ''), { to: phone, text, sender: 'Dnevnik' }, 'exactly these keys')
})

t.test('without authorization and sender: no header, no sender key', async (t) => {
  const gateway = await startSmsGateway()
  t.teardown(() => gateway.close())
  await createHttpSmsGateway({ url: gateway.url, timeoutMs: 2000 }).send({ to: phone, text })
  t.same(await gateway.next(), { to: phone, text, authorization: undefined })
  t.same(JSON.parse(gateway.requests[0]?.body ?? ''), { to: phone, text })
})

t.test('a non-2xx answer rejects, naming the status only', async (t) => {
  for (const status of [400, 401, 429, 500, 503, 302]) {
    const gateway = await startSmsGateway({ status })
    t.teardown(() => gateway.close())
    const error = await rejection(createHttpSmsGateway({ url: gateway.url, timeoutMs: 2000 }).send({ to: phone, text }))
    t.equal(error.reason, String(status), `${status}`)
    t.equal(error.channel, 'sms')
    t.match(error.message, new RegExp(`HTTP ${status}\\b`))
    tellsNothing(t, error)
  }
})

t.test('a wrong Authorization is a 401 from the gateway, and a rejection here', async (t) => {
  const gateway = await startSmsGateway({ authorization: 'Bearer right' })
  t.teardown(() => gateway.close())
  const error = await rejection(
    createHttpSmsGateway({ url: gateway.url, authorization: 'Bearer wrong', timeoutMs: 2000 }).send({
      to: phone,
      text,
    }),
  )
  t.equal(error.reason, '401')
  t.notMatch(error.message, /wrong|right|Bearer/, 'the header value stays out of the message')
  t.same(gateway.messages, [])
})

t.test('no answer within timeoutMs rejects with "timeout"', async (t) => {
  const gateway = await startSmsGateway({ delayMs: 3000 })
  t.teardown(() => gateway.close())
  const started = Date.now()
  const error = await rejection(createHttpSmsGateway({ url: gateway.url, timeoutMs: 300 }).send({ to: phone, text }))
  t.equal(error.reason, 'timeout')
  t.ok(Date.now() - started < 2000, 'did not wait for the gateway')
  tellsNothing(t, error)
})

t.test('an unreachable gateway rejects with "unreachable"', async (t) => {
  const gateway = await startSmsGateway()
  await gateway.close()
  const error = await rejection(createHttpSmsGateway({ url: gateway.url, timeoutMs: 2000 }).send({ to: phone, text }))
  t.equal(error.reason, 'unreachable')
  tellsNothing(t, error)
})

t.test('the fetch option replaces the global fetch', async (t) => {
  const calls: { url: string; init: RequestInit | undefined }[] = []
  const fake: typeof fetch = async (input, init) => {
    calls.push({ url: input instanceof Request ? input.url : input.toString(), init })
    return new Response('{}', { status: 202 })
  }
  await createHttpSmsGateway({ url: 'https://sms.example/send', timeoutMs: 1000, fetch: fake }).send({
    to: phone,
    text,
  })
  t.equal(calls.length, 1)
  t.equal(calls[0]?.url, 'https://sms.example/send')
  t.equal(calls[0]?.init?.method, 'POST')
  t.ok(calls[0]?.init?.signal instanceof AbortSignal, 'with a timeout signal')
})
