/*
 * An ESIA (State Services) simulator for the demo and the tests: the real ESIA's endpoints and formats
 * relative to its base URL, and its checks, in its order. An independent protocol peer: it builds and
 * checks every message itself and shares only the GOST primitives (upstream/esia/gost.ts) with the
 * bridge, in the implementation it is given (the process's choice otherwise: a bridge on JavaScript and
 * a simulator on OpenSSL's engine check each other); the tests cross-check both with the openssl CLI and
 * a real ESIA token.
 * - GET aas/oauth2/v2/ac: a known client and a redirect_uri registered exactly (else an error page, no
 *   redirect); the registered certificate's client_certificate_hash; a timestamp `yyyy.MM.dd HH:mm:ss ±HHMM`
 *   within the window; a UUID state; a client_secret that is a raw 64-byte GOST R 34.10-2012 signature of
 *   client_id+scope+scope_org+timestamp+state+redirect_uri (CMS blobs and the legacy order are refused);
 *   known scopes; PKCE S256 only. Errors go to redirect_uri: error, error_description "ESIA-0070NN: …", state
 * - instead of a password, a page to pick a test person, cancel (ESIA-007004) or answer with an ESIA error;
 *   it comes at every login: the simulator sets no cookie, so no earlier (or abandoned) login picks the person
 * - codes are signed JWTs, single use, valid 60 s, bound to client, redirect_uri, scope, PKCE and person
 * - POST aas/oauth2/v3/te: the same checks, the secret also over the code; errors are JSON, HTTP 400
 * - tokens are JWS signed GOST3410_2012_256 (raw signature, OpenSSL byte order) or RS256; JSON writes `\/`
 * - GET rs/prns/<oid> with an access token it issued: only the fields its scopes allow; GET idp/ext/Logout
 *   returns at once (no question) to a URL of a registered redirect URI's origin
 * Faults for the tests: failNext (one shot per step) and tamper (token responses, until reset).
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { certificateHash, chooseGost, type GostCrypto, type GostPublicKey } from '../src/upstream/esia/gost.js'
import { generateGostKeyPair } from '../src/upstream/esia/gost-javascript.js'
import { escapeHtml } from '../src/web/html.js'
import {
  type EsiaErrorCode,
  esiaErrors,
  type EsiaSimulatorPerson,
  esiaSimulatorPersons,
  humanFailCodes,
} from './esia-simulator-data.js'
import type { GostKeyPair } from './gost-keys.js'
import { readForm } from './state-services-simulator.js'

export {
  type EsiaErrorCode,
  esiaErrors,
  type EsiaSimulatorPerson,
  esiaSimulatorPersons,
  humanFailCodes,
} from './esia-simulator-data.js'

export type EsiaSimulatorStep = 'authorize' | 'token' | 'person'
/** esiaCode: '0070NN' or 'ESIA-0070NN'. */
export type EsiaSimulatorFailure = { esiaCode: string } | { status: number } | { delayMs: number }

export interface EsiaSimulatorTamper {
  stateEcho?: 'wrong' | 'missing'
  idTokenSignature?: 'corrupt' | 'other-key'
  idTokenClaims?: (claims: Record<string, unknown>) => void
}

export interface EsiaSimulatorClient {
  clientId: string
  certificatePem: string
  redirectUris: string[]
}

type TokenAlg = 'GOST3410_2012_256' | 'RS256'

export interface EsiaSimulatorOptions {
  port: number
  host?: string
  /** `iss` of the tokens; defaults to the base URL, with its trailing slash. */
  issuer?: string
  signingKey: GostKeyPair
  tokenAlg?: TokenAlg
  rsaKey?: { privateKeyPem: string; certificatePem: string }
  clients: EsiaSimulatorClient[]
  timestampWindowSeconds?: number
  /** The simulator's clock, milliseconds since the epoch. */
  now?: () => number
  /** Its GOST implementation; the process's choice (gost.ts, "auto") otherwise. */
  gost?: GostCrypto
}

