/*
 * Connector for a standard OpenID Connect provider (openid-client v6 for the protocol, jose for the
 * ID token signature). What it guarantees, per OIDC Core §3.1 and RFC 9700 / RFC 9207:
 * - every authorization request carries PKCE S256, state and nonce
 * - the callback checks state (first: another login's callback is ERR_LOGIN_EXPIRED), the `iss` response parameter, the code exchange with the PKCE verifier,
 *   the ID token's issuer, audience, expiry, issued-at (not in the future, at most 10 minutes old),
 *   nonce and signature with an algorithm
 *   allow-list of one (`idTokenSigningAlg`: never `none`, never HMAC with a public key)
 * - userinfo is always fetched and its `sub` must equal the ID token's
 * - discovery metadata is cached for an hour and refreshed lazily; a failed refresh keeps the old one;
 *   a failed first discovery is not retried for 5 s (a down provider is not hammered)
 * - the provider's JWKS is cached; an unknown `kid` refetches it at most once per cooldown, so a key
 *   rotation is picked up and a flood of unknown `kid`s is not passed on to the provider
 * - every HTTP call is bounded by the provider's `timeoutMs`
 */
import { createPrivateKey } from 'node:crypto'
import { createRemoteJWKSet, customFetch as joseCustomFetch, importPKCS8, jwtVerify, type JWTVerifyGetKey } from 'jose'
import * as client from 'openid-client'
import type { OidcProviderConfig } from './config.js'
import { BridgeError } from '../../errors.js'
import { type Connector, type ConnectorContext, requireCallbackState, stateField } from '../connector.js'
import { toUpstreamError } from './errors.js'
import { identityFromClaims } from './claims.js'

interface Discovered {
  configuration: client.Configuration
  jwks: JWTVerifyGetKey
  jwksUri: string
  fetchedAt: number
}

const FAILED_DISCOVERY_BACKOFF_MS = 5000

async function clientAuthentication(provider: OidcProviderConfig): Promise<client.ClientAuth> {
  switch (provider.tokenEndpointAuthMethod) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(provider.clientSecret?.reveal())
    case 'client_secret_post':
      return client.ClientSecretPost(provider.clientSecret?.reveal())
    case 'private_key_jwt': {
      const pem = provider.privateKey?.reveal() ?? ''
      const type = createPrivateKey(pem).asymmetricKeyType
      const alg = type === 'rsa' ? 'RS256' : type === 'ec' ? 'ES256' : 'EdDSA'
      return client.PrivateKeyJwt(await importPKCS8(pem, alg))
    }
  }
}

export function createOidcConnector(
  provider: OidcProviderConfig,
  options: ConnectorContext & { metadataTtlMs?: number },
): Connector {
  const now = options.now ?? Date.now
  const metadataTtlMs = options.metadataTtlMs ?? 3600_000
  const fetchImpl = options.fetch ?? fetch
  let current: Discovered | undefined
  let pending: Promise<Discovered> | undefined
  let failedAt = Number.NEGATIVE_INFINITY

  async function discover(): Promise<Discovered> {
    const configuration = await client.discovery(
      new URL(provider.issuer),
      provider.clientId,
      { id_token_signed_response_alg: provider.idTokenSigningAlg },
      await clientAuthentication(provider),
      {
        timeout: Math.ceil(provider.timeoutMs / 1000),
        [client.customFetch]: fetchImpl,
        // Plain http only where the configuration allowed it (outside production, or on loopback).
        execute: new URL(provider.issuer).protocol === 'http:' ? [client.allowInsecureRequests] : [],
      },
    )
    const jwksUri = configuration.serverMetadata().jwks_uri
    if (jwksUri === undefined) throw new Error('the provider publishes no jwks_uri')
    const jwks =
      current?.jwksUri === jwksUri
        ? current.jwks
        : createRemoteJWKSet(new URL(jwksUri), {
            timeoutDuration: provider.timeoutMs,
            cooldownDuration: provider.jwksRefetchCooldownSeconds * 1000,
            cacheMaxAge: 600_000,
            [joseCustomFetch]: fetchImpl,
          })
    return { configuration, jwks, jwksUri, fetchedAt: now() }
  }

  function discovered(): Promise<Discovered> {
    if (current !== undefined && now() - current.fetchedAt < metadataTtlMs) return Promise.resolve(current)
    if (current === undefined && now() - failedAt < FAILED_DISCOVERY_BACKOFF_MS) {
      return Promise.reject(
        new BridgeError('ERR_UPSTREAM_UNAVAILABLE', 'state-services provider: discovery failed recently'),
      )
    }
    pending ??= discover()
      .then(
        (fresh) => (current = fresh),
        (error: unknown) => {
          failedAt = now()
          if (current !== undefined) return current
          throw toUpstreamError(error, 'discovery')
        },
      )
      .finally(() => (pending = undefined))
    return pending
  }

  return {
    issuer: provider.issuer,

    async startLogin(startOptions) {
      const { configuration } = await discovered()
      const state = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
      }
      const parameters: Record<string, string> = {
        response_type: 'code',
        redirect_uri: options.redirectUri,
        scope: provider.scopes.join(' '),
        state: state.state,
        nonce: state.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(state.codeVerifier),
        code_challenge_method: 'S256',
      }
      if (startOptions?.locale) parameters.ui_locales = startOptions.locale
      return { url: client.buildAuthorizationUrl(configuration, parameters), state }
    },

    async endSessionUrl(postLogoutRedirectUri) {
      const { configuration } = await discovered()
      if (configuration.serverMetadata().end_session_endpoint === undefined) return undefined
      return client.buildEndSessionUrl(configuration, {
        post_logout_redirect_uri: postLogoutRedirectUri,
        client_id: provider.clientId,
      })
    },

    async finishLogin(callbackUrl, state) {
      const expected = {
        codeVerifier: stateField(state, 'codeVerifier'),
        state: stateField(state, 'state'),
        nonce: stateField(state, 'nonce'),
      }
      // Before openid-client, which checks `iss` first: a callback of another login is refused as such.
      requireCallbackState(callbackUrl, expected.state)
      const { configuration, jwks } = await discovered()
      let step = 'the authorization response'
      try {
        const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
          pkceCodeVerifier: expected.codeVerifier,
          expectedState: expected.state,
          expectedNonce: expected.nonce,
          idTokenExpected: true,
        })
        step = 'the ID token signature'
        const { payload } = await jwtVerify(tokens.id_token as string, jwks, {
          algorithms: [provider.idTokenSigningAlg],
          issuer: configuration.serverMetadata().issuer,
          audience: provider.clientId,
          requiredClaims: ['sub', 'iat', 'exp'],
          // Also refuses an `iat` in the future, which neither library checks otherwise.
          maxTokenAge: 600,
          clockTolerance: 30,
        })
        step = 'userinfo'
        const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, payload.sub as string)
        const today = new Date(now()).toISOString().slice(0, 10)
        return identityFromClaims(
          provider.issuer,
          provider.claims,
          { ...payload, sub: payload.sub as string },
          userinfo,
          today,
        )
      } catch (error) {
        throw toUpstreamError(error, step)
      }
    },
  }
}
