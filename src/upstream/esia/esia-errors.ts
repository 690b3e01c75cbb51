/*
 * ESIA's error codes (`ESIA-0070xx` in `error_description`) as the bridge's errors, each with a page
 * that says what to do next. The code and ESIA's description are kept in the error's cause, which is
 * logged; ESIA's descriptions name no person. An unknown code is ERR_UPSTREAM_REJECTED.
 */
import { BridgeError, type BridgeErrorCode } from '../../errors.js'

interface EsiaErrorMeaning {
  code: BridgeErrorCode
  /** What it means, for the log and the README. */
  meaning: string
}

export const esiaErrors: Readonly<Record<string, EsiaErrorMeaning>> = {
  '007002': {
    code: 'ERR_UPSTREAM_REJECTED',
    meaning: 'the certificate does not match the system mnemonic, or none is registered',
  },
  '007003': { code: 'ERR_UPSTREAM_REJECTED', meaning: 'a parameter is missing, invalid or repeated' },
  '007004': { code: 'ERR_UPSTREAM_CANCELLED', meaning: 'the person (or ESIA) refused the request' },
  '007005': { code: 'ERR_UPSTREAM_REJECTED', meaning: 'the system may not request a token this way' },
  '007006': { code: 'ERR_UPSTREAM_REJECTED', meaning: 'a requested scope is wrong' },
  '007007': { code: 'ERR_UPSTREAM_UNAVAILABLE', meaning: 'an unexpected ESIA error' },
  '007008': { code: 'ERR_UPSTREAM_UNAVAILABLE', meaning: 'ESIA is overloaded or under maintenance' },
  '007011': {
    code: 'ERR_LOGIN_EXPIRED',
    meaning: 'the authorization code is invalid, expired, used or issued to another system',
  },
  '007014': { code: 'ERR_UPSTREAM_REJECTED', meaning: 'the request lacks a mandatory parameter' },
  '007015': { code: 'ERR_UPSTREAM_REJECTED', meaning: "the request timestamp is wrong: check the bridge's clock" },
  '007019': {
    code: 'ERR_UPSTREAM_REJECTED',
    meaning: 'the system has no grant for the requested scopes (request them at ESIA)',
  },
  '007023': { code: 'ERR_UPSTREAM_REJECTED', meaning: "redirect_uri is not among the system's registered addresses" },
  '007039': { code: 'ERR_UPSTREAM_REJECTED', meaning: 'PKCE: no code_challenge was sent' },
  '007040': { code: 'ERR_UPSTREAM_REJECTED', meaning: 'PKCE: code_verifier does not match' },
  '007053': {
    code: 'ERR_UPSTREAM_REJECTED',
    meaning: 'client_secret is wrong: private key, certificate (inactive?), its hash or the signed string',
  },
  '007055': { code: 'ERR_UPSTREAM_ACCOUNT_UNCONFIRMED', meaning: "the person's account is not confirmed" },
}

class EsiaError extends Error {
  override name = 'EsiaError'
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

/**
 * The bridge's error for ESIA code `esiaCode` (six digits) met during `during`; without a code, by the
 * HTTP status: ESIA failing (5xx, none) is unavailable, a 4xx without a code is an answer that cannot be trusted.
 */
export function esiaError(
  esiaCode: string | undefined,
  during: string,
  description: string,
  status?: number,
): BridgeError {
  const known = esiaCode === undefined ? undefined : esiaErrors[esiaCode]
  const withoutCode: BridgeErrorCode =
    status !== undefined && status < 500 ? 'ERR_UPSTREAM_INVALID_RESPONSE' : 'ERR_UPSTREAM_UNAVAILABLE'
  const code: BridgeErrorCode = esiaCode === undefined ? withoutCode : (known?.code ?? 'ERR_UPSTREAM_REJECTED')
  const name = esiaCode === undefined ? `HTTP ${status ?? 'failure'}` : `ESIA-${esiaCode}`
  return new BridgeError(
    code,
    `state-services provider: ${during} failed with ${name}${known ? ` (${known.meaning})` : ''}`,
    {
      cause: new EsiaError(name, description.slice(0, 300)),
    },
  )
}

/** An error answer (`error`, `error_description` with the ESIA code) from the callback or an endpoint. */
export function esiaErrorFromBody(body: Record<string, unknown>, during: string, status?: number): BridgeError {
  const description =
    typeof body.error_description === 'string'
      ? body.error_description
      : typeof body.error === 'string'
        ? body.error
        : ''
  const code = /ESIA-(\d{6})/.exec(description)?.[1] ?? (body.error === 'access_denied' ? '007004' : undefined)
  return esiaError(code, during, description || `HTTP ${status ?? '?'}`, status ?? 400)
}
