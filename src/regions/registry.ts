/*
 * The configured regions, each with its state-services connector when it has a provider.
 * Connectors are created once and keep their discovery and JWKS caches for the life of the process.
 */
import type { Config, RegionConfig } from '../config/load.js'
import { type Connector, createOidcConnector } from '../upstream/oidc-connector.js'

export interface Region {
  config: RegionConfig
  connector: Connector | undefined
}

export const stateServicesCallbackPath = '/login/state-services/callback'

export function createRegionRegistry(config: Config, options: { fetch?: typeof fetch } = {}): ReadonlyMap<string, Region> {
  const regions = new Map<string, Region>()
  for (const [code, region] of config.regions) {
    const provider = region.stateServices.provider
    const connector =
      provider &&
      createOidcConnector({
        provider,
        redirectUri: `${config.publicUrl}${stateServicesCallbackPath}`,
        allowInsecureRequests: new URL(provider.issuer).protocol === 'http:',
        fetch: options.fetch,
      })
    regions.set(code, { config: region, connector })
  }
  return regions
}
