/*
 * Messages to people (a recovery link or code, a contact confirmation) leave after the answer: the
 * answer's time does not depend on the mail server or the SMS gateway, and their failure is logged
 * (the transport's reason, never the address) and counted, never shown.
 */
import type { FastifyRequest } from 'fastify'
import type { RouteContext } from '../context.js'
import type { Delivery } from '../login/browser.js'

export function deliverAfterAnswer(
  request: FastifyRequest,
  context: Pick<RouteContext, 'metrics'>,
  kind: string,
  delivery: Delivery,
): void {
  if (delivery === undefined) return
  setImmediate(() => {
    delivery().then(
      () => context.metrics.message(kind, 'sent'),
      (error: unknown) => {
        context.metrics.message(kind, 'failed')
        request.log.warn(
          { kind, err: { message: error instanceof Error ? error.message : String(error) } },
          'message not sent',
        )
      },
    )
  })
}