export interface RunningEsiaSimulator {
  /** The base URL, with a trailing slash. */
  url: string
  issuer: string
  /** The certificate whose key signs the tokens. */
  certificatePem: string
  failNext(step: EsiaSimulatorStep, failure: EsiaSimulatorFailure): void
  /** Applied to every token response until reset (`simulator.tamper = {}`). */
  tamper: EsiaSimulatorTamper
  close(): Promise<void>
}

interface RegisteredClient extends EsiaSimulatorClient {
  publicKey: GostPublicKey
  certificateHash: string
}

interface Signer {
  alg: TokenAlg
  sign(data: Buffer): Buffer
}

interface Expiring {
  expiresAt: number
}

interface PendingLogin extends Expiring {
  clientId: string
  redirectUri: string
  scope: string
  state: string
  codeChallenge: string | undefined
}

interface CodeGrant extends PendingLogin {
  person: EsiaSimulatorPerson
  sid: string
  authTime: number
}

interface AccessGrant extends Expiring {
  oid: number
  scopes: Set<string>
}

const allowedScopes = new Set(['openid', 'fullname', 'birthdate', 'snils', 'gender', 'email', 'mobile', 'id_doc'])
const authorizeSecretFields = ['client_id', 'scope', 'scope_org', 'timestamp', 'state', 'redirect_uri']
const tokenSecretFields = [...authorizeSecretFields, 'code']
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const pendingLoginMs = 10 * 60_000
const codeMs = 60_000
const tokenSeconds = 3600

/** Entries that vanish when they expire; `take` makes them single use. */
class ExpiringMap<V extends Expiring> {
  private readonly entries = new Map<string, V>()
  constructor(private readonly now: () => number) {}

  set(key: string, value: V): void {
    for (const [old, entry] of this.entries) if (entry.expiresAt <= this.now()) this.entries.delete(old)
    this.entries.set(key, value)
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key)
    return entry !== undefined && entry.expiresAt > this.now() ? entry : undefined
  }

  take(key: string): V | undefined {
    const entry = this.get(key)
    this.entries.delete(key)
    return entry
  }
}

interface Simulator {
  baseUrl: string
  issuer: string
  gost: GostCrypto
  signer: Signer
  otherSigner: Signer | undefined
  clients: Map<string, RegisteredClient>
  pending: ExpiringMap<PendingLogin>
  codes: ExpiringMap<CodeGrant>
  accessTokens: ExpiringMap<AccessGrant>
  failures: Map<EsiaSimulatorStep, EsiaSimulatorFailure>
  running: RunningEsiaSimulator
  windowMs: number
  now: () => number
}

// ---- formats

/** JSON as ESIA writes it: `/` escaped as `\/`. */
function esiaJson(value: unknown): string {
  return JSON.stringify(value).replaceAll('/', '\\/')
}

/** `yyyy.MM.dd HH:mm:ss ±HHMM` → milliseconds since the epoch; undefined when malformed or not a real time. */
function parseEsiaTimestamp(text: string): number | undefined {
  const match = /^(\d{4})\.(\d{2})\.(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text)
  if (match === null) return undefined
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const local = Date.UTC(year, month - 1, day, hour, minute, second)
  const date = new Date(local)
  if (
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  )
    return undefined
  const offsetMinutes = (match[7] === '-' ? -1 : 1) * (Number(match[8]) * 60 + Number(match[9]))
  return local - offsetMinutes * 60_000
}

/** base64url with or without padding, or standard base64; undefined for anything else. */
function decodeBase64(text: string): Buffer | undefined {
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined
}

function secretMessage(params: URLSearchParams, fields: readonly string[]): Buffer {
  return Buffer.from(fields.map((field) => params.get(field) ?? '').join(''), 'utf8')
}

/** A raw 64-byte GOST signature by the client's registered certificate: no CMS, no other key. */
function isValidSecret(client: RegisteredClient, params: URLSearchParams, fields: readonly string[]): boolean {
  const signature = decodeBase64(params.get('client_secret') ?? '')
  return signature?.length === 64 && client.publicKey.verify(secretMessage(params, fields), signature)
}

function isPkceMatch(verifier: string, challenge: string): boolean {
  return createHash('sha256').update(verifier).digest('base64url') === challenge
}

// ---- signing

