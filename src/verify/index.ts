/*
 * What diary services import to verify the bridge's tokens offline
 * (`import { createVerifier } from 'diary-identity-bridge/verify'`): access tokens (access-token.ts),
 * logout tokens (logout-token.ts), the revocation list (revocations.ts) and the Fastify plugins (fastify.ts).
 * Imports nothing from the rest of the bridge: it is a library for other services. Only re-exports:
 * the files of verify/ import each other, never this one.
 */
export { createVerifier, type VerifierOptions } from './access-token.js'
export type { AccessTokenClaims, Verifier } from './types.js'
export {
  type AuthenticationChallenge,
  bearerChallenge,
  TokenVerificationError,
  type VerifyErrorCode,
} from './errors.js'
export { acrUris, type AuthenticationRequirement } from './acr.js'
export type { BridgeKeyOptions } from './keys.js'
export {
  backchannelLogoutEvent,
  createLogoutTokenVerifier,
  type LogoutTokenClaims,
  type LogoutTokenVerifier,
  type LogoutTokenVerifierOptions,
} from './logout-token.js'
export { RevocationListError, type RevocationListErrorCode, type RevocationOptions } from './revocations.js'
export { backchannelLogout, type BackchannelLogoutOptions, bridgeAuth, type BridgeAuthOptions } from './fastify.js'
