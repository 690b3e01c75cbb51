/*
 * GET /.well-known/openid-configuration: what the bridge supports, and nothing it does not.
 * GET /.well-known/jwks.json: the published public keys (public members only), cacheable for
 * `tokens.jwksMaxAgeSeconds`, which key rotation waits out before a new key signs.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { JWK } from 'jose'
import type { RouteContext } from '../context.js'
import { acrUri } from '../tokens/acr.js'

const publicMembers = ({ kty, crv, x, y, n, e, kid, alg, use }: JWK) => ({ kty, crv, x, y, n, e, kid, alg, use })

export const discoveryRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  const issuer = context.config.publicUrl
  const clientAuthMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']

  // Both documents are served as prepared JSON text, rebuilt only when the keys or the clients change.
  const documents = new WeakMap<object, { clients: unknown; discovery: string; jwks: string }>()
  let recent: { at: number; value: { clients: unknown; discovery: string; jwks: string } } | undefined
  async function prepared() {
    // Rechecked at most once a second: the published keys change only at rotation boundaries.
    const now = context.now().getTime()
    if (recent !== undefined && Math.abs(now - recent.at) < 1000 && recent.value.clients === context.config.clients)
      return recent.value
    const value = await build()
    recent = { at: now, value }
    return value
  }
  async function build() {
    const jwks = await context.keys.jwks()
    const cached = documents.get(jwks)
    if (cached !== undefined && cached.clients === context.config.clients) return cached
    const fresh = {
      clients: context.config.clients,
      discovery: JSON.stringify(discoveryDocument(jwks.keys)),
      jwks: JSON.stringify({ keys: jwks.keys.map(publicMembers) }),
    }
    documents.set(jwks, fresh)
    return fresh
  }

  app.get('/.well-known/openid-configuration', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=3600').type('application/json; charset=utf-8')
    return (await prepared()).discovery
  })

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    reply
      .header('cache-control', `public, max-age=${context.config.bridge.tokens.jwksMaxAgeSeconds}`)
      .type('application/json; charset=utf-8')
    return (await prepared()).jwks
  })

  function discoveryDocument(keys: JWK[]) {
    const scopes = new Set(['openid', 'profile', 'offline_access'])
    for (const client of context.config.clients.values()) for (const scope of client.scopes) scopes.add(scope)
    const algorithms = [
      ...new Set([context.config.bridge.tokens.signingAlgorithm, ...keys.map((key) => String(key.alg))]),
    ]
    return {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      introspection_endpoint: `${issuer}/introspect`,
      revocation_endpoint: `${issuer}/revoke`,
      end_session_endpoint: `${issuer}/logout`,
      scopes_supported: [...scopes],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: algorithms,
      userinfo_signing_alg_values_supported: [],
      token_endpoint_auth_methods_supported: clientAuthMethods,
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      introspection_endpoint_auth_methods_supported: clientAuthMethods,
      revocation_endpoint_auth_methods_supported: clientAuthMethods,
      code_challenge_methods_supported: ['S256'],
      acr_values_supported: [acrUri('mfa'), acrUri('password')],
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'acr',
        'amr',
        'sid',
        'region',
        'role',
        'family_name',
        'given_name',
        'middle_name',
      ],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      authorization_response_iss_parameter_supported: true,
      ui_locales_supported: ['ru', 'en'],
      frontchannel_logout_supported: false,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      // Not registered metadata: the list of revoked sessions and tokens (oauth/revocations.routes.ts).
      revocations_endpoint: `${issuer}/revocations`,
    }
  }
}
