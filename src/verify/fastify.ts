/*
 * A Fastify plugin for diary services: every route registered in the same scope requires a valid bridge
 * access token (`Authorization: Bearer …`). The claims are on `request.bridgeToken`; a missing or invalid
 * token answers 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3), and a token
 * without a required scope 403 with error="insufficient_scope".
 */
import type { FastifyPluginAsync } from 'fastify'
import { type AccessTokenClaims, createVerifier, TokenVerificationError, type Verifier, type VerifierOptions } from './index.js'

declare module 'fastify' {
  interface FastifyRequest {
    bridgeToken?: AccessTokenClaims
  }
}

export type BridgeAuthOptions = (VerifierOptions | { verifier: Verifier }) & {
  /** Scopes every request must carry. */
  requiredScopes?: string[]
}

function bearer(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(header)?.[1]
}

const plugin: FastifyPluginAsync<BridgeAuthOptions> = async (app, options) => {
  const verifier = 'verifier' in options ? options.verifier : createVerifier(options)
  app.decorateRequest('bridgeToken', undefined)
  app.addHook('onRequest', async (request, reply) => {
    try {
      request.bridgeToken = await verifier.verify(bearer(request.headers.authorization))
    } catch (error) {
      const code = error instanceof TokenVerificationError ? error.code : 'jwks_unavailable'
      const description = code === 'token_missing' ? '' : `, error_description="${code}"`
      return reply
        .code(401)
        .header('www-authenticate', code === 'token_missing' ? 'Bearer' : `Bearer error="invalid_token"${description}`)
        .send({ error: 'invalid_token', error_description: code })
    }
    const missing = (options.requiredScopes ?? []).filter((scope) => !request.bridgeToken?.scope.includes(scope))
    if (missing.length > 0) {
      return reply
        .code(403)
        .header('www-authenticate', `Bearer error="insufficient_scope", scope="${missing.join(' ')}"`)
        .send({ error: 'insufficient_scope', error_description: missing.join(' ') })
    }
  })
}

// Like fastify-plugin: the hook applies to the scope that registers the plugin, not to a child scope.
;(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true

export const bridgeAuth = plugin
