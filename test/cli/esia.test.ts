/*
 * `esia check-signer`: what an operator runs before registering the system at ESIA. Real GOST keys,
 * a signing service over real HTTP, the configuration through the real loader; no database is needed.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { runCli } from '../../src/cli/run-cli.js'
import { ConfigError, formatProblem } from '../../src/config/problems.js'
import { runGostOpenssl } from '../../demo/gost-keys.js'
import { certificateHash } from '../../src/upstream/esia/gost.js'
import { esiaKeys } from '../helpers/esia-world.js'
import { engineGost, javascriptGost, needsEngineCli } from '../helpers/gost-world.js'
import {
  passwordOnlyRegion,
  validClient,
  validEnv,
  validFiles,
  validRegion,
  writeConfigDir,
} from '../helpers/test-config.js'

const keys = esiaKeys(t.testdir())
const systemKey = javascriptGost.privateKey(keys.system.privateKeyPem)
/** The first line of check-signer: the GOST implementation of this machine (bridge.json says "auto"). */
const gostLine =
  engineGost === undefined
    ? /^GOST R 34\.10\/34\.11-2012 for ESIA: JavaScript \(node-gost-crypto\), because OpenSSL's GOST engine cannot be loaded/
    : /^GOST R 34\.10\/34\.11-2012 for ESIA: OpenSSL's GOST engine$/

