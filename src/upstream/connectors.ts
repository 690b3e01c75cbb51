/*
 * The registry of login protocols: a region's provider `type` picks the connector that speaks it.
 * Adding a protocol means a folder upstream/<type>/, a variant in the configuration's provider union,
 * and one line here.
 */
import type { ProviderConfig } from '../config/load.js'
import type { Connector, ConnectorContext } from './connector.js'
import { createEsiaConnector } from './esia/connector.js'
import { createOidcConnector } from './oidc/connector.js'

type Factories = { [T in ProviderConfig['type']]: (provider: Extract<ProviderConfig, { type: T }>, context: ConnectorContext) => Connector }

const factories: Factories = {
  oidc: createOidcConnector,
  esia: createEsiaConnector,
}

export function createConnector(provider: ProviderConfig, context: ConnectorContext): Connector {
  return (factories[provider.type] as (provider: ProviderConfig, context: ConnectorContext) => Connector)(provider, context)
}
