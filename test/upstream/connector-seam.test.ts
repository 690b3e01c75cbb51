/*
 * The connector seam: a login protocol is one entry of the table in upstream/connectors.ts. A third kind,
 * written here in a few lines the way upstream/oidc/ is (schema, check, create), goes through the real
 * loader and the real region registry with nothing else changed; a `type` no table has is refused clearly.
 */
import { join } from 'node:path'
import t from 'tap'
import Type from 'typebox'
import { checkHttpUrl } from '../../src/config/checks.js'
import { loadConfig } from '../../src/config/load.js'
import type { ProviderCheckContext } from '../../src/config/provider-kind.js'
import { ConfigError, formatProblem, type KeyProblem } from '../../src/config/problems.js'
import { closed } from '../../src/config/schema.js'
import { createRegionRegistry } from '../../src/regions/registry.js'
import {
  type Connector,
  type ConnectorContext,
  requireCallbackState,
  stateField,
} from '../../src/upstream/connector.js'
import { type ConnectorKinds, connectors, connectorTable, createConnector } from '../../src/upstream/connectors.js'
import { validEnv, validFiles, validRegion, writeConfigDir } from '../helpers/test-config.js'

/** A protocol whose provider vouches for nobody: it sends the browser to `loginUrl` and trusts the `person` it gets back. */
const LetterProviderSchema = Type.Object(
  { type: Type.Literal('letter'), loginUrl: Type.String({ minLength: 1 }) },
  closed,
)
type LetterProviderConfig = Type.Static<typeof LetterProviderSchema> & { issuer: string }

function checkLetterProvider(
  file: Type.Static<typeof LetterProviderSchema>,
  context: ProviderCheckContext,
  problems: KeyProblem[],
): LetterProviderConfig | undefined {
  const problem = checkHttpUrl(file.loginUrl, context)
  if (problem) problems.push({ path: '/loginUrl', message: problem })
  return problem ? undefined : { ...file, issuer: new URL(file.loginUrl).origin }
}

function createLetterConnector(provider: LetterProviderConfig, context: ConnectorContext): Connector {
  return {
    issuer: provider.issuer,
    startLogin: async () => {
      const url = new URL(provider.loginUrl)
      url.searchParams.set('state', 'state-1')
      url.searchParams.set('redirect_uri', context.redirectUri)
      return { url, state: { state: 'state-1' } }
    },
    finishLogin: async (callbackUrl, state) => {
      requireCallbackState(callbackUrl, stateField(state, 'state'))
      return {
        issuer: provider.issuer,
        subject: callbackUrl.searchParams.get('person') ?? '',
        verified: false,
        snilsInvalid: false,
      }
    },
    endSessionUrl: async () => undefined,
  }
}

const withLetter = connectorTable({
  ...connectors,
  letter: { schema: LetterProviderSchema, check: checkLetterProvider, create: createLetterConnector },
})

const letterRegion = (provider: Record<string, unknown>) => ({
  ...validFiles,
  'regions/35.json': { ...validRegion, stateServices: { enabled: true, provider } },
})

function load(t: Parameters<typeof writeConfigDir>[0], files: Record<string, unknown>, kinds: ConnectorKinds) {
  const dir = writeConfigDir(t, files)
  return loadConfig({
    connectors: kinds,
    env: { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') },
    cwd: dir,
  })
}

function problemsOf(
  t: Parameters<typeof writeConfigDir>[0],
  files: Record<string, unknown>,
  kinds: ConnectorKinds,
): string[] {
  try {
    load(t, files, kinds)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem)
    throw error
  }
  return []
}

t.test('a third protocol is one table entry: its region loads, and the registry builds its connector', async (t) => {
  const { config } = load(t, letterRegion({ type: 'letter', loginUrl: 'https://letters.example/login' }), withLetter)
  const provider = config.regions.get('35')?.stateServices.provider
  t.same(
    provider,
    { type: 'letter', loginUrl: 'https://letters.example/login', issuer: 'https://letters.example' },
    "the kind's check made the settings",
  )
  t.equal(
    config.regions.get('29')?.stateServices.provider?.type,
    'oidc',
    'the other kinds of the table still load beside it',
  )

  const regions = createRegionRegistry(config, { connectors: withLetter })
  const connector = regions.get('35')?.connector
  if (connector === undefined) throw new Error('region 35 has no connector')
  t.equal(connector.issuer, 'https://letters.example')
  const { url, state } = await connector.startLogin()
  t.equal(url.origin + url.pathname, 'https://letters.example/login')
  t.equal(
    url.searchParams.get('redirect_uri'),
    'http://localhost:3000/login/state-services/callback',
    "built with the bridge's callback URL",
  )
  const identity = await connector.finishLogin(
    new URL('http://localhost:3000/login/state-services/callback?state=state-1&person=p-7'),
    state,
  )
  t.match(identity, { issuer: 'https://letters.example', subject: 'p-7', verified: false })
  t.not(regions.get('29')?.connector, undefined, 'the OIDC region got its connector from the same table')
})

t.test("the third kind's mistakes are one line each, under the provider's path", async (t) => {
  const prefix = 'regions/35.json: /stateServices/provider'
  const cases: [name: string, provider: Record<string, unknown>, problems: string[]][] = [
    [
      "its check, under the region file's path",
      { type: 'letter', loginUrl: 'letters.example' },
      [`${prefix}/loginUrl: must be an absolute URL`],
    ],
    [
      "its schema, not every variant's",
      { type: 'letter', loginUrl: 'https://letters.example/login', issuer: 'x' },
      [`${prefix}/issuer: unknown key`],
    ],
    ['a required key of its schema', { type: 'letter' }, [`${prefix}/loginUrl: required key is missing`]],
    [
      "a type no entry has: the table's types",
      { type: 'saml', loginUrl: 'https://letters.example/login' },
      [`${prefix}/type: must be one of "oidc", "esia", "letter"`],
    ],
  ]
  for (const [name, provider, problems] of cases)
    t.same(problemsOf(t, letterRegion(provider), withLetter), problems, name)
})

t.test('without its entry, the third kind is an unknown type', async (t) => {
  t.same(problemsOf(t, letterRegion({ type: 'letter', loginUrl: 'https://letters.example/login' }), connectors), [
    'regions/35.json: /stateServices/provider/type: must be one of "oidc", "esia"',
  ])
})

t.test("a provider whose type the registry's table lacks is a problem of its region file", async (t) => {
  const { config } = load(t, letterRegion({ type: 'letter', loginUrl: 'https://letters.example/login' }), withLetter)
  const context = { redirectUri: 'http://localhost:3000/login/state-services/callback' }
  t.throws(() => createConnector(connectors, { type: 'letter' }, context), {
    message: 'no connector for provider type "letter" (known: oidc, esia)',
  })
  t.throws(() => createRegionRegistry(config, { connectors }), {
    problems: [
      {
        file: 'regions/35.json',
        path: '/stateServices/provider',
        message: 'no connector for provider type "letter" (known: oidc, esia)',
      },
    ],
  } as unknown as Error)
})