/** The token signer and its certificate: GOST by default, RS256 when asked for (with rsaKey). */
function createSigner(options: EsiaSimulatorOptions, gost: GostCrypto): { signer: Signer; certificatePem: string } {
  if (options.tokenAlg === 'RS256') {
    if (options.rsaKey === undefined) throw new Error('the ESIA simulator needs rsaKey to sign with RS256')
    const key = createPrivateKey(options.rsaKey.privateKeyPem)
    return {
      signer: { alg: 'RS256', sign: (data) => sign('sha256', data, key) },
      certificatePem: options.rsaKey.certificatePem,
    }
  }
  const key = gost.privateKey(options.signingKey.privateKeyPem)
  return {
    signer: { alg: 'GOST3410_2012_256', sign: (data) => key.sign(data) },
    certificatePem: options.signingKey.certificatePem,
  }
}

/** A key of the same kind that the clients do not know (made on first use). */
function otherSigner(sim: Simulator): Signer {
  if (sim.otherSigner !== undefined) return sim.otherSigner
  if (sim.signer.alg === 'RS256') {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    sim.otherSigner = { alg: 'RS256', sign: (data) => sign('sha256', data, privateKey) }
    return sim.otherSigner
  }
  const key = sim.gost.privateKey(generateGostKeyPair('ESIA simulator, another key', { days: 1 }).privateKeyPem)
  sim.otherSigner = { alg: 'GOST3410_2012_256', sign: (data) => key.sign(data) }
  return sim.otherSigner
}

/** A compact JWS with ESIA's header; the signature is raw (64 bytes for GOST), base64url without padding. */
function signJws(
  signer: Signer,
  sbt: 'id' | 'access' | 'authorization_code',
  payload: Record<string, unknown>,
): string {
  const header = { ver: 0, typ: 'JWT', sbt, alg: signer.alg }
  const input = `${Buffer.from(esiaJson(header)).toString('base64url')}.${Buffer.from(esiaJson(payload)).toString('base64url')}`
  return `${input}.${signer.sign(Buffer.from(input)).toString('base64url')}`
}

function corruptSignature(jws: string): string {
  const dot = jws.lastIndexOf('.')
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url')
  signature[0] = (signature[0] ?? 0) ^ 0xff
  return `${jws.slice(0, dot + 1)}${signature.toString('base64url')}`
}

// ---- HTTP helpers

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
    .end(esiaJson(body))
}

function sendHtml(response: ServerResponse, status: number, title: string, body: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(
    `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Госуслуги (симулятор ЕСИА)</title></head><body><h1>${escapeHtml(title)}</h1>
${body}</body></html>`,
  )
}

function redirect(response: ServerResponse, target: string, params: Record<string, string>): void {
  const url = new URL(target)
  for (const [name, value] of Object.entries(params)) if (value !== '') url.searchParams.set(name, value)
  response.writeHead(302, { location: url.href, 'cache-control': 'no-store' }).end()
}

function normaliseCode(esiaCode: string): string {
  return esiaCode.replace(/^ESIA-/, '')
}

function describe(esiaCode: string): { error: string; description: string } {
  const code = normaliseCode(esiaCode)
  const entry = (esiaErrors as Record<string, { error: string; text: string }>)[code] ?? {
    error: 'invalid_request',
    text: 'Simulated error',
  }
  return { error: entry.error, description: `ESIA-${code}: ${entry.text}` }
}

function redirectWithError(response: ServerResponse, redirectUri: string, esiaCode: string, state: string): void {
  const { error, description } = describe(esiaCode)
  redirect(response, redirectUri, { error, error_description: description, state })
}

function sendTokenError(response: ServerResponse, esiaCode: string, state: string): void {
  const { error, description } = describe(esiaCode)
  sendJson(response, normaliseCode(esiaCode) === '007008' ? 503 : 400, { error, error_description: description, state })
}

function errorPage(response: ServerResponse, status: number, text: string): void {
  sendHtml(response, status, 'Ошибка', `<p>${escapeHtml(text)}</p>`)
}

