/*
 * Fastify plugins for diary services.
 * bridgeAuth: every route registered in the same scope requires a valid bridge access token
 * (`Authorization: Bearer …`). The claims are on `request.bridgeToken`; a missing or invalid token answers
 * 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3), a token whose sign-in is too
 * weak or too old for `requireAcr` / `maxAge` 401 with error="insufficient_user_authentication" and the
 * acr_values / max_age to ask the bridge for (RFC 9470 §3), and a token without a required scope 403
 * with error="insufficient_scope".
 * backchannelLogout: the client's back-channel logout URI (OpenID Connect Back-Channel Logout 1.0 §2.5,
 * §2.8): a form POST of `logout_token`; a valid one calls `onLogout` and answers 200, anything else 400
 * `{ error: 'invalid_request' }`; always `Cache-Control: no-store`.
 */
import type { FastifyPluginAsync } from 'fastify'
import { type AuthenticationRequirement, checkAuthentication } from './acr.js'
import { bearerChallenge, TokenVerificationError } from './errors.js'
import { createVerifier, type VerifierOptions } from './access-token.js'
import type { AccessTokenClaims, Verifier } from './types.js'
import { createLogoutTokenVerifier, type LogoutTokenVerifierOptions } from './logout-token.js'

declare module 'fastify' {
  interface FastifyRequest {
    bridgeToken?: AccessTokenClaims
  }
}

export type BridgeAuthOptions = (
  VerifierOptions | ({ verifier: Verifier; now?: () => Date } & AuthenticationRequirement)
) & {
  /** Scopes every request must carry. */
  requiredScopes?: string[]
}

function bearer(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(header)?.[1]
}

const plugin: FastifyPluginAsync<BridgeAuthOptions> = async (app, options) => {
  const verifier = 'verifier' in options ? options.verifier : createVerifier(options)
  if (!('verifier' in options)) app.addHook('onClose', async () => verifier.close())
  app.decorateRequest('bridgeToken', undefined)
  app.addHook('onRequest', async (request, reply) => {
    try {
      const claims = await verifier.verify(bearer(request.headers.authorization))
      // A shared verifier: this scope's own requirement (with verifier options, createVerifier checked it already).
      if ('verifier' in options)
        checkAuthentication(claims, options, Math.floor((options.now?.() ?? new Date()).getTime() / 1000))
      request.bridgeToken = claims
    } catch (error) {
      const challenge = bearerChallenge(error)
      return reply
        .code(challenge.status)
        .header('www-authenticate', challenge.wwwAuthenticate)
        .send({
          error: challenge.error,
          error_description: error instanceof TokenVerificationError ? error.code : 'jwks_unavailable',
        })
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

export type BackchannelLogoutOptions = LogoutTokenVerifierOptions & {
  /** Ends this service's sessions: those whose ID token carried `sid`, or every one of `sub` without a sid. */
  onLogout: (logout: { sub?: string; sid?: string }) => unknown
  /** Default `/backchannel-logout`. */
  path?: string
}

const formType = 'application/x-www-form-urlencoded'

/** Registers its route in its own scope: its form parser (when the app has none) stays there. */
export const backchannelLogout: FastifyPluginAsync<BackchannelLogoutOptions> = async (app, options) => {
  const logoutTokens = createLogoutTokenVerifier(options)
  if (!app.hasContentTypeParser(formType)) {
    app.addContentTypeParser(formType, { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))))
    })
  }
  const schema = {
    body: {
      type: 'object',
      required: ['logout_token'],
      properties: { logout_token: { type: 'string', minLength: 1, maxLength: 8192 } },
    },
  }
  app.post<{ Body: { logout_token: string } }>(
    options.path ?? '/backchannel-logout',
    { schema, attachValidation: true },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      if (request.validationError)
        return reply.code(400).send({ error: 'invalid_request', error_description: 'token_missing' })
      try {
        const { sub, sid } = await logoutTokens.verify(request.body.logout_token)
        await options.onLogout({ sub, sid })
      } catch (error) {
        // §2.8: an invalid token, and a logout that failed, are both 400.
        if (!(error instanceof TokenVerificationError)) request.log.error({ err: error }, 'back-channel logout failed')
        return reply.code(400).send({
          error: 'invalid_request',
          error_description: error instanceof TokenVerificationError ? error.code : 'logout_failed',
        })
      }
      return reply.code(200).send()
    },
  )
}
