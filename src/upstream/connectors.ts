/*
 * The login protocols, one line each: a region's provider `type` picks the entry whose schema and check
 * read its configuration (handed to loadConfig by service.ts and the CLI) and whose `create` builds its
 * connector (regions/registry.ts). Adding a protocol: README.md in this folder.
 */
import type { ProviderOf, ProviderSettings } from '../config/provider-kind.js'
import type { Connector, ConnectorContext, ConnectorKind } from './connector.js'
import { checkEsiaProvider, EsiaProviderSchema } from './esia/config.js'
import { createEsiaConnector } from './esia/connector.js'
import { checkOidcProvider, OidcProviderSchema } from './oidc/config.js'
import { createOidcConnector } from './oidc/connector.js'

/** `type` → kind; each entry's `create` takes what its `check` makes (methods: each kind has its own types). */
export type ConnectorKinds = Readonly<Record<string, ConnectorKind>>

export const connectors = {
  oidc: { schema: OidcProviderSchema, check: checkOidcProvider, create: createOidcConnector },
  esia: { schema: EsiaProviderSchema, check: checkEsiaProvider, create: createEsiaConnector },
} as const satisfies ConnectorKinds

/** A region's provider settings, as the table's kinds make them. */
export type ProviderConfig = ProviderOf<typeof connectors>

/**
 * The connector for a provider the loader checked with the same table. A `type` the table lacks (a
 * configuration loaded with another table) is an Error naming the types it has.
 */
export function createConnector(kinds: ConnectorKinds, provider: ProviderSettings, context: ConnectorContext): Connector {
  const kind = Object.hasOwn(kinds, provider.type) ? kinds[provider.type] : undefined
  if (kind === undefined) throw new Error(`no connector for provider type "${provider.type}" (known: ${Object.keys(kinds).join(', ')})`)
  return kind.create(provider, context)
}
