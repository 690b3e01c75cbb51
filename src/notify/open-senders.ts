/*
 * The senders the configuration asks for: e-mail only with `mail` in bridge.json, SMS only with `sms`.
 * Nothing connects here: the SMTP pool opens with the first mail, the gateway is called per message.
 */
import type { Config } from '../config/load.js'
import { createHttpSmsGateway } from './http-sms.js'
import type { Senders } from './senders.js'
import { createSmtpMailer } from './smtp-mailer.js'

export function createSenders(config: Config): Senders {
  const senders: Senders = {}
  if (config.mail !== undefined) {
    const { smtp, from } = config.mail
    senders.mail = createSmtpMailer({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTls: smtp.requireTls,
      user: smtp.user,
      password: smtp.password?.reveal(),
      from,
      timeoutMs: smtp.timeoutMs,
    })
  }
  if (config.sms !== undefined) {
    const { gatewayUrl, authorization, sender, timeoutMs } = config.sms
    senders.sms = createHttpSmsGateway({ url: gatewayUrl, authorization: authorization?.reveal(), sender, timeoutMs })
  }
  return senders
}

/** Closes each sender once (one object may serve as both). */
export async function closeSenders(senders: Senders): Promise<void> {
  const distinct = new Set<{ close?(): Promise<void> }>(
    [senders.mail, senders.sms].filter((sender) => sender !== undefined),
  )
  await Promise.all([...distinct].map(async (sender) => sender.close?.()))
}
