/*
 * The configured regions, each with its state-services connector when it has a provider.
 * Connectors keep their discovery and JWKS caches; a configuration reload keeps the connector of every
 * region whose provider settings did not change. A connector that cannot be built is a ConfigError
 * naming its region file: the service does not start, a reload is refused.
 */
import { isDeepStrictEqual } from 'node:util'
import { BridgeError } from '../errors.js'
import type { Config, ProviderSettings, RegionConfig } from '../config/load.js'
import { ConfigError, type ConfigProblem } from '../config/problems.js'
import { revealSecrets } from '../config/secret.js'
import type { Connector, ConnectorContext } from '../upstream/connector.js'
import { type ConnectorKinds, connectors, createConnector } from '../upstream/connectors.js'

export interface Region {
  config: RegionConfig
  connector: Connector | undefined
}

export const stateServicesCallbackPath = '/login/state-services/callback'

/** A connector that cannot be built (a key that does not decode or does not match its certificate…) is a configuration problem of its region file. */
function connectorFor(
  kinds: ConnectorKinds,
  code: string,
  provider: ProviderSettings,
  context: ConnectorContext,
  problems: ConfigProblem[],
): Connector | undefined {
  try {
    return createConnector(kinds, provider, context)
  } catch (error) {
    problems.push({ file: `regions/${code}.json`, path: '/stateServices/provider', message: (error as Error).message })
    return undefined
  }
}

export function createRegionRegistry(
  config: Config,
  options: { fetch?: typeof fetch; previous?: ReadonlyMap<string, Region>; connectors?: ConnectorKinds } = {},
): ReadonlyMap<string, Region> {
  const regions = new Map<string, Region>()
  const problems: ConfigProblem[] = []
  for (const [code, region] of config.regions) {
    const provider = region.stateServices.provider
    const before = options.previous?.get(code)
    const reuse =
      before !== undefined &&
      isDeepStrictEqual(revealSecrets(before.config.stateServices.provider), revealSecrets(provider))
    const connector = reuse
      ? before.connector
      : provider &&
        connectorFor(
          options.connectors ?? connectors,
          code,
          provider,
          {
            redirectUri: `${config.publicUrl}${stateServicesCallbackPath}`,
            fetch: options.fetch,
            gostImplementation: config.bridge.gostImplementation,
          },
          problems,
        )
    regions.set(code, { config: region, connector })
  }
  if (problems.length > 0) throw new ConfigError(problems)
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
export function regionOfIssuer(
  regions: ReadonlyMap<string, Region>,
  issuer: string | null,
  preferred?: string,
): Region | undefined {
  const candidates = [...regions.values()].filter(
    (region) => region.connector !== undefined && region.connector.issuer === issuer,
  )
  return candidates.find((region) => region.config.code === preferred) ?? candidates[0]
}