/** The failure planned for this step, once; a delay is waited here and then the step goes on. */
async function takeFailure(
  sim: Simulator,
  step: EsiaSimulatorStep,
): Promise<{ esiaCode: string } | { status: number } | undefined> {
  const failure = sim.failures.get(step)
  sim.failures.delete(step)
  if (failure === undefined || !('delayMs' in failure)) return failure
  await delay(failure.delayMs)
  return undefined
}

// ---- pages

function personName(person: EsiaSimulatorPerson): string {
  return [person.data.lastName, person.data.firstName, person.data.middleName].filter(Boolean).join(' ')
}

function choosePage(id: string): string {
  const people = esiaSimulatorPersons
    .map(
      (person) =>
        `<li><button name="person" value="${escapeHtml(person.id)}">${escapeHtml(personName(person))}</button> <small>${escapeHtml(person.label)}</small></li>`,
    )
    .join('\n')
  const codes = humanFailCodes
    .map((code) => `<option value="${code}">ESIA-${code}: ${escapeHtml(esiaErrors[code].text)}</option>`)
    .join('')
  return `<p>Выберите тестового человека:</p>
<form method="post" action="/simulator/login/${id}"><ul>${people}</ul></form>
<form method="post" action="/simulator/cancel/${id}"><button>Отменить вход</button></form>
<form method="post" action="/simulator/fail/${id}"><select name="fail">${codes}</select> <button>Ответить ошибкой</button></form>`
}

function indexPage(sim: Simulator): string {
  const people = esiaSimulatorPersons
    .map((person) =>
      [person.id, personName(person), person.oid, person.lvl, person.confirmed ? 'да' : 'нет', person.label]
        .map((cell) => `<td>${escapeHtml(cell)}</td>`)
        .join(''),
    )
    .map((cells) => `<tr>${cells}</tr>`)
    .join('\n')
  const codes = Object.entries(esiaErrors)
    .map(([code, entry]) => `<li><code>ESIA-${code}</code> (${entry.error}): ${escapeHtml(entry.text)}</li>`)
    .join('\n')
  return `<p>Базовый адрес: <code>${escapeHtml(sim.baseUrl)}</code>; вход: <code>aas/oauth2/v2/ac</code>, токены: <code>aas/oauth2/v3/te</code>,
данные: <code>rs/prns/&lt;oid&gt;</code>, выход: <code>idp/ext/Logout</code>.</p>
<h2>Тестовые люди</h2><table><tr><th>id</th><th>ФИО</th><th>oid</th><th>lvl</th><th>подтверждена</th><th>что показывает</th></tr>${people}</table>
<h2>Ошибки, которые симулятор умеет отвечать</h2><ul>${codes}</ul>
<p>На странице выбора человека можно ответить любой из ошибок: ${humanFailCodes.map((code) => `ESIA-${code}`).join(', ')}.</p>`
}

// ---- aas/oauth2/v2/ac

/** The checks both endpoints make, in ESIA's order: certificate hash, time, state, signature. */
function checkSignedRequest(
  sim: Simulator,
  client: RegisteredClient,
  params: URLSearchParams,
  fields: readonly string[],
): EsiaErrorCode | undefined {
  if ((params.get('client_certificate_hash') ?? '').toUpperCase() !== client.certificateHash) return '007053'
  const time = parseEsiaTimestamp(params.get('timestamp') ?? '')
  if (time === undefined || Math.abs(time - sim.now()) > sim.windowMs) return '007015'
  if (!uuidPattern.test(params.get('state') ?? '')) return '007014'
  if (!isValidSecret(client, params, fields)) return '007053'
  return undefined
}

function checkAuthorizeParameters(params: URLSearchParams): EsiaErrorCode | undefined {
  const scopes = (params.get('scope') ?? '').split(' ').filter(Boolean)
  if (scopes.length === 0 || !scopes.every((scope) => allowedScopes.has(scope))) return '007006'
  if (params.get('response_type') !== 'code') return '007003'
  if (!['online', 'offline'].includes(params.get('access_type') ?? '')) return '007003'
  const challenge = params.get('code_challenge')
  const method = params.get('code_challenge_method')
  if (challenge === null && method !== null) return '007014'
  if (challenge !== null && method !== 'S256') return '007003'
  return undefined
}

