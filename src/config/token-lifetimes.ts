/*
 * Access-token lifetimes: the bridge's `tokens.accessTokenTtlSeconds`, which a diary module may shorten
 * or lengthen for its own tokens (`accessTokenTtlSeconds` in its client file). Whatever must outlive
 * every access token (revoked ids, ended sessions in the revocation list, retired keys) uses the longest.
 */
import type { ClientConfig, Config } from './load.js'

export function accessTokenTtl(
  config: Pick<Config, 'bridge'>,
  client: Pick<ClientConfig, 'accessTokenTtlSeconds'>,
): number {
  return client.accessTokenTtlSeconds ?? config.bridge.tokens.accessTokenTtlSeconds
}

export function longestAccessTokenTtl(config: Pick<Config, 'bridge' | 'clients'>): number {
  return Math.max(
    config.bridge.tokens.accessTokenTtlSeconds,
    ...[...config.clients.values()].map((client) => client.accessTokenTtlSeconds ?? 0),
  )
}
