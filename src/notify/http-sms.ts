/*
 * SMS through an HTTP gateway, for `sms` in bridge.json. One request per message:
 *
 *   POST <gatewayUrl>
 *   Content-Type: application/json
 *   Authorization: <the value of the variable named by authorizationEnv>   (only when it is set)
 *
 *   { "to": "+79161234567", "text": "123456 — код сброса пароля дневника, 10 мин. Никому не говорите", "sender": "Dnevnik" }
 *
 * - `to` is `+` and digits (E.164); `text` is UTF-8, at most a few hundred characters; `sender` only
 *   when configured
 * - any 2xx answer means the gateway took the message (its body is not read); anything else, a
 *   redirect included, or no answer within `timeoutMs`, is a failure
 * Point it at a provider that accepts this shape, or at a small adapter that translates it into the
 * provider's own API.
 * - a failure throws DeliveryError naming the status (or `timeout`, `unreachable`), never the
 *   number or the text
 */
import { DeliveryError, type SmsSender } from './senders.js'

export interface HttpSmsGatewayOptions {
  url: string
  /** The whole Authorization header value (`Bearer …`, `Basic …`). */
  authorization?: string
  timeoutMs: number
  sender?: string
  fetch?: typeof fetch
}

export function createHttpSmsGateway(options: HttpSmsGatewayOptions): SmsSender {
  const request = options.fetch ?? fetch
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (options.authorization !== undefined) headers.authorization = options.authorization

  return {
    async send(message) {
      let response: Response
      try {
        response = await request(options.url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ to: message.to, text: message.text, sender: options.sender }),
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        })
      } catch (error) {
        if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
          throw new DeliveryError(
            'sms',
            'timeout',
            `SMS not sent: the gateway did not answer within ${options.timeoutMs} ms`,
          )
        }
        throw new DeliveryError('sms', 'unreachable', 'SMS not sent: the gateway could not be reached')
      }
      await response.body?.cancel().catch(() => {})
      if (response.status < 200 || response.status > 299) {
        throw new DeliveryError(
          'sms',
          String(response.status),
          `SMS not sent: the gateway answered HTTP ${response.status}`,
        )
      }
    },
  }
}
