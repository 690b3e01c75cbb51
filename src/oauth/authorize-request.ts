/*
 * Validating an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636, RFC 9700) (pure).
 * - the client must be known and the redirect_uri one of its registered URIs, compared as exact strings
 *   (no prefix, case or trailing-slash tolerance); until both hold, errors are shown as a page, never
 *   sent to an unverified redirect URI
 * - then errors go back to the redirect URI: the client's grantTypes must list authorization_code;
 *   response_type must be "code"; scope must contain openid
 *   and only scopes the client may ask for; PKCE with S256 is required of every client; request objects
 *   are not supported; a parameter given twice is invalid
 * - `max_age` is a whole number of seconds, 0 or more (else invalid_request); `acr_values` keeps the
 *   levels of ours it names (tokens/acr.ts), unknown values are ignored (acr is a voluntary claim, OIDC
 *   Core §3.1.2.1); acr asked as an essential claim through `claims` is not supported (nor is `claims`)
 */
import type { ClientConfig } from '../config/load.js'
import { BridgeError } from '../errors.js'
import { type AcrLevel, parseAcrValues } from '../tokens/acr.js'

export interface AuthorizationRequest {
  clientId: string
  redirectUri: string
  scope: string
  state?: string
  nonce?: string
  codeChallenge: string
  prompt?: string
  maxAge?: number
  /** The levels asked by `acr_values`, in order of preference (levels, not URNs: the login cookie stays small). */
  acrValues?: AcrLevel[]
  region?: string
  uiLocales?: string
}

export type AuthorizeValidation =
  | { ok: true; request: AuthorizationRequest }
  | { ok: false; redirectUri: string; state?: string; error: string; description: string }

const challengeFormat = /^[A-Za-z0-9_-]{43}$/

export function validateAuthorizationRequest(
  query: Record<string, unknown>,
  clients: ReadonlyMap<string, ClientConfig>,
  regionCodes: ReadonlySet<string>,
): AuthorizeValidation {
  const repeated = Object.entries(query).find(([, value]) => Array.isArray(value))
  const param = (name: string): string | undefined => {
    const value = query[name]
    return typeof value === 'string' && value !== '' ? value : undefined
  }
  const clientId = param('client_id')
  const client = clientId === undefined ? undefined : clients.get(clientId)
  if (client === undefined) throw new BridgeError('ERR_CLIENT_UNKNOWN', 'unknown client_id')
  const redirectUri = param('redirect_uri')
  if (redirectUri === undefined || !client.redirectUris.includes(redirectUri) || Array.isArray(query.redirect_uri)) {
    throw new BridgeError('ERR_REDIRECT_URI_MISMATCH', 'redirect_uri is not registered for this client')
  }
  const state = param('state')
  const fail = (error: string, description: string): AuthorizeValidation => ({
    ok: false,
    redirectUri,
    state,
    error,
    description,
  })

  if (repeated !== undefined) return fail('invalid_request', `parameter ${repeated[0]} is given more than once`)
  if (param('request') !== undefined || param('request_uri') !== undefined) {
    return fail(
      param('request') ? 'request_not_supported' : 'request_uri_not_supported',
      'request objects are not supported',
    )
  }
  if (!client.grantTypes.includes('authorization_code')) {
    return fail('unauthorized_client', 'this client may not use the authorization code flow')
  }
  if (param('response_type') !== 'code')
    return fail('unsupported_response_type', 'only response_type=code is supported')
  if (param('response_mode') !== undefined && param('response_mode') !== 'query') {
    return fail('invalid_request', 'only response_mode=query is supported')
  }
  const scopes = (param('scope') ?? '').split(' ').filter(Boolean)
  if (!scopes.includes('openid')) return fail('invalid_scope', 'scope must include openid')
  const refused = scopes.filter((scope) => !client.scopes.includes(scope))
  if (refused.length > 0) return fail('invalid_scope', `this client may not ask for: ${refused.join(' ')}`)
  const codeChallenge = param('code_challenge')
  if (codeChallenge === undefined)
    return fail('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256')
  if (param('code_challenge_method') !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256')
  if (!challengeFormat.test(codeChallenge))
    return fail('invalid_request', 'code_challenge must be a base64url SHA-256 value')
  const prompt = param('prompt')
  if (prompt !== undefined && !['none', 'login', 'consent', 'select_account'].includes(prompt)) {
    return fail('invalid_request', 'unsupported prompt value')
  }
  const maxAgeText = param('max_age')
  if (maxAgeText !== undefined && !/^\d{1,10}$/.test(maxAgeText))
    return fail('invalid_request', 'max_age must be a whole number of seconds')
  const acrValues = parseAcrValues(param('acr_values'))
  const region = param('region') ?? (client.regions.length === 1 ? client.regions[0] : undefined)
  if (region !== undefined && (!regionCodes.has(region) || !client.regions.includes(region))) {
    return fail('invalid_request', 'this client does not serve that region')
  }
  return {
    ok: true,
    request: {
      clientId: client.clientId,
      redirectUri,
      scope: scopes.join(' '),
      state,
      nonce: param('nonce'),
      codeChallenge,
      prompt,
      maxAge: maxAgeText === undefined ? undefined : Number(maxAgeText),
      ...(acrValues.length > 0 ? { acrValues } : {}),
      region,
      uiLocales: param('ui_locales'),
    },
  }
}

/** The client's redirect URI with the response parameters added (RFC 9207: always `iss`). */
export function redirectWith(redirectUri: string, parameters: Record<string, string | undefined>): string {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined) url.searchParams.set(name, value)
  return url.href
}
