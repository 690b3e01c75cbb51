/*
 * The configured regions, each with its state-services connector when it has a provider.
 * Connectors keep their discovery and JWKS caches; a configuration reload keeps the connector of every
 * region whose provider settings did not change.
 */
import { isDeepStrictEqual } from 'node:util'
import { BridgeError } from '../errors.js'
import type { Config, RegionConfig } from '../config/load.js'
import type { Connector } from '../upstream/connector.js'
import { createConnector } from '../upstream/connectors.js'
import { Secret } from '../config/secret.js'

export interface Region {
  config: RegionConfig
  connector: Connector | undefined
}

export const stateServicesCallbackPath = '/login/state-services/callback'

/** The settings with secrets revealed, to compare (a changed secret is a changed provider). */
function revealed(value: unknown): unknown {
  if (value instanceof Secret) return { secret: value.reveal() as unknown }
  if (Array.isArray(value)) return (value as unknown[]).map(revealed)
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, revealed(inner)]))
  return value
}

export function createRegionRegistry(
  config: Config,
  options: { fetch?: typeof fetch; previous?: ReadonlyMap<string, Region> } = {},
): ReadonlyMap<string, Region> {
  const regions = new Map<string, Region>()
  for (const [code, region] of config.regions) {
    const provider = region.stateServices.provider
    const before = options.previous?.get(code)
    const reuse = before !== undefined && isDeepStrictEqual(revealed(before.config.stateServices.provider), revealed(provider))
    const connector = reuse
      ? before.connector
      : provider && createConnector(provider, { redirectUri: `${config.publicUrl}${stateServicesCallbackPath}`, fetch: options.fetch })
    regions.set(code, { config: region, connector })
  }
  return regions
}

/** The region of a login: an unknown code is ERR_REGION_UNKNOWN, no code at all ERR_LOGIN_EXPIRED. */
export function regionOf(regions: ReadonlyMap<string, Region>, code: string | undefined): Region {
  const region = code === undefined ? undefined : regions.get(code)
  if (region !== undefined) return region
  throw code === undefined
    ? new BridgeError('ERR_LOGIN_EXPIRED', 'no region chosen for this login')
    : new BridgeError('ERR_REGION_UNKNOWN', 'unknown region')
}

/** The region whose State Services provider has this issuer, `preferred` first when several share it. */
export function regionOfIssuer(regions: ReadonlyMap<string, Region>, issuer: string | null, preferred?: string): Region | undefined {
  const candidates = [...regions.values()].filter((region) => region.connector !== undefined && region.connector.issuer === issuer)
  return candidates.find((region) => region.config.code === preferred) ?? candidates[0]
}
