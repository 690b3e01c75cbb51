/*
 * What the bridge sends to people: e-mail and SMS, each behind a small interface so that the flows
 * (password recovery, confirming a contact) never know the transport. Implementations: SMTP
 * (notify/smtp-mailer.ts), an HTTP SMS gateway (notify/http-sms.ts), the demo's mailbox (demo/mailbox.ts).
 * A sender either delivers to its transport or throws; it never logs the address or the text.
 */

export interface MailMessage {
  to: string
  subject: string
  text: string
}

export interface Mailer {
  send(message: MailMessage): Promise<void>
  close?(): Promise<void>
}

export interface SmsMessage {
  /** `+` and digits (person/contact.ts). */
  to: string
  text: string
}

export interface SmsSender {
  send(message: SmsMessage): Promise<void>
  close?(): Promise<void>
}

/** The senders this service has; a missing one means that way of reaching people is not offered. */
export interface Senders {
  mail?: Mailer
  sms?: SmsSender
}

/**
 * A message its transport did not take. The message names the transport's answer (an SMTP reply or
 * error code, an HTTP status, a timeout), never the address or the text; there is no `cause`, because
 * a library's error carries the recipient and causes are logged.
 */
export class DeliveryError extends Error {
  readonly channel: 'mail' | 'sms'
  /** `timeout`, `unreachable`, an HTTP status (`503`), an SMTP reply (`550`) or error code (`EAUTH`). */
  readonly reason: string

  constructor(channel: 'mail' | 'sms', reason: string, message: string) {
    super(message)
    this.name = 'DeliveryError'
    this.channel = channel
    this.reason = reason
  }
}
