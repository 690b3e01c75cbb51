/*
 * E-mail through an SMTP server (nodemailer), for `mail.smtp` in bridge.json.
 * - pooled: at most `maxConnections` connections (default 3), reused; more messages wait their turn
 * - `secure`: TLS from the first byte (port 465); otherwise STARTTLS, required with `requireTls`
 *   (nodemailer then refuses a server that does not offer it, instead of sending in clear text)
 * - every step (connect, greeting, each reply) and the whole send, queueing included, within `timeoutMs`
 * - plain-text UTF-8 mails; attachments by file or URL are switched off
 * - a failure throws DeliveryError naming the SMTP error code or reply code, never the address: the
 *   server's reply text (which quotes the recipient) is dropped
 * - nodemailer is loaded with the first mail: an instance that sends none does not carry it
 */
import type { SMTPPoolOptions, Transporter } from 'nodemailer'
import { DeliveryError, type Mailer } from './senders.js'

export interface SmtpMailerOptions {
  host: string
  port: number
  /** Implicit TLS (usually port 465). */
  secure: boolean
  /** Without `secure`: the server must upgrade the connection with STARTTLS. */
  requireTls?: boolean
  user?: string
  password?: string
  /** The From header: `address` or `Name <address>`. */
  from: string
  timeoutMs: number
  maxConnections?: number
}

function failure(error: unknown): DeliveryError {
  const e = error as { name?: unknown; code?: unknown; responseCode?: unknown } | null
  if (e?.name === 'AbortError' || e?.code === 'ETIMEDOUT')
    return new DeliveryError('mail', 'timeout', 'mail not sent: the SMTP server did not answer in time')
  const code = typeof e?.code === 'string' ? e.code : 'ERROR'
  const reply = typeof e?.responseCode === 'number' ? e.responseCode : undefined
  return reply === undefined
    ? new DeliveryError('mail', code, `mail not sent: SMTP ${code}`)
    : new DeliveryError('mail', String(reply), `mail not sent: the SMTP server answered ${reply} (${code})`)
}

/** A Mailer over one pooled SMTP transport; `close()` ends its connections. */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const transportOptions: SMTPPoolOptions & { pool: true } = {
    pool: true,
    maxConnections: options.maxConnections ?? 3,
    host: options.host,
    port: options.port,
    secure: options.secure,
    requireTLS: !options.secure && (options.requireTls ?? false),
    auth: options.user === undefined ? undefined : { user: options.user, pass: options.password },
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    dnsTimeout: options.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  }
  let transport: Promise<Transporter> | undefined
  const open = () =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) => {
      const created = nodemailer.createTransport(transportOptions, { from: options.from })
      // Errors reach the sending call; an idle connection's failure must not become an unhandled 'error'.
      created.on('error', () => {})
      return created
    }))

  return {
    async send(message) {
      const sender = await open()
      try {
        await sender.sendMail({
          to: message.to,
          subject: message.subject,
          text: message.text,
          signal: AbortSignal.timeout(options.timeoutMs),
        })
      } catch (error) {
        throw failure(error)
      }
    },
    async close() {
      const opened = transport
      transport = undefined
      if (opened !== undefined) (await opened).close()
    },
  }
}
