import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load.js'
import { ConfigError, formatProblem } from '../../src/config/problems.js'
import { passwordOnlyRegion, testSecrets, validClient, validEnv, validFiles, validRegion, writeConfigDir } from '../helpers/test-config.js'

function problemsOf(dir: string, env: Record<string, string | undefined>): string[] {
  try {
    loadConfig({ env: { ...env, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') }, cwd: dir })
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem)
    throw error
  }
  return []
}

t.test('the example configuration in config/ loads with its secrets set', async (t) => {
  const { config } = loadConfig({
    env: { ...testSecrets, BRIDGE_CONFIG_DIR: 'config', REGION_29_CLIENT_SECRET: 's', DEMO_DIARY_CLIENT_SECRET: 's' },
  })
  t.same([...config.regions.keys()], ['29', '78'])
  t.equal(config.regions.get('29')?.stateServices.enabled, true, 'one region with state-services login')
  t.equal(config.regions.get('78')?.stateServices.enabled, false, 'one region without')
  t.ok(config.clients.get('demo-diary'))
})

t.test('a valid directory gives a complete Config with defaults', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const { config, warnings } = loadConfig({ env: { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') } })
  t.same(warnings, [])
  t.equal(config.publicUrl, 'http://localhost:3000')
  t.equal(config.server.port, 3000)
  t.equal(config.bridge.tokens.accessTokenTtlSeconds, 600)
  t.equal(config.bridge.tokens.signingAlgorithm, 'ES256')
  t.equal(config.regions.get('78')?.passwordLogin.enabled, true)
  const provider = config.regions.get('29')?.stateServices.provider
  t.equal(provider?.type, 'oidc', 'a provider without a type is standard OIDC')
  t.equal(provider?.type === 'oidc' && provider.clientSecret?.reveal(), 'upstream-secret')
  t.equal(provider?.type === 'oidc' && provider.tokenEndpointAuthMethod, 'client_secret_basic')
  t.equal(config.clients.get('web-diary')?.clientSecret?.reveal(), 'web-diary-secret')
  t.equal(config.secrets.sessionKeys.reveal()[0]?.length, 32)
  t.notMatch(JSON.stringify({ ...config, regions: [...config.regions.values()], clients: [...config.clients.values()] }), /upstream-secret|web-diary-secret/, 'secrets do not serialise')
})

t.test('each kind of broken configuration names file, JSON path and reason', async (t) => {
  const cases: { name: string; files: Record<string, unknown>; env?: Record<string, string | undefined>; problems: string[] }[] = [
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
      problems: ['regions/29.json: /stateServices/provider/clientSecretEnv: environment variable REGION_29_CLIENT_SECRET is not set'],
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
        'regions/78.json': { ...passwordOnlyRegion, passwordLogin: { enabled: false, from: '2027-04-01', until: '2027-03-01' } },
      },
      problems: ['regions/78.json: /passwordLogin/until: must be later than from', 'regions/78.json: no login method is enabled (passwordLogin or stateServices)'],
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
      name: 'a time zone that does not exist, and a home URL that is no URL',
      files: {
        ...validFiles,
        'regions/29.json': { ...validRegion, timeZone: 'Europe/Arkhangelsk-on-Sea' },
        'regions/78.json': { name: { ru: 'Санкт-Петербург', en: 'Saint Petersburg' }, timeZone: 'Asia/Yekaterinburg' },
        'clients/web-diary.json': { ...validClient, homeUrl: 'diary.example' },
      },
      problems: [
        'clients/web-diary.json: /homeUrl: must be an absolute URL',
        'regions/29.json: /timeZone: unknown time zone "Europe/Arkhangelsk-on-Sea" (an IANA name such as Europe/Moscow)',
      ],
    },
    {
      name: 'a key published for less time than verifiers cache the JWKS',
      files: { ...validFiles, 'bridge.json': { tokens: { jwksMaxAgeSeconds: 900, keyPublishSeconds: 600 } } },
      problems: ['bridge.json: /tokens/keyPublishSeconds: must be at least jwksMaxAgeSeconds + 60 (verifiers must see a key before it signs)'],
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
        'regions/29.json': { ...validRegion, stateServices: { ...validRegion.stateServices, provider: { ...validRegion.stateServices.provider, issuer: 'http://esia.example' } } },
      },
      env: { NODE_ENV: 'production', REGION_29_CLIENT_SECRET: 's', WEB_DIARY_SECRET: 's' },
      problems: [
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

t.test('a short session key is named by its position', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  t.same(problemsOf(dir, { ...validEnv, SESSION_KEYS: `${testSecrets.SESSION_KEYS},c2hvcnQ=` }), [
    'env: SESSION_KEYS[1]: must decode to exactly 32 bytes, got 5',
  ])
})

t.test('development generates missing secrets once, keeps them, and warns', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const env = { REGION_29_CLIENT_SECRET: 's', WEB_DIARY_SECRET: 's', BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') }
  const first = loadConfig({ env })
  t.equal(first.warnings.length, 3)
  t.match(first.warnings[0], /SESSION_KEYS is not set: using a development value generated into .*dev-secrets\.json/)
  const file = join(dir, 'data', 'dev-secrets.json')
  t.ok(existsSync(file))
  t.equal(readFileSync(file).length > 0, true)
  const second = loadConfig({ env })
  t.same(second.config.secrets.snilsPepper.reveal(), first.config.secrets.snilsPepper.reveal(), 'the same pepper after a restart')
  const explicit = loadConfig({ env: { ...env, SNILS_PEPPER: testSecrets.SNILS_PEPPER } })
  t.equal(explicit.warnings.length, 2, 'a set variable wins over the generated one')
  t.same(explicit.config.secrets.snilsPepper.reveal(), Buffer.from(testSecrets.SNILS_PEPPER, 'base64'))
})
