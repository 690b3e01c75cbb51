/*
 * Connector for the real State Services login (ESIA, Gosuslugi): OAuth 2.0 with ESIA's own rules
 * (README.md in this folder, with where public sources disagree). What it guarantees:
 * - every request to v2/ac and v3/te carries a fresh UUID `state`, a UTC `timestamp`, the system
 *   certificate's hash and a `client_secret` that is the raw GOST signature of
 *   client_id + scope + scope_org + timestamp + state + redirect_uri (+ code on v3/te), base64url;
 *   the authorization request carries PKCE S256
 * - the callback's `state` must be this login's, errors included (otherwise ERR_LOGIN_EXPIRED: the
 *   request's doing, not ESIA's); an ESIA error (`ESIA-0070xx`) then
 *   becomes a page with a next step (esia-errors.ts) and its code is logged
 * - at creation, a key that does not decode, does not belong to the system certificate (openssl-gost),
 *   or an ESIA certificate whose key does not fit `tokenSigningAlg`, throws: a configuration problem;
 *   so does `gostImplementation` "openssl-engine" without the engine (GOST: gost.ts)
 * - the token response must echo the token request's `state`; the ID token's signature must verify
 *   with one of ESIA's configured certificates (algorithm allow-list of one), its `iss`, `aud`, `exp`,
 *   `nbf` and `iat` must hold (with `clockToleranceSeconds`; at most 10 minutes old)
 * - the person comes from `rs/prns/{oid}`, fetched with the access token; verified only when the ID
 *   token says `urn:esia:sbj:is_tru` true and the person resource does not say `trusted: false`
 * - every HTTP call is bounded by `timeoutMs` and follows no redirect
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { EsiaProviderConfig } from './config.js'
import type { Connector, ConnectorContext } from '../connector.js'
import { requireCallbackState, stateField } from '../connector.js'
import { identityFrom } from '../identity.js'
import { isNetworkFailure, toUpstreamError } from '../upstream-error.js'
import { esiaError, esiaErrorFromBody } from './esia-errors.js'
import { certificateHash, chooseGost } from './gost.js'
import { esiaTokenKey, verifyEsiaToken } from './jws.js'
import { createSigner } from './signer.js'
import { esiaTimestamp } from './timestamp.js'

const maxTokenAgeSeconds = 600

class EsiaResponseError extends Error {
  override name = 'EsiaResponseError'
}

type Claims = Record<string, unknown>

function asObject(value: unknown, what: string): Claims {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new EsiaResponseError(`${what} is not a JSON object`)
  return value as Claims
}

async function readJson(response: Response, what: string): Promise<Claims> {
  let body: unknown
  try {
    body = await response.json()
  } catch (error) {
    if (isNetworkFailure(error)) throw error
    throw new EsiaResponseError(`${what} is not JSON (HTTP ${response.status})`)
  }
  return asObject(body, what)
}

/** The ID token's subject: ESIA's OID, a JSON number (a string of digits is taken too). */
function oidOf(claims: Claims): string {
  const sub = claims.sub
  const oid =
    typeof sub === 'number' && Number.isSafeInteger(sub) && sub > 0
      ? String(sub)
      : typeof sub === 'string' && /^[1-9]\d{0,18}$/.test(sub)
        ? sub
        : undefined
  if (oid === undefined) throw new EsiaResponseError('the ID token has no OID in sub')
  const subject = claims['urn:esia:sbj']
  const sbjOid = typeof subject === 'object' && subject !== null ? (subject as Claims)['urn:esia:sbj:oid'] : undefined
  if (sbjOid !== undefined && !((typeof sbjOid === 'number' || typeof sbjOid === 'string') && String(sbjOid) === oid))
    throw new EsiaResponseError('the ID token names two different OIDs')
  return oid
}

function isConfirmed(claims: Claims): boolean {
  const subject = claims['urn:esia:sbj']
  return typeof subject === 'object' && subject !== null && (subject as Claims)['urn:esia:sbj:is_tru'] === true
}

