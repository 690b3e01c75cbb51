import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { EsiaProviderConfig, EsiaSignerConfig } from '../../../src/upstream/esia/config.js'
import { Secret } from '../../../src/config/secret.js'
import { ensureGostKeyPair } from '../../../demo/gost-keys.js'
import { checkSigner, createSigner } from '../../../src/upstream/esia/signer.js'
import { gostImplementations, javascriptGost as gost } from '../../helpers/gost-world.js'

// The JavaScript implementation throughout; the in-process signer in every implementation this machine has.
const dir = t.testdir()
const system = ensureGostKeyPair(dir, 'system', 'diary bridge 29')
const stranger = ensureGostKeyPair(dir, 'stranger', 'someone else')
const systemKey = gost.privateKey(system.privateKeyPem)
const publicKey = gost.certificatePublicKey(system.certificatePem)
const data = Buffer.from('client_id scope timestamp state redirect_uri', 'utf8')

/** A signing service in the CryptoPro DSS style; `answer` decides what it sends back. */
let answer: (body: Buffer, request: IncomingMessage, response: ServerResponse) => void = () => {}
const seen: { authorization?: string; contentType?: string }[] = []
const service = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    seen.push({ authorization: request.headers.authorization, contentType: request.headers['content-type'] })
    answer(Buffer.concat(chunks), request, response)
  })
})
await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise((resolve) => service.close(resolve)))
const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}/sign`

const http = (overrides: Partial<Extract<EsiaSignerConfig, { type: 'http' }>> = {}): EsiaSignerConfig => ({
  type: 'http',
  url,
  authorization: new Secret('Bearer dss-token'),
  reversed: false,
  // Signing in JavaScript on a busy machine takes tens of milliseconds: only a service that never answers waits less.
  timeoutMs: 5000,
  ...overrides,
})

t.test('openssl-gost signs in process; the signature verifies with the certificate', async (t) => {
  for (const implementation of gostImplementations) {
    const signer = createSigner(
      { type: 'openssl-gost', privateKey: new Secret(system.privateKeyPem) },
      { certificatePem: system.certificatePem, gost: implementation },
    )
    const signature = await signer.sign(data)
    t.equal(signature.length, 64)
    t.ok(publicKey.verify(data, signature), implementation.name)
  }
})

t.test("http: raw bytes, base64, base64url, and CryptoPro's reversed order", async (t) => {
  const cases: [string, (signature: Buffer) => { type: string; body: Buffer | string }, boolean][] = [
    ['raw bytes', (s) => ({ type: 'application/octet-stream', body: s }), false],
    ['base64 text', (s) => ({ type: 'text/plain', body: s.toString('base64') }), false],
    ['base64url text with a newline', (s) => ({ type: 'text/plain', body: `${s.toString('base64url')}\n` }), false],
    ['reversed raw bytes', (s) => ({ type: 'application/octet-stream', body: Buffer.from(s).reverse() }), true],
  ]
  for (const [name, encode, reversed] of cases) {
    answer = (body, _request, response) => {
      const { type, body: out } = encode(systemKey.sign(body))
      response.writeHead(200, { 'content-type': type }).end(out)
    }
    const signature = await createSigner(http({ reversed }), { certificatePem: system.certificatePem, gost }).sign(data)
    t.ok(publicKey.verify(data, signature), name)
  }
  t.same(
    seen.at(-1),
    { authorization: 'Bearer dss-token', contentType: 'application/octet-stream' },
    'the bytes go as octet-stream with the configured Authorization',
  )
})

t.test('http: a failing service is ERR_UPSTREAM_UNAVAILABLE with a reason, never a signature', async (t) => {
  const cases: [string, (response: ServerResponse) => void, RegExp][] = [
    ['HTTP 500', (r) => r.writeHead(500).end('down'), /HTTP 500/],
    ['HTTP 401', (r) => r.writeHead(401).end(), /HTTP 401/],
    [
      '63 bytes',
      (r) => r.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(63)),
      /not a 64-byte signature/,
    ],
    [
      'not base64',
      (r) => r.writeHead(200, { 'content-type': 'text/plain' }).end('<html>login</html>'),
      /not a 64-byte signature/,
    ],
    ['no answer in time', () => {}, /did not answer/],
  ]
  for (const [name, respond, message] of cases) {
    answer = (_body, _request, response) => respond(response)
    // A service that answers gets the generous timeout (on a loaded machine its answer may take longer
    // than a short one, and would read as "did not answer"); one that never answers needs no more than 300 ms.
    const timeoutMs = name === 'no answer in time' ? 300 : 5000
    await t.rejects(
      createSigner(http({ timeoutMs }), { certificatePem: system.certificatePem, gost }).sign(data),
      { code: 'ERR_UPSTREAM_UNAVAILABLE', message },
      name,
    )
  }
  await t.rejects(
    createSigner(http({ url: 'http://127.0.0.1:9/sign' }), { certificatePem: system.certificatePem, gost }).sign(data),
    { code: 'ERR_UPSTREAM_UNAVAILABLE', message: /did not answer/ },
    'connection refused',
  )
})

t.test("checkSigner: verifies, tells a reversed setting, and a key that is not the certificate's", async (t) => {
  const provider = (signer: EsiaSignerConfig) =>
    ({ signer, certificatePem: system.certificatePem }) as EsiaProviderConfig
  const good = await checkSigner(provider({ type: 'openssl-gost', privateKey: new Secret(system.privateKeyPem) }), {
    gost,
  })
  t.match(good, { verifies: true, verifiesReversed: false, subject: 'CN=diary bridge 29' })
  t.match(good.certificateHash, /^[0-9A-F]{64}$/)

  answer = (body, _request, response) =>
    response
      .writeHead(200, { 'content-type': 'application/octet-stream' })
      .end(Buffer.from(systemKey.sign(body)).reverse())
  t.match(await checkSigner(provider(http()), { gost }), { verifies: false, verifiesReversed: true })

  t.match(
    await checkSigner(provider({ type: 'openssl-gost', privateKey: new Secret(stranger.privateKeyPem) }), { gost }),
    { verifies: false, verifiesReversed: false, keyProblem: /does not belong to the system certificate/ },
  )
  t.throws(
    () =>
      createSigner(
        { type: 'openssl-gost', privateKey: new Secret(stranger.privateKeyPem) },
        { certificatePem: system.certificatePem, gost },
      ),
    /does not belong/,
    'a key of another certificate fails at creation',
  )
  t.throws(
    () =>
      createSigner(
        {
          type: 'openssl-gost',
          privateKey: new Secret('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
        },
        { certificatePem: system.certificatePem, gost },
      ),
    /cannot be read/,
    'a key that does not decode fails at creation',
  )
})
