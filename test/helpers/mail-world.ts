/*
 * Real peers for the bridge's senders: an SMTP server (smtp-server) whose mails are parsed back
 * (mailparser), and an HTTP SMS gateway (node:http) that records what it was asked to send.
 * Both listen on 127.0.0.1 on a free port; `next()` waits for the next message not yet taken.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  /** The envelope's recipients, comma-separated. */
  to: string
  from: string
  subject: string
  text: string
}

export interface ReceivedSms {
  to: string
  text: string
  sender?: string
  authorization?: string
}

/** Messages in arrival order, and a way to wait for the next matching one not taken before. */
function inbox<T>() {
  const messages: T[] = []
  const untaken: T[] = []
  const waiters = new Set<() => void>()
  return {
    messages,
    add: (message: T) => {
      messages.push(message)
      untaken.push(message)
      for (const wake of [...waiters]) wake()
    },
    next: (predicate: (message: T) => boolean = () => true, timeoutMs = 5000): Promise<T> =>
      new Promise((resolve, reject) => {
        const check = () => {
          const index = untaken.findIndex(predicate)
          if (index === -1) return false
          const [found] = untaken.splice(index, 1)
          clearTimeout(timer)
          waiters.delete(wake)
          resolve(found as T)
          return true
        }
        const wake = () => void check()
        const timer = setTimeout(() => {
          waiters.delete(wake)
          reject(new Error(`no message arrived within ${timeoutMs} ms`))
        }, timeoutMs)
        if (!check()) waiters.add(wake)
      }),
  }
}

export interface SmtpCatcher {
  port: number
  messages: ReceivedMail[]
  /** Connections now open, and the most that were open at once. */
  sessions: { open: number; peak: number }
  next(predicate?: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>
  close(): Promise<void>
}

/**
 * An SMTP server without TLS and without authentication. `rejectRecipient`: those recipients get
 * "550 5.1.1 <address>: no such user" (a reply that quotes the address, as real servers do).
 */
export async function startSmtpCatcher(
  options: { rejectRecipient?: (address: string) => boolean } = {},
): Promise<SmtpCatcher> {
  const received = inbox<ReceivedMail>()
  const sessions = { open: 0, peak: 0 }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 200,
    onConnect(_session, callback) {
      sessions.open += 1
      sessions.peak = Math.max(sessions.peak, sessions.open)
      callback()
    },
    onClose() {
      sessions.open -= 1
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipient?.(address.address)) {
        callback(Object.assign(new Error(`5.1.1 <${address.address}>: no such user`), { responseCode: 550 }))
        return
      }
      callback()
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          received.add({
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address).join(', '),
            from: parsed.from?.text ?? '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
          })
          callback()
        },
        (error: Error) => callback(error),
      )
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    messages: received.messages,
    sessions,
    next: received.next,
    close: () => new Promise<void>((resolve) => server.close(resolve)),
  }
}

export interface SmsGateway {
  url: string
  messages: ReceivedSms[]
  /** Every request, accepted or not. */
  requests: { contentType?: string; body: string }[]
  next(predicate?: (sms: ReceivedSms) => boolean, timeoutMs?: number): Promise<ReceivedSms>
  close(): Promise<void>
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * An SMS gateway of the shape notify/http-sms.ts documents. It answers `status` (default 200) after
 * `delayMs`; with `authorization`, any other Authorization header gets 401 and nothing is recorded.
 */
export async function startSmsGateway(
  options: { status?: number; delayMs?: number; authorization?: string } = {},
): Promise<SmsGateway> {
  const received = inbox<ReceivedSms>()
  const requests: SmsGateway['requests'] = []
  const timers = new Set<NodeJS.Timeout>()
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      requests.push({ contentType: request.headers['content-type'], body })
      const answer = () => {
        if (options.authorization !== undefined && request.headers.authorization !== options.authorization) {
          response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}')
          return
        }
        const status = options.status ?? 200
        if (status >= 200 && status < 300) {
          const sms = JSON.parse(body) as { to: string; text: string; sender?: string }
          received.add({ ...sms, authorization: request.headers.authorization })
        }
        response
          .writeHead(status, {
            'content-type': 'application/json',
            ...(status >= 300 && status < 400 ? { location: '/elsewhere' } : {}),
          })
          .end(`{"status":${status}}`)
      }
      if (options.delayMs === undefined) return answer()
      const timer = setTimeout(() => {
        timers.delete(timer)
        answer()
      }, options.delayMs)
      timers.add(timer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/send`,
    messages: received.messages,
    requests,
    next: received.next,
    close: async () => {
      for (const timer of timers) clearTimeout(timer)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
