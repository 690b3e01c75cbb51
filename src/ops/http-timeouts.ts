/*
 * Timeouts for slow clients (bridge.json `http`), as Fastify and Node's HTTP server take them:
 * - the request line and headers must arrive within `headersTimeoutSeconds` (at most the request timeout)
 * - the whole request, body included, within `requestTimeoutSeconds` (a client that announces 1000 bytes
 *   and sends 10 is cut off then): 408 if the connection can still take it, otherwise it is closed
 * - a connection without any traffic for `connectionTimeoutSeconds` is closed, even mid-request
 * - an idle keep-alive connection closes after `keepAliveTimeoutSeconds` (longer than a load balancer's
 *   idle timeout, usually 60 s, so that the balancer never reuses a connection the bridge is closing)
 * Node checks the header and request deadlines every `connectionsCheckingInterval` (30 s by default);
 * here a quarter of the headers timeout, between 250 ms and 5 s, so that a deadline is kept closely.
 */
import type { Config } from '../config/load.js'

export function httpTimeouts(http: Config['bridge']['http']) {
  const requestTimeout = http.requestTimeoutSeconds * 1000
  const headersTimeout = Math.min(http.headersTimeoutSeconds * 1000, requestTimeout)
  return {
    connectionTimeout: http.connectionTimeoutSeconds * 1000,
    requestTimeout,
    keepAliveTimeout: http.keepAliveTimeoutSeconds * 1000,
    http: {
      headersTimeout,
      requestTimeout,
      connectionsCheckingInterval: Math.min(5000, Math.max(250, Math.floor(headersTimeout / 4))),
    },
  }
}
