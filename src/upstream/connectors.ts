/*
 * The login protocols, one line each: a region's provider `type` picks the entry whose schema and check
 * read its configuration (handed to loadConfig by service.ts and the CLI) and whose `create` builds its
 * connector (regions/registry.ts). Adding a protocol: README.md in this folder.
 */
import type { ProviderSettings } from '../config/provider-kind.js'
import type { Connector, ConnectorContext, ConnectorKind } from './connector.js'
import { checkEsiaProvider, EsiaProviderSchema } from './esia/config.js'
import { createEsiaConnector } from './esia/connector.js'
import { checkOidcProvider, OidcProviderSchema } from './oidc/config.js'
import { createOidcConnector } from './oidc/connector.js'

/** `type` → kind (methods: each kind has its own file and settings types). */
export type ConnectorKinds = Readonly<Record<string, ConnectorKind>>

/** The table, checked by TypeScript: each entry's schema has its key as `type`, and its `create` takes what its `check` makes. */
export function connectorTable<T extends ConnectorKinds>(
  kinds: T & {
    [K in keyof T]: {
      schema: { properties: { type: { const: K } } }
      create: (provider: NonNullable<ReturnType<T[K]['check']>>, context: ConnectorContext) => Connector
    }
  },
): T {
  return kinds
}

export const connectors = connectorTable({
  oidc: { schema: OidcProviderSchema, check: checkOidcProvider, create: createOidcConnector },
  esia: { schema: EsiaProviderSchema, check: checkEsiaProvider, create: createEsiaConnector },
})

/**
 * The connector for a provider the loader checked with the same table. A `type` the table lacks (a
 * configuration loaded with another table) is an Error naming the types it has.
 */
export function createConnector(
  kinds: ConnectorKinds,
  provider: ProviderSettings,
  context: ConnectorContext,
): Connector {
  const kind = Object.hasOwn(kinds, provider.type) ? kinds[provider.type] : undefined
  if (kind === undefined)
    throw new Error(`no connector for provider type "${provider.type}" (known: ${Object.keys(kinds).join(', ')})`)
  return kind.create(provider, context)
}