async function authorize(sim: Simulator, params: URLSearchParams, response: ServerResponse): Promise<void> {
  const client = sim.clients.get(params.get('client_id') ?? '')
  if (client === undefined) return errorPage(response, 400, describe('007002').description)
  const redirectUri = params.get('redirect_uri') ?? ''
  if (!client.redirectUris.includes(redirectUri)) return errorPage(response, 400, describe('007023').description)
  const state = params.get('state') ?? ''
  const failure = await takeFailure(sim, 'authorize')
  if (failure !== undefined) {
    if ('esiaCode' in failure) return redirectWithError(response, redirectUri, failure.esiaCode, state)
    return errorPage(response, failure.status, `HTTP ${failure.status}`)
  }
  const refused = checkSignedRequest(sim, client, params, authorizeSecretFields) ?? checkAuthorizeParameters(params)
  if (refused !== undefined) return redirectWithError(response, redirectUri, refused, state)
  const id = randomUUID()
  const scope = params.get('scope') ?? ''
  const codeChallenge = params.get('code_challenge') ?? undefined
  sim.pending.set(id, {
    clientId: client.clientId,
    redirectUri,
    scope,
    state,
    codeChallenge,
    expiresAt: sim.now() + pendingLoginMs,
  })
  sendHtml(response, 200, 'Госуслуги — симулятор ЕСИА', choosePage(id))
}

// ---- the person's choice

function issueCode(sim: Simulator, login: PendingLogin, person: EsiaSimulatorPerson): string {
  const now = Math.floor(sim.now() / 1000)
  const sid = randomUUID()
  const code = signJws(sim.signer, 'authorization_code', {
    nbf: now,
    exp: now + codeMs / 1000,
    iat: now,
    iss: sim.issuer,
    client_id: login.clientId,
    'urn:esia:sid': sid,
    'urn:esia:sbj_id': person.oid,
  })
  sim.codes.set(code, { ...login, person, sid, authTime: now, expiresAt: sim.now() + codeMs })
  return code
}

async function choose(
  sim: Simulator,
  action: string,
  id: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const form = await readForm(request)
  const login = sim.pending.take(id)
  if (login === undefined) return errorPage(response, 400, 'Запрос на вход не найден или устарел: начните вход заново.')
  const person = esiaSimulatorPersons.find((candidate) => candidate.id === form.get('person'))
  const failCode = humanFailCodes.find((code) => code === form.get('fail'))
  if (action === 'login' && person !== undefined)
    return redirect(response, login.redirectUri, { code: issueCode(sim, login, person), state: login.state })
  if (action === 'fail' && failCode !== undefined)
    return redirectWithError(response, login.redirectUri, failCode, login.state)
  if (action === 'cancel') return redirectWithError(response, login.redirectUri, '007004', login.state)
  errorPage(response, 400, 'Неизвестный выбор.')
}

// ---- aas/oauth2/v3/te

function checkTokenParameters(params: URLSearchParams): EsiaErrorCode | undefined {
  if (params.get('grant_type') !== 'authorization_code') return '007012'
  if (params.get('token_type') !== 'Bearer') return '007003'
  return undefined
}

/** The code (already taken: single use) matches the request and its PKCE challenge. */
function checkGrant(grant: CodeGrant, params: URLSearchParams): EsiaErrorCode | undefined {
  if (
    grant.clientId !== params.get('client_id') ||
    grant.redirectUri !== params.get('redirect_uri') ||
    grant.scope !== params.get('scope')
  )
    return '007011'
  const verifier = params.get('code_verifier')
  if (grant.codeChallenge === undefined) return verifier === null ? undefined : '007039'
  if (verifier === null) return '007014'
  return isPkceMatch(verifier, grant.codeChallenge) ? undefined : '007040'
}

function subject(person: EsiaSimulatorPerson): Record<string, unknown> {
  return {
    'urn:esia:sbj:typ': 'P',
    ...(person.confirmed ? { 'urn:esia:sbj:is_tru': true } : {}),
    'urn:esia:sbj:oid': person.oid,
    'urn:esia:sbj:nam': `OID.${person.oid}`,
  }
}