/** A signing service in the CryptoPro DSS style: /cryptopro answers in CryptoPro's (reversed) byte order, /openssl in OpenSSL's. */
const service = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const signature = systemKey.sign(Buffer.concat(chunks))
    response
      .writeHead(200, { 'content-type': 'application/octet-stream' })
      .end(request.url === '/cryptopro' ? Buffer.from(signature).reverse() : signature)
  })
})
await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise((resolve) => service.close(resolve)))
const serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`

function esiaRegion(signer: Record<string, unknown>) {
  return {
    name: { ru: 'Архангельская область', en: 'Arkhangelsk Oblast' },
    stateServices: {
      enabled: true,
      provider: {
        type: 'esia',
        portalUrl: 'https://esia-portal1.test.gosuslugi.ru/',
        clientId: 'DIARY29',
        certificateFile: join(keys.dir, 'system.cert.pem'),
        signer,
        esiaCertificateFiles: [join(keys.dir, 'esia.cert.pem')],
      },
    },
  }
}

const dir = writeConfigDir(t, {
  ...validFiles,
  'regions/29.json': esiaRegion({ type: 'openssl-gost', privateKeyFile: join(keys.dir, 'system.key.pem') }),
  'regions/30.json': esiaRegion({ type: 'openssl-gost', privateKeyFile: join(keys.dir, 'stranger.key.pem') }),
  'regions/31.json': esiaRegion({ type: 'http', url: `${serviceUrl}/cryptopro` }),
  'regions/32.json': esiaRegion({ type: 'http', url: `${serviceUrl}/openssl`, reversed: true }),
  'regions/33.json': esiaRegion({ type: 'http', url: `${serviceUrl}/cryptopro`, reversed: true }),
  'regions/34.json': esiaRegion({ type: 'http', url: 'http://127.0.0.1:9/sign', timeoutMs: 500 }),
  'regions/77.json': validRegion,
  'regions/78.json': passwordOnlyRegion,
  'clients/web-diary.json': { ...validClient, regions: ['29', '30', '31', '32', '33', '34', '77', '78'] },
})
const env = { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') }

async function cli(argv: string[]) {
  const stdout: string[] = []
  const stderr: string[] = []
  const code = await runCli(argv, {
    env,
    stdout: (line) => stdout.push(...line.split('\n')),
    stderr: (line) => stderr.push(...line.split('\n')),
  })
  return { code, stdout, stderr }
}

/** The certificate hash as the openssl CLI computes it: GOST R 34.11-2012 (256) of the DER, upper-case hex. */
function opensslCertificateHash(work: string): string {
  runGostOpenssl(work, ['x509', '-in', join(keys.dir, 'system.cert.pem'), '-outform', 'DER', '-out', 'system.der'])
  return (
    /= ([0-9a-f]{64})/.exec(runGostOpenssl(work, ['dgst', '-md_gost12_256', 'system.der']))?.[1] ?? ''
  ).toUpperCase()
}

t.test(
  'a key that belongs to the certificate: the GOST implementation, the subject, the hash to register at ESIA, exit 0',
  async (t) => {
    const run = await cli(['esia', 'check-signer', '--region', '29'])
    t.equal(run.code, 0)
    t.same(run.stderr, [])
    t.match(run.stdout[0], gostLine)
    t.match(run.stdout[1], /^certificate: CN=Diary bridge 29, valid to \w{3} +\d+ \d\d:\d\d:\d\d \d{4} GMT$/)
    t.equal(run.stdout[2], `client_certificate_hash: ${certificateHash(javascriptGost, keys.system.certificatePem)}`)
    t.equal(run.stdout[3], 'signer openssl-gost: the signature verifies with the certificate')
    t.test('the hash openssl computes', { skip: needsEngineCli }, async (t) => {
      t.equal(run.stdout[2], `client_certificate_hash: ${opensslCertificateHash(t.testdir())}`)
    })
    const service = await cli(['esia', 'check-signer', '--region', '33'])
    t.same(
      [service.code, service.stdout.slice(2), service.stderr],
      [0, [run.stdout[2], 'signer http: the signature verifies with the certificate'], []],
      'a CryptoPro service with reversed set',
    )
  },
)

t.test('every signer that would fail at ESIA: exit 1 and a line that says what to change', async (t) => {
  const cases: [region: string, why: string, stderr: string][] = [
    [
      '30',
      "a key that is not the certificate's",
      'signer openssl-gost: the ESIA private key does not belong to the system certificate (or is not a GOST R 34.10-2012 key)',
    ],
    [
      '31',
      "a service that answers in CryptoPro's order, reversed not set",
      'signer http: the signature verifies only reversed: set signer.reversed to true',
    ],
    [
      '32',
      "reversed set for a service that answers in OpenSSL's order",
      'signer http: the signature verifies only reversed: set signer.reversed to false',
    ],
  ]
  for (const [region, why, line] of cases) {
    const run = await cli(['esia', 'check-signer', '--region', region])
    t.equal(run.code, 1, why)
    t.same(run.stderr, [line], why)
    t.match(
      run.stdout,
      [gostLine, /^certificate: CN=Diary bridge 29/, /^client_certificate_hash: [0-9A-F]{64}$/],
      `${why}: the certificate is still shown`,
    )
  }
  const down = await cli(['esia', 'check-signer', '--region', '34'])
  t.equal(down.code, 1, 'a signing service that does not answer')
  t.match(down.stderr, [/^signer http: ESIA signer: the signing service did not answer \(.+\)$/])
})

t.test(
  'a region that does not log in through ESIA, an unknown one, none: exit 1 before anything is signed',
  async (t) => {
    const cases: [argv: string[], stderr: string][] = [
      [['--region', '77'], 'region 77 does not log in through ESIA (its provider type is oidc)'],
      [['--region', '78'], 'region 78 does not log in through ESIA (its provider type is not set)'],
      [['--region', '99'], 'unknown region "99"; configured: 29, 30, 31, 32, 33, 34, 77, 78'],
      [[], 'esia check-signer: --region R is required: each region has its own ESIA system and signer'],
    ]
    for (const [argv, line] of cases) {
      const run = await cli(['esia', 'check-signer', ...argv])
      t.same([run.code, run.stdout, run.stderr], [1, [], [line]], argv.join(' ') || 'no --region')
    }
  },
)

t.test('--help prints the usage and the option, and checks nothing', async (t) => {
  const run = await cli(['esia', 'check-signer', '--help'])
  t.equal(run.code, 0)
  t.equal(run.stdout[0], 'Usage: diary-bridge esia check-signer --region R')
  t.ok(
    run.stdout.some((line) => /^ {2}--region R +the region whose ESIA signer to check/.test(line)),
    'explains --region',
  )
  t.notOk(
    run.stdout.some((line) => line.startsWith('client_certificate_hash')),
    'nothing signed',
  )
  const group = await cli(['esia', '--help'])
  t.same(
    [group.code, group.stdout.filter((line) => line.startsWith('  '))],
    [0, ['  diary-bridge esia check-signer --region R']],
  )
})

t.test(
  "config check builds every connector: a key that is not its certificate's is a problem of its region file",
  async (t) => {
    await t.rejects(cli(['config', 'check']), {
      code: 'ERR_CONFIG_INVALID',
      problems: [
        {
          file: 'regions/30.json',
          path: '/stateServices/provider',
          message: /does not belong to the system certificate/,
        },
      ],
    })
  },
)

const withPortal = (region: ReturnType<typeof esiaRegion>, portalUrl: string) => ({
  ...region,
  stateServices: { ...region.stateServices, provider: { ...region.stateServices.provider, portalUrl } },
})

t.test('config check names each provider mistake by file and key, whichever protocol reads it', async (t) => {
  const broken = writeConfigDir(t, {
    ...validFiles,
    'regions/29.json': withPortal(
      esiaRegion({ type: 'openssl-gost', privateKeyFile: join(keys.dir, 'system.key.pem') }),
      'https://esia.gosuslugi.ru',
    ),
    'regions/31.json': {
      ...validRegion,
      stateServices: { enabled: true, provider: { issuer: 'https://idp.example', clientId: 'bridge-31' } },
    },
    'regions/78.json': {
      ...validRegion,
      stateServices: { enabled: true, provider: { type: 'saml', issuer: 'https://idp.example' } },
    },
  })
  const run = runCli(['config', 'check'], {
    env: { ...env, BRIDGE_CONFIG_DIR: broken },
    stdout: () => {},
    stderr: () => {},
  })
  const error: unknown = await run.catch((caught: unknown) => caught)
  if (!(error instanceof ConfigError)) throw new Error('config check did not refuse the configuration')
  t.same(
    error.problems.map((problem) => formatProblem(problem).replace(`${broken}/`, '')),
    [
      'regions/78.json: /stateServices/provider/type: must be one of "oidc", "esia"',
      'regions/29.json: /stateServices/provider/portalUrl: must end with /',
      'regions/31.json: /stateServices/provider/clientSecretEnv: is required for client_secret_basic',
    ],
    "the schema's problems first, then the checks'",
  )
})

t.test(
  'config check says which GOST implementation ESIA gets; a fallback to JavaScript is a warning, not a failure',
  async (t) => {
    const files = {
      ...validFiles,
      'regions/29.json': esiaRegion({ type: 'openssl-gost', privateKeyFile: join(keys.dir, 'system.key.pem') }),
      'clients/web-diary.json': { ...validClient, regions: ['29', '78'] },
    }
    const check = async (bridge: Record<string, unknown>) => {
      const configDir = writeConfigDir(t, {
        ...files,
        'bridge.json': { ...(validFiles['bridge.json'] as object), ...bridge },
      })
      const stdout: string[] = []
      const stderr: string[] = []
      const code = await runCli(['config', 'check'], {
        env: { ...env, BRIDGE_CONFIG_DIR: configDir },
        stdout: (line) => stdout.push(line),
        stderr: (line) => stderr.push(line),
      })
      return { code, stdout, stderr }
    }
    t.same(
      await check({ gostImplementation: 'javascript' }),
      {
        code: 0,
        stdout: [
          'configuration is valid: 2 regions, 1 client',
          'GOST R 34.10/34.11-2012 for ESIA: JavaScript (node-gost-crypto), because bridge.json says gostImplementation "javascript" (regions 29)',
        ],
        stderr: [],
      },
      'asked for: said, no warning',
    )
    const auto = await check({})
    if (engineGost === undefined) {
      t.same([auto.code, auto.stdout], [0, ['configuration is valid: 2 regions, 1 client']])
      t.match(
        auto.stderr,
        [
          /^warning: GOST R 34\.10\/34\.11-2012 for ESIA: JavaScript \(node-gost-crypto\), because OpenSSL's GOST engine cannot be loaded .* \(regions 29\); production should keep the engine/,
        ],
        'no engine here: the fallback is a warning',
      )
      await t.rejects(
        check({ gostImplementation: 'openssl-engine' }),
        {
          code: 'ERR_CONFIG_INVALID',
          problems: [{ file: 'regions/29.json', message: /OpenSSL's GOST engine cannot be loaded/ }],
        },
        '"openssl-engine" without the engine: the configuration is refused',
      )
    } else {
      t.same(
        auto,
        {
          code: 0,
          stdout: [
            'configuration is valid: 2 regions, 1 client',
            "GOST R 34.10/34.11-2012 for ESIA: OpenSSL's GOST engine (regions 29)",
          ],
          stderr: [],
        },
        'the engine here: said, no warning',
      )
      t.equal((await check({ gostImplementation: 'openssl-engine' })).code, 0)
    }
  },
)
