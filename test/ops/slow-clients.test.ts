/*
 * Slow clients over real TCP: connections that announce a body and send a little of it, or never finish
 * their headers, or sit idle after a request, are closed by the bridge within the configured timeouts,
 * while an honest client is still served.
 */
import { connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp } from '../helpers/test-app.js'
import { loadTestConfig, validFiles } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t)

/** Opens a connection, writes `data`, and resolves with the milliseconds until the server closed it. */
function openSlowConnection(port: number, data: string): Promise<{ socket: Socket; closedAfterMs: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(data)
      resolve({
        socket,
        closedAfterMs: new Promise((closed) => socket.once('close', () => closed(Date.now() - started))),
      })
    })
    socket.on('data', () => {})
    socket.on('error', () => {})
    socket.once('error', reject)
  })
}

const partialBody =
  'POST /token HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type'
const partialHeaders = 'GET /healthz HTTP/1.1\r\nHost: bridge\r\nX-Slow: '

t.test('the defaults: headers 10 s, whole request 30 s, silence 60 s, keep-alive 72 s', async (t) => {
  const { app } = await buildTestApp(t, loadTestConfig(t), db)
  t.equal(app.server.headersTimeout, 10_000)
  t.equal(app.server.requestTimeout, 30_000)
  t.equal(app.server.timeout, 60_000)
  t.equal(app.server.keepAliveTimeout, 72_000)
})

t.test(
  '50 connections sending 10 of 1000 announced bytes, and 10 that never finish their headers, are closed in time',
  async (t) => {
    const config = loadTestConfig(t, {
      ...validFiles,
      'bridge.json': {
        publicUrl: 'http://localhost:3000',
        http: {
          headersTimeoutSeconds: 1,
          requestTimeoutSeconds: 2,
          connectionTimeoutSeconds: 30,
          keepAliveTimeoutSeconds: 1,
        },
      },
    })
    const { app } = await buildTestApp(t, config, db)
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo

    const bodies = await Promise.all(Array.from({ length: 50 }, () => openSlowConnection(port, partialBody)))
    const headers = await Promise.all(Array.from({ length: 10 }, () => openSlowConnection(port, partialHeaders)))
    t.teardown(() => [...bodies, ...headers].forEach(({ socket }) => socket.destroy()))

    const honest = await fetch(`http://127.0.0.1:${port}/healthz`)
    t.equal(honest.status, 200, 'an honest client is served meanwhile')

    const deadline = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 5000).unref())
    const bodyTimes = await Promise.all(bodies.map(({ closedAfterMs }) => Promise.race([closedAfterMs, deadline])))
    const headerTimes = await Promise.all(headers.map(({ closedAfterMs }) => Promise.race([closedAfterMs, deadline])))
    t.notOk(
      bodyTimes.includes('open'),
      'every slow body is cut off within the request timeout (2 s) plus a check interval',
    )
    t.notOk(
      headerTimes.includes('open'),
      'every unfinished header block is cut off within the headers timeout (1 s) plus a check interval',
    )
    t.ok(Math.min(...(bodyTimes as number[])) >= 1500, 'not before the request timeout')
  },
)

t.test('an idle keep-alive connection is closed after the keep-alive timeout', async (t) => {
  const config = loadTestConfig(t, {
    ...validFiles,
    'bridge.json': { publicUrl: 'http://localhost:3000', http: { keepAliveTimeoutSeconds: 1 } },
  })
  const { app } = await buildTestApp(t, config, db)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const { socket, closedAfterMs } = await openSlowConnection(port, 'GET /healthz HTTP/1.1\r\nHost: bridge\r\n\r\n')
  t.teardown(() => socket.destroy())
  const answered = await new Promise<string>((resolve) =>
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString())),
  )
  t.match(answered, /^HTTP\/1\.1 200/)
  t.match(answered, /keep-alive/i)
  const closed = await Promise.race([
    closedAfterMs,
    new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 4000).unref()),
  ])
  t.not(closed, 'open', 'closed after about a second of silence')
})