function signIdToken(sim: Simulator, grant: CodeGrant, now: number): string {
  const { person } = grant
  const claims: Record<string, unknown> = {
    nbf: now,
    exp: now + tokenSeconds,
    iat: now,
    iss: sim.issuer,
    aud: grant.clientId,
    sub: person.oid,
    auth_time: grant.authTime,
    amr: 'PWD',
    'urn:esia:amd': 'PWD',
    'urn:esia:sid': grant.sid,
    'urn:esia:sbj': subject(person),
    lvl: person.lvl,
  }
  const tamper = sim.running.tamper
  tamper.idTokenClaims?.(claims)
  const token = signJws(tamper.idTokenSignature === 'other-key' ? otherSigner(sim) : sim.signer, 'id', claims)
  return tamper.idTokenSignature === 'corrupt' ? corruptSignature(token) : token
}

function signAccessToken(sim: Simulator, grant: CodeGrant, now: number): string {
  const oid = grant.person.oid
  const token = signJws(sim.signer, 'access', {
    nbf: now,
    exp: now + tokenSeconds,
    iat: now,
    iss: sim.issuer,
    client_id: grant.clientId,
    sub: oid,
    scope: grant.scope,
    'urn:esia:sid': grant.sid,
    'urn:esia:sbj_id': oid,
  })
  sim.accessTokens.set(token, {
    oid,
    scopes: new Set(grant.scope.split(' ')),
    expiresAt: sim.now() + tokenSeconds * 1000,
  })
  return token
}

function echoedState(sim: Simulator, state: string): string | undefined {
  switch (sim.running.tamper.stateEcho) {
    case 'wrong':
      return randomUUID()
    case 'missing':
      return undefined
    case undefined:
      return state
  }
}

async function token(sim: Simulator, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const params = await readForm(request)
  const state = params.get('state') ?? ''
  const failure = await takeFailure(sim, 'token')
  if (failure !== undefined) {
    return 'esiaCode' in failure
      ? sendTokenError(response, failure.esiaCode, state)
      : sendJson(response, failure.status, { error: 'server_error', state })
  }
  const client = sim.clients.get(params.get('client_id') ?? '')
  if (client === undefined) return sendTokenError(response, '007002', state)
  const refused = checkSignedRequest(sim, client, params, tokenSecretFields) ?? checkTokenParameters(params)
  if (refused !== undefined) return sendTokenError(response, refused, state)
  const grant = sim.codes.take(params.get('code') ?? '')
  if (grant === undefined) return sendTokenError(response, '007011', state)
  const mismatch = checkGrant(grant, params)
  if (mismatch !== undefined) return sendTokenError(response, mismatch, state)
  const now = Math.floor(sim.now() / 1000)
  sendJson(response, 200, {
    access_token: signAccessToken(sim, grant, now),
    id_token: signIdToken(sim, grant, now),
    refresh_token: randomUUID(),
    state: echoedState(sim, state),
    token_type: 'Bearer',
    expires_in: tokenSeconds,
  })
}

// ---- rs/prns/<oid>

function personDocument(person: EsiaSimulatorPerson, scopes: Set<string>): Record<string, unknown> {
  const { data } = person
  const fullname = scopes.has('fullname')
  return {
    stateFacts: ['EntityRoot'],
    eTag: createHash('sha1').update(`${person.oid}`).digest('hex').toUpperCase(),
    firstName: fullname ? data.firstName : undefined,
    lastName: fullname ? data.lastName : undefined,
    middleName: fullname ? data.middleName : undefined,
    birthDate: scopes.has('birthdate') ? data.birthDate : undefined,
    gender: scopes.has('gender') ? data.gender : undefined,
    trusted: person.confirmed,
    citizenship: 'RUS',
    snils: scopes.has('snils') ? data.snils : undefined,
    status: 'REGISTERED',
    verifying: false,
    rIdDoc: 123,
    containsUpCfmCode: false,
  }
}

