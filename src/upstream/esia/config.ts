/*
 * ESIA's configuration (a region's `stateServices.provider` with `type: "esia"`): the schema, the checks
 * it cannot express, and the settings the connector is built with (README.md in this folder says what
 * each key means at ESIA).
 * - the portal URL is http(s) (https in production) and ends with /; the issuer defaults to
 *   http://<portal host>/, as ESIA's tokens carry it
 * - the system's certificate comes from exactly one of certificateFile, certificateEnv; ESIA's
 *   certificates from exactly one of esiaCertificateFiles, esiaCertificatesEnv (a PEM bundle); each must
 *   parse as an X.509 certificate; files are read relative to the configuration directory
 * - the openssl-gost signer needs an unencrypted PKCS#8 private key, the http signer a URL; a key of the
 *   other signer is a mistake
 * - the scopes include `openid`
 */
import { X509Certificate } from 'node:crypto'
import Type from 'typebox'
import { checkHttpUrl, readConfiguredFile, readSecretEnv } from '../../config/checks.js'
import type { ProviderCheckContext, ProviderSettings } from '../../config/provider-kind.js'
import type { KeyProblem } from '../../config/problems.js'
import { closed, EnvName, FilePath } from '../../config/schema.js'
import { Secret } from '../../config/secret.js'

/**
 * The real State Services login (ESIA): signed requests, GOST-signed tokens checked with ESIA's
 * certificates, the person resource. Keys and certificates come from files or environment variables.
 */
export const EsiaProviderSchema = Type.Object(
  {
    type: Type.Literal('esia'),
    /** The portal base: https://esia-portal1.test.gosuslugi.ru/ (test) or https://esia.gosuslugi.ru/ (production). */
    portalUrl: Type.String({ minLength: 1 }),
    /** ESIA's `iss`, exactly as its tokens carry it; default: http://<portal host>/ */
    issuer: Type.Optional(Type.String({ minLength: 1 })),
    /** The system's mnemonic, registered at ESIA. */
    clientId: Type.String({ minLength: 1 }),
    scopes: Type.Array(Type.String({ pattern: '^[a-z_]+(\\?.*)?$' }), {
      minItems: 1,
      default: ['openid', 'fullname', 'birthdate', 'snils'],
    }),
    /** The system's certificate (PEM), registered at ESIA: its hash goes with every request. */
    certificateFile: Type.Optional(FilePath),
    certificateEnv: Type.Optional(EnvName),
    signer: Type.Object(
      {
        type: Type.Enum(['openssl-gost', 'http']),
        /** openssl-gost: the system's GOST private key (PEM, PKCS#8, unencrypted). */
        privateKeyFile: Type.Optional(FilePath),
        privateKeyEnv: Type.Optional(EnvName),
        /** http: the signing service; POST the bytes, get the raw signature. */
        url: Type.Optional(Type.String({ minLength: 1 })),
        authorizationEnv: Type.Optional(EnvName),
        /** http: the service answers the signature in CryptoPro's (reversed) byte order. */
        reversed: Type.Boolean({ default: false }),
        timeoutMs: Type.Integer({ minimum: 100, maximum: 30_000, default: 3000 }),
      },
      closed,
    ),
    /** ESIA's token-signing certificates (PEM files, or one variable with PEM certificates one after another); several during a rotation. */
    esiaCertificateFiles: Type.Optional(Type.Array(FilePath, { minItems: 1 })),
    esiaCertificatesEnv: Type.Optional(EnvName),
    tokenSigningAlg: Type.Enum(['GOST3410_2012_256', 'RS256'], { default: 'GOST3410_2012_256' }),
    timeoutMs: Type.Integer({ minimum: 500, maximum: 60_000, default: 5000 }),
    clockToleranceSeconds: Type.Integer({ minimum: 0, maximum: 300, default: 60 }),
  },
  closed,
)

export type EsiaProviderFile = Type.Static<typeof EsiaProviderSchema>

export type EsiaSignerConfig =
  | { type: 'openssl-gost'; privateKey: Secret<string> }
  | { type: 'http'; url: string; authorization?: Secret<string>; reversed: boolean; timeoutMs: number }

export type EsiaProviderConfig = Omit<
  EsiaProviderFile,
  'issuer' | 'certificateFile' | 'certificateEnv' | 'signer' | 'esiaCertificateFiles' | 'esiaCertificatesEnv'
> & {
  issuer: string
  /** The system's certificate, PEM. */
  certificatePem: string
  signer: EsiaSignerConfig
  /** ESIA's token-signing certificates, PEM. */
  esiaCertificatePems: string[]
}

/** Whether a region's provider is an ESIA one (the loader gives `type: "esia"` only to what checkEsiaProvider made). */
export function isEsiaProvider(provider: ProviderSettings | undefined): provider is EsiaProviderConfig {
  return provider?.type === 'esia'
}

/** PEM text from exactly one of `<name>File` or `<name>Env`. */
function pemFrom(
  source: { file?: string; env?: string },
  name: string,
  base: string,
  context: ProviderCheckContext,
  problems: KeyProblem[],
): string | undefined {
  if ((source.file === undefined) === (source.env === undefined)) {
    problems.push({ path: `${base}/${name}File`, message: `give exactly one of ${name}File or ${name}Env` })
    return undefined
  }
  return source.file !== undefined
    ? readConfiguredFile(context.configDir, source.file, `${base}/${name}File`, problems)
    : readSecretEnv(context.env, source.env as string, `${base}/${name}Env`, problems)?.reveal()
}