export function createEsiaConnector(provider: EsiaProviderConfig, context: ConnectorContext): Connector {
  const now = context.now ?? Date.now
  const fetchImpl = context.fetch ?? fetch
  const gost = chooseGost(context.gostImplementation).crypto
  const signer = createSigner(provider.signer, { fetch: fetchImpl, certificatePem: provider.certificatePem, gost })
  const certificateHashHex = certificateHash(gost, provider.certificatePem)
  const tokenKeys = provider.esiaCertificatePems.map((pem, index) => {
    try {
      return esiaTokenKey(pem, provider.tokenSigningAlg, gost)
    } catch (error) {
      throw new Error(
        `ESIA certificate ${index + 1} cannot verify ${provider.tokenSigningAlg} tokens: ${(error as Error).message}`,
        { cause: error },
      )
    }
  })
  const scope = provider.scopes.join(' ')
  const scopeOrg = ''
  const endpoint = (path: string) => new URL(path, provider.portalUrl)
  const timeout = () => AbortSignal.timeout(provider.timeoutMs)

  /** The signed parameters every request to v2/ac and v3/te carries. */
  async function signedParameters(code?: string) {
    const state = randomUUID()
    const timestamp = esiaTimestamp(new Date(now()))
    const message = [provider.clientId, scope, scopeOrg, timestamp, state, context.redirectUri, code ?? ''].join('')
    const signature = await signer.sign(Buffer.from(message, 'utf8'))
    return {
      client_id: provider.clientId,
      client_secret: signature.toString('base64url'),
      client_certificate_hash: certificateHashHex,
      redirect_uri: context.redirectUri,
      scope,
      state,
      timestamp,
    }
  }

  function checkIdToken(claims: Claims): void {
    const seconds = Math.floor(now() / 1000)
    const tolerance = provider.clockToleranceSeconds
    const number = (name: string) => {
      const value = claims[name]
      if (typeof value !== 'number') throw new EsiaResponseError(`the ID token has no ${name}`)
      return value
    }
    // What ESIA put in iss and aud names no person: the operator needs it to set `issuer`.
    if (claims.iss !== provider.issuer)
      throw new EsiaResponseError(
        `the ID token comes from another issuer: ${JSON.stringify(claims.iss)}, expected ${JSON.stringify(provider.issuer)}`,
      )
    const audience = claims.aud
    if (!(audience === provider.clientId || (Array.isArray(audience) && audience.includes(provider.clientId)))) {
      throw new EsiaResponseError(`the ID token is for another system: ${JSON.stringify(audience)}`)
    }
    if (number('exp') <= seconds - tolerance) throw new EsiaResponseError('the ID token has expired')
    if (claims.nbf !== undefined && number('nbf') > seconds + tolerance)
      throw new EsiaResponseError('the ID token is not valid yet')
    const iat = number('iat')
    if (iat > seconds + tolerance || iat < seconds - maxTokenAgeSeconds - tolerance)
      throw new EsiaResponseError('the ID token was not issued now')
  }

  async function exchange(code: string, codeVerifier: string): Promise<{ idToken: Claims; accessToken: string }> {
    const parameters = await signedParameters(code)
    const response = await fetchImpl(endpoint('aas/oauth2/v3/te'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        ...parameters,
        code,
        code_verifier: codeVerifier,
        grant_type: 'authorization_code',
        token_type: 'Bearer',
      }),
      // A redirect would resend the code, the verifier and the signature elsewhere.
      redirect: 'error',
      signal: timeout(),
    })
    const body = await readJson(response, 'the token response').catch((error: unknown) => {
      if (response.status >= 500) throw esiaError(undefined, 'the token request', 'no JSON body', response.status)
      throw error
    })
    if (!response.ok || body.error !== undefined) throw esiaErrorFromBody(body, 'the token request', response.status)
    if (body.state !== parameters.state)
      throw new EsiaResponseError('the token response does not echo the request state')
    if (typeof body.id_token !== 'string' || typeof body.access_token !== 'string')
      throw new EsiaResponseError('the token response has no ID token or access token')
    const idToken = verifyEsiaToken(body.id_token, provider.tokenSigningAlg, tokenKeys)
    checkIdToken(idToken)
    return { idToken, accessToken: body.access_token }
  }

  async function person(oid: string, accessToken: string): Promise<Claims> {
    const response = await fetchImpl(endpoint(`rs/prns/${oid}`), {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      redirect: 'error',
      signal: timeout(),
    })
    if (response.status >= 500) throw esiaError(undefined, 'the person request', 'ESIA failed', response.status)
    const body = await readJson(response, 'the person resource')
    if (!response.ok) throw esiaErrorFromBody(body, 'the person request', response.status)
    return body
  }

  return {
    issuer: provider.issuer,

    async startLogin() {
      try {
        const codeVerifier = randomBytes(32).toString('base64url')
        const parameters = await signedParameters()
        const url = endpoint('aas/oauth2/v2/ac')
        url.search = new URLSearchParams({
          ...parameters,
          response_type: 'code',
          access_type: 'online',
          code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
          code_challenge_method: 'S256',
        }).toString()
        return { url, state: { state: parameters.state, codeVerifier } }
      } catch (error) {
        throw toUpstreamError(error, 'signing the authorization request')
      }
    },

    async finishLogin(callbackUrl, state) {
      const expected = { state: stateField(state, 'state'), codeVerifier: stateField(state, 'codeVerifier') }
      const query = callbackUrl.searchParams
      // ESIA echoes the state on errors too: an answer without this login's state is not ESIA's.
      requireCallbackState(callbackUrl, expected.state)
      let step = 'the authorization response'
      try {
        if (query.has('error')) throw esiaErrorFromBody(Object.fromEntries(query), step)
        const code = query.get('code')
        if (code === null || code === '') throw new EsiaResponseError('the callback has no code')
        step = 'the token request'
        const { idToken, accessToken } = await exchange(code, expected.codeVerifier)
        step = 'the person request'
        const oid = oidOf(idToken)
        const values = await person(oid, accessToken)
        const today = new Date(now()).toISOString().slice(0, 10)
        return identityFrom(
          { issuer: provider.issuer, subject: oid, verified: isConfirmed(idToken) && values.trusted !== false },
          {
            familyName: values.lastName,
            givenName: values.firstName,
            patronymic: values.middleName,
            birthDate: values.birthDate,
            snils: values.snils,
          },
          today,
        )
      } catch (error) {
        throw toUpstreamError(error, step)
      }
    },

    async endSessionUrl(postLogoutRedirectUri) {
      const url = endpoint('idp/ext/Logout')
      url.search = new URLSearchParams({ client_id: provider.clientId, redirect_url: postLogoutRedirectUri }).toString()
      return url
    },
  }
}
