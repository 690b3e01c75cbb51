import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load.js'
import { connectors } from '../../src/upstream/connectors.js'
import { ConfigError, formatProblem } from '../../src/config/problems.js'
import { ensureGostKeyPair } from '../../demo/gost-keys.js'
import { esiaKeys } from '../helpers/esia-world.js'
import {
  passwordOnlyRegion,
  testSecrets,
  validClient,
  validEnv,
  validFiles,
  validRegion,
  writeConfigDir,
} from '../helpers/test-config.js'

function problemsOf(dir: string, env: Record<string, string | undefined>): string[] {
  try {
    loadConfig({ connectors, env: { ...env, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') }, cwd: dir })
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem)
    throw error
  }
  return []
}

t.test("the example configuration in config/ loads with its secrets and the demo's keys set", async (t) => {
  const dir = t.testdir()
  const system = ensureGostKeyPair(dir, 'system', 'Diary bridge 29 (demo)')
  const esia = ensureGostKeyPair(dir, 'esia', 'ESIA simulator (demo)')
  const { config } = loadConfig({
    connectors,
    env: {
      ...testSecrets,
      BRIDGE_CONFIG_DIR: 'config',
      REGION_29_ESIA_PRIVATE_KEY: system.privateKeyPem,
      REGION_29_ESIA_CERTIFICATE: system.certificatePem,
      DEMO_ESIA_CERTIFICATES: esia.certificatePem,
      REGION_78_CLIENT_SECRET: 's',
      DEMO_DIARY_CLIENT_SECRET: 's',
      DEMO_DIARY_SYNC_SECRET: 's',
    },
  })
  t.same([...config.regions.keys()], ['29', '78'])
  const esiaRegion = config.regions.get('29')?.stateServices
  t.equal(esiaRegion?.enabled, true)
  t.match(
    esiaRegion?.provider,
    { type: 'esia', issuer: 'http://localhost:3001/', clientId: 'DIARY29', certificatePem: system.certificatePem },
    'region 29 logs in through ESIA',
  )
  t.same(
    esiaRegion?.provider?.type === 'esia' && esiaRegion.provider.esiaCertificatePems,
    [esia.certificatePem.trim()],
    "the simulator's certificate, from the variable's bundle",
  )
  const oidcRegion = config.regions.get('78')?.stateServices
  t.equal(oidcRegion?.enabled, true)
  t.match(
    oidcRegion?.provider,
    { type: 'oidc', issuer: 'http://localhost:3003', clientId: 'diary-bridge-78' },
    'region 78 through standard OIDC',
  )
  t.same(config.clients.get('demo-diary')?.regions, ['29', '78'], 'the demo diary serves both')
  t.same(
    config.clients.get('demo-diary')?.name,
    { ru: 'Демо-дневник', en: 'Demo web diary' },
    'its name in each language',
  )
  t.same(
    config.clients.get('demo-diary-sync')?.grantTypes,
    ['client_credentials'],
    'the demo machine client: no browser',
  )
})

t.test('a valid directory gives a complete Config with defaults', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const { config, warnings } = loadConfig({
    connectors,
    env: { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') },
  })
  t.same(warnings, [])
  t.equal(config.publicUrl, 'http://localhost:3000')
  t.equal(config.server.port, 3000)
  t.equal(config.bridge.tokens.accessTokenTtlSeconds, 600)
  t.equal(config.bridge.tokens.signingAlgorithm, 'ES256')
  t.same(
    config.bridge.rateLimits,
    { windowSeconds: 60, syncSeconds: 1, perClient: 60_000, perAddress: 60_000 },
    'generous request limits per minute',
  )
  t.equal(config.regions.get('78')?.passwordLogin.enabled, true)
  const provider = config.regions.get('29')?.stateServices.provider
  t.equal(provider?.type, 'oidc', 'a provider without a type is standard OIDC')
  t.equal(provider?.type === 'oidc' && provider.clientSecret?.reveal(), 'upstream-secret')
  t.equal(provider?.type === 'oidc' && provider.tokenEndpointAuthMethod, 'client_secret_basic')
  t.equal(config.clients.get('web-diary')?.clientSecret?.reveal(), 'web-diary-secret')
  t.same(
    config.clients.get('web-diary')?.grantTypes,
    ['authorization_code', 'refresh_token'],
    'a client without grantTypes signs people in, as before grantTypes existed',
  )
  t.same(
    config.clients.get('web-diary')?.name,
    { ru: 'Web diary', en: 'Web diary' },
    'one name stands for both languages',
  )
  t.equal(config.secrets.sessionKeys.reveal()[0]?.length, 32)
  t.notMatch(
    JSON.stringify({ ...config, regions: [...config.regions.values()], clients: [...config.clients.values()] }),
    /upstream-secret|web-diary-secret/,
    'secrets do not serialise',
  )
})

t.test('each kind of broken configuration names file, JSON path and reason', async (t) => {
  const cases: {
    name: string
    files: Record<string, unknown>
    env?: Record<string, string | undefined>
    problems: string[]
  }[] = [
    {
      name: 'missing bridge.json',
      files: { ...validFiles, 'bridge.json': undefined },
      problems: ['bridge.json: file not found'],
    },
    {
      name: 'broken JSON',
      files: { ...validFiles, 'bridge.json': '{\n  "publicUrl": "http://localhost:3000",,\n}' },
      problems: ['bridge.json: invalid JSON at line 2, column 40: Expected double-quoted property name'],
    },
    {
      name: 'a wrong type',
      files: { ...validFiles, 'bridge.json': { tokens: { accessTokenTtlSeconds: '600' } } },
      problems: ['bridge.json: /tokens/accessTokenTtlSeconds: must be an integer, got string "600"'],
    },
    {
      name: 'an unknown key',
      files: { ...validFiles, 'regions/78.json': { ...passwordOnlyRegion, linkng: {} } },
      problems: ['regions/78.json: /linkng: unknown key'],
    },
    {
      name: 'a region whose secret env variable is unset',
      files: validFiles,
      env: { ...validEnv, REGION_29_CLIENT_SECRET: undefined },
      problems: [
        'regions/29.json: /stateServices/provider/clientSecretEnv: environment variable REGION_29_CLIENT_SECRET is not set',
      ],
    },
    {
      name: 'an enabled state-services login without a provider',
      files: { ...validFiles, 'regions/29.json': { ...validRegion, stateServices: { enabled: true } } },
      problems: ['regions/29.json: /stateServices/provider: is required when state-services login is enabled'],
    },
    {
      name: 'a missing required key and a bad enum value',
      files: {
        ...validFiles,
        'regions/78.json': { name: { ru: 'Санкт-Петербург' }, stateServices: { enabled: 'no' } },
        'bridge.json': { defaultLocale: 'de' },
      },
      problems: [
        'bridge.json: /defaultLocale: must be one of "ru", "en"',
        'regions/78.json: /name/en: required key is missing',
        'regions/78.json: /stateServices/enabled: must be true or false, got string "no"',
      ],
    },
    {
      name: 'bad schedules and no login method',
      files: {
        ...validFiles,
        'regions/78.json': {
          ...passwordOnlyRegion,
          passwordLogin: { enabled: false, from: '2027-04-01', until: '2027-03-01' },
        },
      },
      problems: [
        'regions/78.json: /passwordLogin/until: must be later than from',
        'regions/78.json: no login method is enabled (passwordLogin or stateServices)',
      ],
    },
    {
      name: 'client problems',
      files: {
        ...validFiles,
        'clients/web-diary.json': {
          ...validClient,
          redirectUris: ['https://diary.example/cb#x', 'http://diary.example/cb', 'myapp:/cb', '/relative'],
          regions: ['29', '99'],
          scopes: ['profile'],
        },
        'clients/mobile.json': { ...validClient, tokenEndpointAuthMethod: 'none' },
        'clients/Bad Name.json': validClient,
      },
      problems: [
        'clients/Bad Name.json: file name must be a client id: letters, digits, ".", "_" and "-"',
        'clients/mobile.json: /clientSecretEnv: must not be set for none',
        'clients/web-diary.json: /redirectUris/0: must not contain a fragment (#)',
        'clients/web-diary.json: /redirectUris/1: plain http is allowed only on a loopback host',
        'clients/web-diary.json: /redirectUris/2: a custom scheme must be a reverse domain name such as ru.example.diary:/callback',
        'clients/web-diary.json: /redirectUris/3: must be an absolute URI',
        'clients/web-diary.json: /regions/1: unknown region "99"',
        'clients/web-diary.json: /scopes: must include "openid"',
      ],
    },
    {
      name: 'grant types: browser grants need redirect URIs, client_credentials a confidential client',
      files: {
        ...validFiles,
        'clients/web-diary.json': { ...validClient, redirectUris: undefined },
        'clients/machine.json': {
          name: 'HR system',
          grantTypes: ['client_credentials'],
          tokenEndpointAuthMethod: 'client_secret_basic',
          clientSecretEnv: 'WEB_DIARY_SECRET',
          scopes: ['scim.read'],
          audience: 'https://hr.example',
          regions: ['29'],
        },
        'clients/public-machine.json': {
          ...validClient,
          clientSecretEnv: undefined,
          tokenEndpointAuthMethod: 'none',
          grantTypes: ['authorization_code', 'client_credentials'],
        },
        'clients/repeated.json': { ...validClient, grantTypes: ['refresh_token', 'refresh_token', 'password'] },
      },
      problems: [
        'clients/web-diary.json: /redirectUris: must list at least one URI (unless grantTypes is only client_credentials)',
        'clients/public-machine.json: /grantTypes: client_credentials needs a confidential client (tokenEndpointAuthMethod other than none)',
        'clients/repeated.json: /grantTypes: must not have duplicate items',
        'clients/repeated.json: /grantTypes/2: must be one of "authorization_code", "refresh_token", "client_credentials"',
      ],
    },
    {
      name: 'a time zone that does not exist, a home URL that is no URL, a client name in one language of two',
      files: {
        ...validFiles,
        'regions/29.json': { ...validRegion, timeZone: 'Europe/Arkhangelsk-on-Sea' },
        'regions/78.json': { name: { ru: 'Санкт-Петербург', en: 'Saint Petersburg' }, timeZone: 'Asia/Yekaterinburg' },
        'clients/web-diary.json': { ...validClient, homeUrl: 'diary.example' },
        'clients/schedule.json': { ...validClient, name: { ru: 'Расписание' } },
      },
      problems: [
        'clients/schedule.json: /name/en: required key is missing',
        'clients/web-diary.json: /homeUrl: must be an absolute URL',
        'regions/29.json: /timeZone: unknown time zone "Europe/Arkhangelsk-on-Sea" (an IANA name such as Europe/Moscow)',
      ],
    },
    {
      name: 'a key published for less time than verifiers cache the JWKS',
      files: { ...validFiles, 'bridge.json': { tokens: { jwksMaxAgeSeconds: 900, keyPublishSeconds: 600 } } },
      problems: [
        'bridge.json: /tokens/keyPublishSeconds: must be at least jwksMaxAgeSeconds + 60 (verifiers must see a key before it signs)',
      ],
    },
    {
      name: 'a negative request limit (0 is the way to turn one off)',
      files: { ...validFiles, 'bridge.json': { rateLimits: { perAddress: -1 } } },
      problems: ['bridge.json: /rateLimits/perAddress: must be >= 0'],
    },
    {
      name: 'request counts shared no more often than a window lasts',
      files: { ...validFiles, 'bridge.json': { rateLimits: { windowSeconds: 10, syncSeconds: 10 } } },
      problems: [
        'bridge.json: /rateLimits/syncSeconds: must be less than windowSeconds (instances share their counts once per sync)',
      ],
    },
    {
      name: 'no regions at all',
      files: { 'bridge.json': {} },
      problems: ['regions: holds no region files (<code>.json)'],
    },
    {
      name: 'bad environment values',
      files: validFiles,
      env: { ...validEnv, PORT: 'eighty', LOG_LEVEL: 'loud', KEY_ENCRYPTION_KEY: 'not base64!' },
      problems: [
        'env: KEY_ENCRYPTION_KEY: must be base64',
        'env: LOG_LEVEL: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
        'env: PORT: must match pattern "^\\d{1,5}$"',
      ],
    },
    {
      name: 'production without secrets or public URL, with an http issuer',
      files: {
        ...validFiles,
        'bridge.json': {},
        'regions/29.json': {
          ...validRegion,
          stateServices: {
            ...validRegion.stateServices,
            provider: { ...validRegion.stateServices.provider, issuer: 'http://esia.example' },
          },
        },
      },
      env: { NODE_ENV: 'production', REGION_29_CLIENT_SECRET: 's', WEB_DIARY_SECRET: 's' },
      problems: [
        'env: DATABASE_URL: is required when NODE_ENV=production (or set database.embedded: true in bridge.json to keep the data in DATA_DIR)',
        'env: KEY_ENCRYPTION_KEY: is required when NODE_ENV=production',
        'env: PUBLIC_URL: is required when NODE_ENV=production (or publicUrl in bridge.json)',
        'env: SESSION_KEYS: is required when NODE_ENV=production',
        'env: SNILS_PEPPER: is required when NODE_ENV=production',
        'regions/29.json: /stateServices/provider/issuer: must use https in production',
      ],
    },
  ]
  for (const { name, files, env, problems } of cases) {
    const dir = writeConfigDir(t, files)
    t.same(problemsOf(dir, env ?? validEnv).sort(), [...problems].sort(), name)
  }
})

t.test('production keeps its data: the embedded database only when asked for, in a folder that exists', async (t) => {
  const production = { ...validEnv, NODE_ENV: 'production', PUBLIC_URL: 'https://id.example' }
  const refused = writeConfigDir(t, validFiles)
  t.same(problemsOf(refused, production), [
    'env: DATABASE_URL: is required when NODE_ENV=production (or set database.embedded: true in bridge.json to keep the data in DATA_DIR)',
  ])
  t.same(
    problemsOf(refused, { ...production, DATABASE_URL: 'postgres://bridge@db.example/bridge' }),
    [],
    'with DATABASE_URL',
  )

  const embedded = writeConfigDir(t, { ...validFiles, 'bridge.json': { database: { embedded: true } } })
  t.same(problemsOf(embedded, production), [
    'env: DATA_DIR: data does not exist: the embedded database needs a folder that outlives the process (a volume)',
  ])
  mkdirSync(join(embedded, 'data'))
  const { warnings } = loadConfig({
    connectors,
    env: { ...production, BRIDGE_CONFIG_DIR: embedded, DATA_DIR: join(embedded, 'data') },
    cwd: embedded,
  })
  t.match(warnings, [/^production runs on the embedded database in data: one instance only/], 'allowed, loudly')
})

t.test('a region that no client serves is a warning, not an error', async (t) => {
  const dir = writeConfigDir(t, {
    ...validFiles,
    'regions/35.json': { name: { ru: 'Вологодская область', en: 'Vologda Oblast' } },
  })
  const { config, warnings } = loadConfig({
    connectors,
    env: { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') },
    cwd: dir,
  })
  t.ok(config.regions.has('35'), 'the region loads')
  t.same(warnings, [
    'regions/35.json: no client serves region "35": add it to the "regions" of the diary modules that should offer it',
  ])
})

t.test('a short session key is named by its position', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  t.same(problemsOf(dir, { ...validEnv, SESSION_KEYS: `${testSecrets.SESSION_KEYS},c2hvcnQ=` }), [
    'env: SESSION_KEYS[1]: must decode to exactly 32 bytes, got 5',
  ])
})

t.test('development generates missing secrets once, keeps them, and warns', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const env = {
    REGION_29_CLIENT_SECRET: 's',
    WEB_DIARY_SECRET: 's',
    BRIDGE_CONFIG_DIR: dir,
    DATA_DIR: join(dir, 'data'),
  }
  const first = loadConfig({ connectors, env })
  t.same(first.developmentSecrets?.used, ['SESSION_KEYS', 'SNILS_PEPPER', 'KEY_ENCRYPTION_KEY'])
  t.same(
    first.developmentSecrets?.generated,
    ['SESSION_KEYS', 'SNILS_PEPPER', 'KEY_ENCRYPTION_KEY'],
    'made on the first start',
  )
  t.match(first.developmentSecrets?.file, /dev-secrets\.json$/)
  const file = join(dir, 'data', 'dev-secrets.json')
  t.ok(existsSync(file))
  t.equal(readFileSync(file).length > 0, true)
  const second = loadConfig({ connectors, env })
  t.same(second.developmentSecrets?.generated, [], 'used again, not made again')
  t.same(
    second.config.secrets.snilsPepper.reveal(),
    first.config.secrets.snilsPepper.reveal(),
    'the same pepper after a restart',
  )
  const explicit = loadConfig({ connectors, env: { ...env, SNILS_PEPPER: testSecrets.SNILS_PEPPER } })
  t.same(
    explicit.developmentSecrets?.used,
    ['SESSION_KEYS', 'KEY_ENCRYPTION_KEY'],
    'a set variable wins over the generated one',
  )
  t.same(explicit.config.secrets.snilsPepper.reveal(), Buffer.from(testSecrets.SNILS_PEPPER, 'base64'))
})

const keys = esiaKeys(t.testdir())
/** An ESIA region whose key and certificates are files beside the region files, named relative to the configuration directory. */
const esiaFiles = {
  'keys/system.cert.pem': keys.system.certificatePem,
  'keys/system.key.pem': keys.system.privateKeyPem,
  'keys/esia.cert.pem': keys.esia.certificatePem,
}
const esiaFromFiles = {
  type: 'esia',
  portalUrl: 'https://esia-portal1.test.gosuslugi.ru/',
  clientId: 'DIARY29',
  certificateFile: 'keys/system.cert.pem',
  signer: { type: 'openssl-gost', privateKeyFile: 'keys/system.key.pem' },
  esiaCertificateFiles: ['keys/esia.cert.pem'],
}
const esiaFromEnv = {
  type: 'esia',
  portalUrl: 'https://esia-portal1.test.gosuslugi.ru/',
  clientId: 'DIARY29',
  certificateEnv: 'REGION_29_ESIA_CERTIFICATE',
  signer: { type: 'openssl-gost', privateKeyEnv: 'REGION_29_ESIA_PRIVATE_KEY' },
  esiaCertificatesEnv: 'ESIA_CERTIFICATES',
}
const esiaEnv = {
  ...validEnv,
  REGION_29_ESIA_CERTIFICATE: keys.system.certificatePem,
  REGION_29_ESIA_PRIVATE_KEY: keys.system.privateKeyPem,
  ESIA_CERTIFICATES: `${keys.esia.certificatePem}\n${keys.stranger.certificatePem}`,
}
const esiaRegion = (provider: Record<string, unknown>) => ({
  ...validFiles,
  ...esiaFiles,
  'regions/29.json': { ...validRegion, stateServices: { enabled: true, provider } },
})
const without = (provider: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(provider).filter(([name]) => name !== key))

t.test(
  'an ESIA region from files: read relative to the configuration directory, the issuer by default http://<portal host>/',
  async (t) => {
    const dir = writeConfigDir(t, esiaRegion(esiaFromFiles))
    const { config } = loadConfig({
      connectors,
      env: { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') },
      cwd: '/',
    })
    const provider = config.regions.get('29')?.stateServices.provider
    if (provider?.type !== 'esia') throw new Error('region 29 has no ESIA provider')
    t.equal(
      provider.issuer,
      'http://esia-portal1.test.gosuslugi.ru/',
      "ESIA's iss is plain http even for an https portal",
    )
    t.equal(provider.certificatePem, keys.system.certificatePem)
    t.same(provider.esiaCertificatePems, [keys.esia.certificatePem])
    t.equal(provider.signer.type === 'openssl-gost' && provider.signer.privateKey.reveal(), keys.system.privateKeyPem)
    t.same(
      [provider.scopes, provider.tokenSigningAlg, provider.timeoutMs],
      [['openid', 'fullname', 'birthdate', 'snils'], 'GOST3410_2012_256', 5000],
      'defaults',
    )
    t.notOk(
      JSON.stringify(provider).includes(keys.system.privateKeyPem.split('\n')[1] as string),
      'the private key does not serialise',
    )
  },
)

t.test('an ESIA region from env variables: a bundle holds every ESIA certificate of a rotation', async (t) => {
  const dir = writeConfigDir(t, esiaRegion({ ...esiaFromEnv, issuer: 'http://esia.example/' }))
  const { config } = loadConfig({
    connectors,
    env: { ...esiaEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') },
  })
  const provider = config.regions.get('29')?.stateServices.provider
  if (provider?.type !== 'esia') throw new Error('region 29 has no ESIA provider')
  t.equal(provider.issuer, 'http://esia.example/', 'a configured issuer wins over the default')
  t.equal(provider.certificatePem, keys.system.certificatePem)
  t.equal(provider.esiaCertificatePems.length, 2)
  t.same(
    provider.esiaCertificatePems.map((pem) => pem.trim()),
    [keys.esia.certificatePem.trim(), keys.stranger.certificatePem.trim()],
  )
})

t.test('each mistake in an ESIA provider is one line that names the key', async (t) => {
  const prefix = 'regions/29.json: /stateServices/provider'
  const notKey = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIC0=\n-----END EC PRIVATE KEY-----\n'
  const cases: {
    name: string
    provider: Record<string, unknown>
    env?: Record<string, string | undefined>
    problems: string[]
  }[] = [
    {
      name: 'an unknown provider type',
      provider: { ...esiaFromFiles, type: 'saml' },
      problems: [`${prefix}/type: must be one of "oidc", "esia"`],
    },
    {
      name: 'no portalUrl',
      provider: without(esiaFromFiles, 'portalUrl'),
      problems: [`${prefix}/portalUrl: required key is missing`],
    },
    {
      name: 'a portalUrl without its trailing slash',
      provider: { ...esiaFromFiles, portalUrl: 'https://esia.gosuslugi.ru' },
      problems: [`${prefix}/portalUrl: must end with /`],
    },
    {
      name: 'a plain http portal in production',
      provider: { ...esiaFromFiles, portalUrl: 'http://esia.gosuslugi.ru/' },
      env: { ...validEnv, NODE_ENV: 'production', DATABASE_URL: 'postgres://bridge@db.example/bridge' },
      problems: [`${prefix}/portalUrl: must use https in production`],
    },
    {
      name: 'certificateFile and certificateEnv both',
      provider: { ...esiaFromFiles, certificateEnv: 'REGION_29_ESIA_CERTIFICATE' },
      env: esiaEnv,
      problems: [`${prefix}/certificateFile: give exactly one of certificateFile or certificateEnv`],
    },
    {
      name: 'neither certificateFile nor certificateEnv',
      provider: without(esiaFromFiles, 'certificateFile'),
      problems: [`${prefix}/certificateFile: give exactly one of certificateFile or certificateEnv`],
    },
    {
      name: 'a file that is not there',
      provider: { ...esiaFromFiles, certificateFile: 'keys/missing.pem' },
      problems: [`${prefix}/certificateFile: cannot read <config>/keys/missing.pem: file not found`],
    },
    {
      name: 'a file that cannot be read',
      provider: { ...esiaFromFiles, esiaCertificateFiles: ['keys'] },
      problems: [`${prefix}/esiaCertificateFiles/0: cannot read <config>/keys: EISDIR`],
    },
    {
      name: 'a file that is not a certificate',
      provider: { ...esiaFromFiles, certificateFile: 'keys/system.key.pem' },
      problems: [`${prefix}/certificateFile: is not a PEM certificate`],
    },
    {
      name: 'an ESIA certificate that is not one',
      provider: { ...esiaFromFiles, esiaCertificateFiles: ['keys/esia.cert.pem', 'keys/system.key.pem'] },
      problems: [`${prefix}/esiaCertificateFiles/1: is not a PEM certificate`],
    },
    {
      name: 'esiaCertificateFiles and esiaCertificatesEnv both',
      provider: { ...esiaFromFiles, esiaCertificatesEnv: 'ESIA_CERTIFICATES' },
      env: esiaEnv,
      problems: [`${prefix}/esiaCertificateFiles: give exactly one of esiaCertificateFiles or esiaCertificatesEnv`],
    },
    {
      name: 'neither esiaCertificateFiles nor esiaCertificatesEnv',
      provider: without(esiaFromFiles, 'esiaCertificateFiles'),
      problems: [`${prefix}/esiaCertificateFiles: give exactly one of esiaCertificateFiles or esiaCertificatesEnv`],
    },
    {
      name: 'an env bundle without certificates',
      provider: esiaFromEnv,
      env: { ...esiaEnv, ESIA_CERTIFICATES: keys.esia.privateKeyPem },
      problems: [`${prefix}/esiaCertificatesEnv: holds no PEM certificate`],
    },
    {
      name: 'env variables that are not set',
      provider: esiaFromEnv,
      env: validEnv,
      problems: [
        `${prefix}/certificateEnv: environment variable REGION_29_ESIA_CERTIFICATE is not set`,
        `${prefix}/esiaCertificatesEnv: environment variable ESIA_CERTIFICATES is not set`,
        `${prefix}/signer/privateKeyEnv: environment variable REGION_29_ESIA_PRIVATE_KEY is not set`,
      ],
    },
    {
      name: 'an openssl-gost signer without a key',
      provider: { ...esiaFromFiles, signer: { type: 'openssl-gost' } },
      problems: [`${prefix}/signer/privateKeyFile: give exactly one of privateKeyFile or privateKeyEnv`],
    },
    {
      name: 'an openssl-gost signer with a url',
      provider: { ...esiaFromFiles, signer: { ...esiaFromFiles.signer, url: 'https://dss.example/sign' } },
      problems: [`${prefix}/signer/url: is not used by the openssl-gost signer`],
    },
    {
      name: 'an http signer without a url',
      provider: { ...esiaFromFiles, signer: { type: 'http' } },
      problems: [`${prefix}/signer/url: is required for the http signer`],
    },
    {
      name: 'an http signer with a key file',
      provider: {
        ...esiaFromFiles,
        signer: { type: 'http', url: 'https://dss.example/sign', privateKeyFile: 'keys/system.key.pem' },
      },
      problems: [`${prefix}/signer/privateKeyFile: is not used by the http signer`],
    },
    {
      name: 'a private key that is not PKCS#8 PEM',
      provider: esiaFromEnv,
      env: { ...esiaEnv, REGION_29_ESIA_PRIVATE_KEY: notKey },
      problems: [
        `${prefix}/signer/privateKeyEnv: is not an unencrypted PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)`,
      ],
    },
    {
      name: 'scopes without openid',
      provider: { ...esiaFromFiles, scopes: ['fullname', 'snils'] },
      problems: [`${prefix}/scopes: must include "openid"`],
    },
    {
      name: 'an OIDC key in an ESIA provider',
      provider: { ...esiaFromFiles, claims: { snils: 'snils' } },
      problems: [`${prefix}/claims: unknown key`],
    },
  ]
  for (const { name, provider, env, problems } of cases) {
    const dir = writeConfigDir(t, esiaRegion(provider))
    t.same(problemsOf(dir, env ?? validEnv).sort(), problems.map((line) => line.replace('<config>', dir)).sort(), name)
  }
})

const mailSection = {
  from: 'Дневник <no-reply@example.ru>',
  smtp: {
    host: 'smtp.example.ru',
    port: 587,
    secure: false,
    requireTls: true,
    user: 'bridge',
    passwordEnv: 'SMTP_PASSWORD',
    timeoutMs: 10000,
  },
}
const smsSection = {
  gatewayUrl: 'https://sms.example.ru/send',
  authorizationEnv: 'SMS_GATEWAY_AUTHORIZATION',
  sender: 'Dnevnik',
  timeoutMs: 5000,
}
const withSenders = (bridge: Record<string, unknown>, files: Record<string, unknown> = validFiles) => ({
  ...files,
  'bridge.json': { publicUrl: 'http://localhost:3000', ...bridge },
})
const senderEnv = { ...validEnv, SMTP_PASSWORD: 'smtp-secret', SMS_GATEWAY_AUTHORIZATION: 'Bearer sms-secret' }

t.test(
  'mail and sms: read with their secrets from the environment, defaults applied, secrets do not serialise',
  async (t) => {
    const dir = writeConfigDir(t, withSenders({ mail: mailSection, sms: smsSection }))
    const { config, warnings } = loadConfig({
      connectors,
      env: { ...senderEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') },
    })
    t.same(warnings, [])
    const { password, ...smtp } = config.mail?.smtp ?? {}
    t.same(
      smtp,
      { host: 'smtp.example.ru', port: 587, secure: false, requireTls: true, user: 'bridge', timeoutMs: 10000 },
      'no passwordEnv left in the resolved config',
    )
    t.equal(password?.reveal(), 'smtp-secret')
    t.equal(config.mail?.from, 'Дневник <no-reply@example.ru>')
    t.match(config.sms, { gatewayUrl: 'https://sms.example.ru/send', sender: 'Dnevnik', timeoutMs: 5000 })
    t.equal(config.sms?.authorization?.reveal(), 'Bearer sms-secret')
    t.notMatch(JSON.stringify(config), /smtp-secret|sms-secret/, 'secrets do not serialise')

    const minimal = writeConfigDir(
      t,
      withSenders({
        mail: { from: 'no-reply@example.ru', smtp: { host: '127.0.0.1' } },
        sms: { gatewayUrl: 'http://127.0.0.1:9000/sms' },
      }),
    )
    const defaults = loadConfig({
      connectors,
      env: { ...validEnv, BRIDGE_CONFIG_DIR: minimal, DATA_DIR: join(minimal, 'data') },
    }).config
    t.same(
      defaults.mail?.smtp,
      { host: '127.0.0.1', port: 587, secure: false, requireTls: true, timeoutMs: 10000 },
      'STARTTLS required unless turned off',
    )
    t.same(defaults.sms, { gatewayUrl: 'http://127.0.0.1:9000/sms', timeoutMs: 5000 })

    const none = writeConfigDir(t, validFiles)
    const plain = loadConfig({
      connectors,
      env: { ...validEnv, BRIDGE_CONFIG_DIR: none, DATA_DIR: join(none, 'data') },
    }).config
    t.same([plain.mail, plain.sms], [undefined, undefined], 'both optional')
  },
)

t.test(
  'passwordRecovery: every way by default, an explicit list, an empty list; unknown or repeated ways refused',
  async (t) => {
    const dir = writeConfigDir(t, {
      ...validFiles,
      'regions/35.json': {
        name: { ru: 'Вологодская область', en: 'Vologda Oblast' },
        passwordRecovery: ['sms', 'email'],
      },
      'regions/78.json': { ...passwordOnlyRegion, passwordRecovery: [] },
    })
    const { config } = loadConfig({
      connectors,
      env: { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') },
    })
    t.same(config.regions.get('29')?.passwordRecovery, ['state_services', 'email', 'sms'], 'default: all three')
    t.same(config.regions.get('35')?.passwordRecovery, ['sms', 'email'])
    t.same(config.regions.get('78')?.passwordRecovery, [], 'none: only the school helps')

    const broken = writeConfigDir(t, {
      ...validFiles,
      'regions/78.json': { ...passwordOnlyRegion, passwordRecovery: ['email', 'email', 'post'] },
    })
    t.same(problemsOf(broken, validEnv).sort(), [
      'regions/78.json: /passwordRecovery/2: must be one of "state_services", "email", "sms"',
      'regions/78.json: /passwordRecovery: must not have duplicate items',
    ])
  },
)

t.test('each mistake in mail or sms is one line that names the key', async (t) => {
  const cases: {
    name: string
    bridge: Record<string, unknown>
    env?: Record<string, string | undefined>
    problems: string[]
  }[] = [
    {
      name: 'a gateway URL that is not http(s)',
      bridge: { sms: { ...smsSection, gatewayUrl: 'ftp://sms.example.ru/send' } },
      problems: ['bridge.json: /sms/gatewayUrl: must be an http(s) URL'],
    },
    {
      name: 'a gateway URL that is not a URL',
      bridge: { sms: { ...smsSection, gatewayUrl: 'sms.example.ru' } },
      problems: ['bridge.json: /sms/gatewayUrl: must be an absolute URL'],
    },
    {
      name: 'a port out of range, a wrong type, an unknown key',
      bridge: { mail: { ...mailSection, smtp: { ...mailSection.smtp, port: 70000, secure: 'yes', tls: true } } },
      problems: [
        'bridge.json: /mail/smtp/port: must be <= 65535',
        'bridge.json: /mail/smtp/secure: must be true or false, got string "yes"',
        'bridge.json: /mail/smtp/tls: unknown key',
      ],
    },
    {
      name: 'a password in the file instead of a variable name',
      bridge: { mail: { ...mailSection, smtp: { ...mailSection.smtp, password: 'hunter2' } } },
      problems: ['bridge.json: /mail/smtp/password: unknown key'],
    },
    {
      name: 'missing required keys',
      bridge: { mail: { smtp: {} }, sms: {} },
      problems: [
        'bridge.json: /mail/from: required key is missing',
        'bridge.json: /mail/smtp/host: required key is missing',
        'bridge.json: /sms/gatewayUrl: required key is missing',
      ],
    },
    {
      name: 'a From without an address, a user without a password',
      bridge: { mail: { from: 'Дневник', smtp: { host: 'smtp.example.ru', user: 'bridge' } } },
      problems: [
        'bridge.json: /mail/from: must be one address: "no-reply@example.ru" or "Name <no-reply@example.ru>"',
        'bridge.json: /mail/smtp/passwordEnv: is required with user',
      ],
    },
    {
      name: 'production: the secret variables not set, plain http to the gateway, SMTP in clear text',
      bridge: {
        mail: { ...mailSection, smtp: { ...mailSection.smtp, requireTls: false } },
        sms: { ...smsSection, gatewayUrl: 'http://sms.example.ru/send' },
      },
      env: { ...validEnv, NODE_ENV: 'production', DATABASE_URL: 'postgres://bridge@db.example/bridge' },
      problems: [
        'bridge.json: /mail/smtp/passwordEnv: environment variable SMTP_PASSWORD is not set',
        'bridge.json: /mail/smtp/requireTls: must be true in production unless secure is true or the host is a local relay (recovery links must not cross the network in clear text)',
        'bridge.json: /sms/authorizationEnv: environment variable SMS_GATEWAY_AUTHORIZATION is not set',
        'bridge.json: /sms/gatewayUrl: must use https in production',
      ],
    },
  ]
  for (const { name, bridge, env, problems } of cases) {
    const dir = writeConfigDir(t, withSenders(bridge))
    t.same(problemsOf(dir, env ?? senderEnv).sort(), [...problems].sort(), name)
  }
})

t.test('development: a secret variable not set is a warning, and that channel stays off', async (t) => {
  const dir = writeConfigDir(t, withSenders({ mail: mailSection, sms: smsSection }))
  const { config, warnings } = loadConfig({
    connectors,
    env: {
      ...validEnv,
      SMS_GATEWAY_AUTHORIZATION: 'Bearer sms-secret',
      BRIDGE_CONFIG_DIR: dir,
      DATA_DIR: join(dir, 'data'),
    },
  })
  t.same(warnings, [
    `${join(dir, 'bridge.json')}: /mail/smtp/passwordEnv: environment variable SMTP_PASSWORD is not set: no e-mail is sent (in production this stops the start)`,
  ])
  t.equal(config.mail, undefined, 'no mail')
  t.equal(config.sms?.authorization?.reveal(), 'Bearer sms-secret', 'SMS still on')
})
