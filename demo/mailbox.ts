/*
 * The demo's post office: one in-memory outbox that is both the bridge's Mailer and its SmsSender,
 * and a page that shows what was "sent" (GET /mailbox on the demo diary module).
 * - keeps the last 100 messages; the page lists them newest first
 * - everything on the page is escaped; only http(s) links to the bridge itself become clickable
 *   (links open without a Referer: they carry single-use tokens)
 */
import type { FastifyInstance } from 'fastify'
import type { MailMessage, Mailer, SmsMessage, SmsSender } from '../src/notify/senders.js'
import { escapeHtml } from '../src/web/html.js'

export interface MailboxEntry {
  at: Date
  kind: 'mail' | 'sms'
  to: string
  /** Mail only. */
  subject?: string
  text: string
}

export interface Mailbox extends Mailer, SmsSender {
  send(message: MailMessage | SmsMessage): Promise<void>
  /** Oldest first. */
  readonly entries: readonly MailboxEntry[]
}

export const mailboxPath = '/mailbox'
const kept = 100

export function createMailbox(options: { now?: () => Date } = {}): Mailbox {
  const entries: MailboxEntry[] = []
  const now = options.now ?? (() => new Date())
  return {
    entries,
    async send(message) {
      entries.push(
        'subject' in message
          ? { at: now(), kind: 'mail', to: message.to, subject: message.subject, text: message.text }
          : { at: now(), kind: 'sms', to: message.to, text: message.text },
      )
      entries.splice(0, Math.max(0, entries.length - kept))
    },
  }
}

const linkPattern = /https?:\/\/[^\s<>"'`]+/g

/** `text` escaped, with the http(s) links into `bridgeUrl` made clickable. */
export function linkifiedText(text: string, bridgeUrl: string): string {
  let out = ''
  let last = 0
  for (const match of text.matchAll(linkPattern)) {
    const link = match[0].replace(/[.,;:!?)\]]+$/, '')
    const start = match.index
    out += escapeHtml(text.slice(last, start))
    out += isLinkInto(link, bridgeUrl)
      ? `<a href="${escapeHtml(link)}" rel="noreferrer">${escapeHtml(link)}</a>`
      : escapeHtml(link)
    last = start + link.length
  }
  return out + escapeHtml(text.slice(last))
}

function isLinkInto(link: string, bridgeUrl: string): boolean {
  try {
    const url = new URL(link)
    const base = new URL(bridgeUrl)
    const inside = `${url.pathname}/`.startsWith(base.pathname.replace(/\/?$/, '/'))
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      url.origin === base.origin &&
      url.username === '' &&
      url.password === '' &&
      inside
    )
  } catch {
    return false
  }
}

function renderEntry(entry: MailboxEntry, bridgeUrl: string): string {
  const what = entry.kind === 'mail' ? 'E-mail / Письмо' : 'SMS'
  return `<article class="${entry.kind}"><p class="meta"><strong>${what}</strong> · ${escapeHtml(entry.at.toISOString())}<br>
To / Кому: <code>${escapeHtml(entry.to)}</code>${entry.subject === undefined ? '' : `<br>Subject / Тема: <strong>${escapeHtml(entry.subject)}</strong>`}</p>
<pre>${linkifiedText(entry.text, bridgeUrl)}</pre></article>`
}

export function renderMailbox(entries: readonly MailboxEntry[], bridgeUrl: string): string {
  const list =
    entries.length === 0
      ? '<p>Nothing sent yet. / Пока ничего не отправлено.</p>'
      : [...entries]
          .reverse()
          .map((entry) => renderEntry(entry, bridgeUrl))
          .join('\n')
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mailbox (demo) / Почта (демо)</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}article{border:1px solid #ccd;border-radius:.35rem;padding:0 1rem;margin:1rem 0}article.sms{background:#f4f8ff}pre{white-space:pre-wrap;font:inherit}.meta{color:#445}</style>
</head><body><h1>Mailbox (demo) / Почта и SMS (демо)</h1>
<p>What the bridge sent: e-mails and SMS, newest first (the last ${kept}). / Что отправил мост: письма и SMS, новые сверху (последние ${kept}).</p>
${list}</body></html>`
}

/** GET /mailbox: the outbox as a page; links only to `bridgeUrl` are clickable. */
export function registerMailboxPage(app: FastifyInstance, mailbox: Mailbox, options: { bridgeUrl: string }): void {
  app.get(mailboxPath, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
      )
      .send(renderMailbox(mailbox.entries, options.bridgeUrl)),
  )
}