function checkCertificate(pem: string | undefined, path: string, problems: KeyProblem[]): string | undefined {
  if (pem === undefined) return undefined
  try {
    new X509Certificate(pem)
    return pem
  } catch {
    problems.push({ path, message: 'is not a PEM certificate' })
    return undefined
  }
}

function checkEsiaSigner(
  signer: EsiaProviderFile['signer'],
  context: ProviderCheckContext,
  problems: KeyProblem[],
): EsiaSignerConfig | undefined {
  const base = '/signer'
  const unexpected = (keys: (keyof typeof signer)[]) =>
    keys
      .filter((key) => signer[key] !== undefined)
      .forEach((key) => problems.push({ path: `${base}/${key}`, message: `is not used by the ${signer.type} signer` }))
  if (signer.type === 'openssl-gost') {
    unexpected(['url', 'authorizationEnv'])
    const pem = pemFrom(
      { file: signer.privateKeyFile, env: signer.privateKeyEnv },
      'privateKey',
      base,
      context,
      problems,
    )
    if (pem !== undefined && !pem.includes('-----BEGIN PRIVATE KEY-----')) {
      problems.push({
        path: `${base}/privateKey${signer.privateKeyFile === undefined ? 'Env' : 'File'}`,
        message: 'is not an unencrypted PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)',
      })
      return undefined
    }
    return pem === undefined ? undefined : { type: 'openssl-gost', privateKey: new Secret(pem) }
  }
  unexpected(['privateKeyFile', 'privateKeyEnv'])
  if (signer.url === undefined) {
    problems.push({ path: `${base}/url`, message: 'is required for the http signer' })
    return undefined
  }
  const urlProblem = checkHttpUrl(signer.url, context)
  if (urlProblem) problems.push({ path: `${base}/url`, message: urlProblem })
  const authorization =
    signer.authorizationEnv === undefined
      ? undefined
      : readSecretEnv(context.env, signer.authorizationEnv, `${base}/authorizationEnv`, problems)
  return { type: 'http', url: signer.url, authorization, reversed: signer.reversed, timeoutMs: signer.timeoutMs }
}

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** ESIA's certificates: each file, or every certificate of the variable's PEM bundle. */
function esiaCertificates(
  provider: EsiaProviderFile,
  context: ProviderCheckContext,
  problems: KeyProblem[],
): (string | undefined)[] {
  const { esiaCertificateFiles: files, esiaCertificatesEnv: env } = provider
  if ((files === undefined) === (env === undefined)) {
    problems.push({
      path: '/esiaCertificateFiles',
      message: 'give exactly one of esiaCertificateFiles or esiaCertificatesEnv',
    })
    return []
  }
  if (env !== undefined) {
    const path = '/esiaCertificatesEnv'
    const bundle = readSecretEnv(context.env, env, path, problems)?.reveal()
    if (bundle === undefined) return [undefined]
    const pems = bundle.match(pemCertificate) ?? []
    if (pems.length === 0) problems.push({ path, message: 'holds no PEM certificate' })
    return pems.map((pem) => checkCertificate(pem, path, problems))
  }
  return (files ?? []).map((file, index) => {
    const path = `/esiaCertificateFiles/${index}`
    return checkCertificate(readConfiguredFile(context.configDir, file, path, problems), path, problems)
  })
}

/** The rules of the header; undefined when a key, a certificate or the signer cannot be used. */
export function checkEsiaProvider(
  provider: EsiaProviderFile,
  context: ProviderCheckContext,
  problems: KeyProblem[],
): EsiaProviderConfig | undefined {
  const portalProblem =
    checkHttpUrl(provider.portalUrl, context) ?? (provider.portalUrl.endsWith('/') ? undefined : 'must end with /')
  if (portalProblem) problems.push({ path: '/portalUrl', message: portalProblem })
  if (!provider.scopes.includes('openid')) problems.push({ path: '/scopes', message: 'must include "openid"' })
  const certificatePem = checkCertificate(
    pemFrom({ file: provider.certificateFile, env: provider.certificateEnv }, 'certificate', '', context, problems),
    `/certificate${provider.certificateFile === undefined ? 'Env' : 'File'}`,
    problems,
  )
  const esiaCertificatePems = esiaCertificates(provider, context, problems)
  const signerConfig = checkEsiaSigner(provider.signer, context, problems)
  if (
    portalProblem !== undefined ||
    certificatePem === undefined ||
    signerConfig === undefined ||
    esiaCertificatePems.length === 0 ||
    esiaCertificatePems.some((pem) => pem === undefined)
  )
    return undefined
  return {
    type: 'esia',
    portalUrl: provider.portalUrl,
    clientId: provider.clientId,
    scopes: provider.scopes,
    tokenSigningAlg: provider.tokenSigningAlg,
    timeoutMs: provider.timeoutMs,
    clockToleranceSeconds: provider.clockToleranceSeconds,
    issuer: provider.issuer ?? `http://${new URL(provider.portalUrl).host}/`,
    certificatePem,
    signer: signerConfig,
    esiaCertificatePems: esiaCertificatePems as string[],
  }
}