async function personData(
  sim: Simulator,
  oid: number,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const failure = await takeFailure(sim, 'person')
  if (failure !== undefined) {
    const { error, description } =
      'esiaCode' in failure
        ? describe(failure.esiaCode)
        : { error: 'server_error', description: `HTTP ${failure.status}` }
    return sendJson(response, 'esiaCode' in failure ? 400 : failure.status, { error, error_description: description })
  }
  const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1]
  const grant = bearer === undefined ? undefined : sim.accessTokens.get(bearer)
  const person = esiaSimulatorPersons.find((candidate) => candidate.oid === oid)
  if (grant === undefined || grant.oid !== oid || person === undefined) {
    const body = {
      error: 'invalid_token',
      error_description: 'The access token is missing, unknown, expired or issued for another person',
    }
    return sendJson(response, 401, body, { 'www-authenticate': 'Bearer error="invalid_token"' })
  }
  sendJson(response, 200, personDocument(person, grant.scopes))
}

// ---- idp/ext/Logout

function logout(sim: Simulator, params: URLSearchParams, response: ServerResponse): void {
  const client = sim.clients.get(params.get('client_id') ?? '')
  const target = URL.canParse(params.get('redirect_url') ?? '') ? new URL(params.get('redirect_url') ?? '') : undefined
  const trusted = target !== undefined && client?.redirectUris.some((uri) => new URL(uri).origin === target.origin)
  if (!trusted) return errorPage(response, 400, 'Неизвестная система или адрес возврата после выхода.')
  response.writeHead(302, { location: target.href, 'cache-control': 'no-store' }).end()
}

// ---- the server

async function route(sim: Simulator, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', sim.baseUrl)
  const endpoint = `${request.method ?? 'GET'} ${url.pathname}`
  const person = /^GET \/rs\/prns\/(\d+)$/.exec(endpoint)
  const choice = /^POST \/simulator\/(login|cancel|fail)\/([\w-]+)$/.exec(endpoint)
  if (endpoint === 'GET /aas/oauth2/v2/ac') return authorize(sim, url.searchParams, response)
  if (endpoint === 'POST /aas/oauth2/v3/te') return token(sim, request, response)
  if (person !== null) return personData(sim, Number(person[1]), request, response)
  if (endpoint === 'GET /idp/ext/Logout') return logout(sim, url.searchParams, response)
  if (choice !== null) return choose(sim, choice[1] ?? '', choice[2] ?? '', request, response)
  if (endpoint === 'GET /simulator' || endpoint === 'GET /')
    return sendHtml(response, 200, 'Симулятор ЕСИА', indexPage(sim))
  errorPage(response, 404, 'Нет такой страницы.')
}

function registerClient(gost: GostCrypto, client: EsiaSimulatorClient): RegisteredClient {
  return {
    ...client,
    publicKey: gost.certificatePublicKey(client.certificatePem),
    certificateHash: certificateHash(gost, client.certificatePem),
  }
}

/** Starts the simulator on 127.0.0.1 (port 0: any free port). */
export async function startEsiaSimulator(options: EsiaSimulatorOptions): Promise<RunningEsiaSimulator> {
  const gost = options.gost ?? chooseGost().crypto
  const { signer, certificatePem } = createSigner(options, gost)
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '127.0.0.1', resolve))
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const now = options.now ?? Date.now
  const failures = new Map<EsiaSimulatorStep, EsiaSimulatorFailure>()
  const running: RunningEsiaSimulator = {
    url: baseUrl,
    issuer: options.issuer ?? baseUrl,
    certificatePem,
    failNext: (step, failure) => void failures.set(step, failure),
    tamper: {},
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  const sim: Simulator = {
    baseUrl,
    issuer: running.issuer,
    gost,
    signer,
    otherSigner: undefined,
    clients: new Map(options.clients.map((client) => [client.clientId, registerClient(gost, client)])),
    pending: new ExpiringMap(now),
    codes: new ExpiringMap(now),
    accessTokens: new ExpiringMap(now),
    failures,
    running,
    windowMs: (options.timestampWindowSeconds ?? 300) * 1000,
    now,
  }
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    route(sim, request, response).catch((error: unknown) => {
      response
        .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`ESIA simulator: ${(error as Error).message}`)
    })
  })
  return running
}
