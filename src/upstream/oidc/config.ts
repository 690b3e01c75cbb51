/*
 * A standard OpenID Connect provider's configuration (a region's `stateServices.provider` with
 * `type: "oidc"`, the default): the schema, the checks it cannot express, and the settings the
 * connector is built with.
 * - the issuer is an absolute http(s) URL without a fragment; plain http only on loopback in production
 * - the scopes include `openid` (OpenID Connect Core 1.0 §3.1.2.1)
 * - private_key_jwt needs `privateKeyEnv`; the other methods need `clientSecretEnv`; the variable is set
 */
import Type from 'typebox'
import { checkHttpUrl, readSecretEnv } from '../../config/checks.js'
import type { ProviderCheckContext } from '../../config/provider-kind.js'
import type { KeyProblem } from '../../config/problems.js'
import { closed, EnvName } from '../../config/schema.js'
import type { Secret } from '../../config/secret.js'

const ClaimName = Type.String({ minLength: 1, description: 'claim name; a dot descends into nested objects' })

/** A standard OpenID Connect provider (mos.ru, test set-ups): discovery, JWKS, userinfo. */
export const OidcProviderSchema = Type.Object(
  {
    type: Type.Literal('oidc', { default: 'oidc' }),
    issuer: Type.String({ minLength: 1 }),
    clientId: Type.String({ minLength: 1 }),
    tokenEndpointAuthMethod: Type.Enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'], {
      default: 'client_secret_basic',
    }),
    clientSecretEnv: Type.Optional(EnvName),
    privateKeyEnv: Type.Optional(EnvName),
    scopes: Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), {
      minItems: 1,
      default: ['openid'],
    }),
    claims: Type.Object(
      {
        familyName: Type.Optional(ClaimName),
        givenName: Type.Optional(ClaimName),
        patronymic: Type.Optional(ClaimName),
        birthDate: Type.Optional(ClaimName),
        snils: Type.Optional(ClaimName),
        verified: Type.Optional(ClaimName),
      },
      { ...closed, default: {} },
    ),
    idTokenSigningAlg: Type.Enum(['RS256', 'PS256', 'ES256', 'EdDSA'], { default: 'RS256' }),
    timeoutMs: Type.Integer({ minimum: 500, maximum: 60_000, default: 5000 }),
    jwksRefetchCooldownSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  },
  closed,
)

export type OidcProviderFile = Type.Static<typeof OidcProviderSchema>

/** The provider with its client secret or private key read from the environment. */
export type OidcProviderConfig = OidcProviderFile & { clientSecret?: Secret<string>; privateKey?: Secret<string> }

/** The rules of the header; the settings even with problems (the loader throws them all together). */
export function checkOidcProvider(
  provider: OidcProviderFile,
  context: ProviderCheckContext,
  problems: KeyProblem[],
): OidcProviderConfig {
  const issuerProblem = checkHttpUrl(provider.issuer, context)
  if (issuerProblem) problems.push({ path: '/issuer', message: issuerProblem })
  if (!provider.scopes.includes('openid')) problems.push({ path: '/scopes', message: 'must include "openid"' })
  if (provider.tokenEndpointAuthMethod === 'private_key_jwt') {
    if (provider.privateKeyEnv === undefined) {
      problems.push({ path: '/privateKeyEnv', message: 'is required for private_key_jwt' })
      return provider
    }
    return { ...provider, privateKey: readSecretEnv(context.env, provider.privateKeyEnv, '/privateKeyEnv', problems) }
  }
  if (provider.clientSecretEnv === undefined) {
    problems.push({ path: '/clientSecretEnv', message: `is required for ${provider.tokenEndpointAuthMethod}` })
    return provider
  }
  return {
    ...provider,
    clientSecret: readSecretEnv(context.env, provider.clientSecretEnv, '/clientSecretEnv', problems),
  }
}
