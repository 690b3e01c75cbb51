/*
 * The login transaction: what a login in progress must remember, kept in the encrypted
 * `__Host-bridge-login` cookie, never in process memory (a login started on one instance finishes on
 * another). This module is the only code that writes that cookie.
 *
 * It holds the chosen region, the authorization request of the diary module that is waiting for the
 * sign-in (the continuation), and exactly one phase:
 *   start            nothing in flight
 *   upstream         sent to State Services: PKCE verifier, state, nonce; why (sign in, or confirm)
 *   binding          State Services named a person the bridge could not link: the person's name,
 *                    birth date, SNILS HMAC and whether the provider vouches for them, to check the
 *                    binding rules and record the link (never a SNILS); or, from
 *                    the account page, the signed-in person links another diary (`forSession`)
 *   choose_account   the person is linked to several accounts of the region: the issuer and subject,
 *                    whose links are read again when the choice is posted (never a list of accounts)
 *   password_change  a temporary password was verified and must be replaced before the sign-in
 *   recovery_code    "forgot password" by SMS: the code that was sent (its row id, never the code), and
 *                    the one this browser asked for before, if that was still on its code page (both
 *                    are live: a late SMS still works)
 *   password_reset   the person proved to own the account (State Services, an e-mail link, an SMS
 *                    code) and may set a new password; for a link, the hash of the link to spend
 *   logout           gone to the provider's logout, to come back to this address
 *   second_factor    the first step was right and a second factor is wanted: the account, the first
 *                    step (or the signed-in session a step-up raises) and a WebAuthn challenge
 *   enrol_factor     a factor must (or may) be enrolled first: the same, and how far enrolment got
 * Next to the phase, the login of the last refused password sign-in (`passwordRefused`), so that the
 * login page shown again (in the other language, say) still says it was refused; never the password.
 * Transitions are named (`chooseRegion`, `awaitAuthorization`, `toUpstream`, `toBinding`,
 * `toChooseAccount`, `toPasswordChange`, `toRecoveryCode`, `toPasswordReset`, `toLogout`,
 * `toSecondFactor`, `toEnrolFactor`, `updateFactorStep`, `abandon`, `done`); beside the phase, the
 * login page's passkey challenge (`offerPasskey`, `takePasskeyChallenge`, single use); `take(kind)` reads a phase, refusing a missing or stale one with ERR_LOGIN_EXPIRED. Every
 * phase carries its start time: one older than the TTL counts as absent (the cookie's own expiry
 * slides). `upstream`, `binding`, `choose_account`, `password_change` and `password_reset` carry a
 * random id that is consumed once in the database, so a copied cookie cannot finish the same step
 * twice; a password change the rules refuse goes on under a new id (`retryPasswordChange`), in this
 * browser's cookie only.
 */
import { randomBytes } from 'node:crypto'
import type { AcrLevel, SessionMethod } from '../db/schema.js'
import { BridgeError } from '../errors.js'
import type { BindingIdentity } from '../linking/binding.js'
import type { NeedsPasswordReason } from '../linking/match.js'
import type { AuthorizationRequest } from '../oauth/authorize-request.js'
import type { ConnectorState } from '../upstream/connector.js'

/** Why the person went to State Services. */
export type UpstreamPurpose =
  | { kind: 'sign_in' }
  /** The signed-in owner confirms who they are before removing a link from the account page. */
  | { kind: 'confirm'; sessionId: string; unlinkId: string }
  /** "Forgot password": State Services says who the person is, then a new diary password. */
  | { kind: 'recover' }
  /** The signed-in person links another diary to their State Services identity (account page). */
  | { kind: 'link_another'; sessionId: string }
  /** The owner signed in with the diary password links their State Services account to this diary (account page). */
  | { kind: 'link_account'; sessionId: string }

/** Why the binding page asks for a diary password: a sign-in the rules could not link, or the account page's linking. */
export type BindingReason = NeedsPasswordReason | 'link_another' | 'link_account'

/** How a person proved to own an account whose password they forgot. */
export type RecoveryWay = 'state_services' | 'email' | 'sms'

export type Phase =
  | { kind: 'start' }
  | {
      kind: 'upstream'
      id: string
      region: string
      purpose: UpstreamPurpose
      upstream: ConnectorState
      startedAt: number
    }
  | {
      kind: 'binding'
      id: string
      region: string
      issuer: string
      subject: string
      person: BindingIdentity
      maskedName: string
      reason: BindingReason
      /** Linking another diary for this signed-in session: no sign-in, back to the account page. */
      forSession?: string
      startedAt: number
    }
  | { kind: 'choose_account'; id: string; region: string; issuer: string; subject: string; startedAt: number }
  /** `passwordChangedAt` (ms) of the temporary password that was verified: only that one may be replaced. */
  | {
      kind: 'password_change'
      id: string
      accountId: string
      passwordChangedAt: number | null
      method: SessionMethod
      upstreamIssuer?: string
      upstreamSubject?: string
      /** The second step was given (or not wanted) before the change: what the sign-in vouches for. */
      assurance?: { amr: string[]; acr: AcrLevel }
      startedAt: number
    }
  | { kind: 'recovery_code'; region: string; secretId: string; previousSecretId?: string; startedAt: number }
  /** `passwordChangedAt` (ms) of the password when the owner proved who they are: only that one may be replaced. */
  | {
      kind: 'password_reset'
      id: string
      region: string
      accountId: string
      via: RecoveryWay
      passwordChangedAt: number | null
      linkHash?: string
      startedAt: number
    }
  | { kind: 'logout'; redirectUri: string; startedAt: number }
  /**
   * The diary password (or State Services) was right and a second factor is wanted (login/second-factor.ts):
   * `first` is the session the factor completes, or `stepUp` the signed-in session it raises; `challenge`
   * is the WebAuthn challenge of this page's passkey request.
   */
  | {
      kind: 'second_factor'
      id: string
      accountId: string
      first: FirstStep
      stepUp?: string
      /** Where a step-up without a waiting diary module goes when done (default: the account page). */
      then?: StepUpReturn
      challenge?: string
      startedAt: number
    }
  /**
   * A factor must (or may: `skippable`) be enrolled before the sign-in goes on. `totpId`: the one-time
   * code app being set up; `enrolled`: the factor is made and the recovery codes were shown, the
   * sign-in goes on with this amr.
   */
  | {
      kind: 'enrol_factor'
      id: string
      accountId: string
      first: FirstStep
      stepUp?: string
      then?: StepUpReturn
      skippable: boolean
      /** Offered before the policy is in force (`from`, ms) or within the grace (`skipsLeft`). */
      offered?: { from?: number; skipsLeft?: number }
      /** The diary module asked for the strong level. */
      asked: boolean
      challenge?: string
      totpId?: string
      enrolled?: string[]
      startedAt: number
    }

export type PendingAuthorization = AuthorizationRequest & { startedAt: number }

/** The pages a step-up of the bridge's own (not a diary module's) returns to. */
export type StepUpReturn = '/account' | '/console'

/** The first step of a sign-in that a second factor completes: what the session will say. */
export interface FirstStep {
  method: SessionMethod
  upstreamIssuer?: string
  upstreamSubject?: string
  /** A State Services sign-in: whether the provider vouched for the person. */
  verified?: boolean
  notice?: 'link_superseded'
}

/** What the cookie holds. */
export interface LoginTransactionData {
  region?: string
  /**
   * The school whose own link led to the login page (`/login?region=R&school=ID`): the help links of
   * this login name it. It comes from the link, never from an account (which would tell a stranger
   * where a typed login studies).
   */
  school?: string
  authorize?: PendingAuthorization
  phase?: Phase
  /** The last refused password sign-in: its login, to show the refusal again on the login page (another language). */
  refusal?: { region: string; login: string; at: number }
  /** The WebAuthn challenge of the login page's "sign in with a passkey" (beside any phase: it changes none). */
  passkey?: { region: string; challenge: string; at: number }
}

/** The encrypted cookie as seen from here (@fastify/secure-session's Session fits). */
export interface TransactionCookie {
  get<K extends keyof LoginTransactionData>(key: K): LoginTransactionData[K] | undefined
  set<K extends keyof LoginTransactionData>(key: K, value: LoginTransactionData[K] | undefined): void
  delete(): void
}

type PhaseOf<K extends Phase['kind']> = Extract<Phase, { kind: K }>
type Started<K extends Phase['kind']> = Omit<PhaseOf<K>, 'kind' | 'startedAt' | 'id' | 'previousSecretId'>

export interface LoginTransaction {
  region(): string | undefined
  /** The diary module's request waiting for this sign-in, if it is not too old. */
  pendingAuthorization(): PendingAuthorization | undefined
  /** The current phase if it is `kind` and fresh; otherwise ERR_LOGIN_EXPIRED. */
  take<K extends Exclude<Phase['kind'], 'start'>>(kind: K): PhaseOf<K>
  /** The current phase's kind and region, whatever its age (to pick the right error for a stray request). */
  peek(): { kind: Phase['kind']; region?: string }
  chooseRegion(code: string): void
  /** The login page was opened from a school's link (its id, unchecked: the help page reads it within the region). */
  cameFromSchool(id: string): void
  /** That school, while the region is the same. */
  school(): string | undefined
  awaitAuthorization(request: AuthorizationRequest): void
  /** The diary module got its answer (a code or an error): nothing waits any more. */
  authorizationAnswered(): void
  toUpstream(phase: Started<'upstream'>): void
  toBinding(phase: Started<'binding'>): void
  toChooseAccount(phase: Started<'choose_account'>): void
  toPasswordChange(phase: Started<'password_change'>): void
  /** The same password change under a new id (the old one was consumed), keeping its start time. */
  retryPasswordChange(phase: PhaseOf<'password_change'>): void
  /** The code page of a new request; a fresh code page of the same region before it keeps its code as the previous one. */
  toRecoveryCode(phase: Started<'recovery_code'>): void
  toPasswordReset(phase: Started<'password_reset'>): void
  toLogout(redirectUri: string): void
  toSecondFactor(phase: Started<'second_factor'>): void
  toEnrolFactor(phase: Started<'enrol_factor'>): void
  /** The same factor step, changed (a new challenge, a one-time code app set up, a factor made), same id. */
  updateFactorStep(phase: PhaseOf<'second_factor'> | PhaseOf<'enrol_factor'>): void
  /** The login page offers a passkey sign-in with this challenge. */
  offerPasskey(region: string, challenge: string): void
  /** The challenge the login page of `region` offered (once; fresh), or ERR_LOGIN_EXPIRED. */
  takePasskeyChallenge(region: string): string
  /** A password sign-in in `region` was refused: its login is kept (never the password) so that the login page can say so again. */
  passwordRefused(region: string, login: string): void
  /** The login of a refused password sign-in of `region` at most 2 minutes old, if any. */
  lastRefusal(region: string): { login: string } | undefined
  /** Back to the start after a refusal: the region and a waiting authorization stay. */
  abandon(): void
  /** The login is over (signed in): the cookie goes. */
  done(): void
}

function newTransactionId(): string {
  return randomBytes(16).toString('base64url')
}

export function openLoginTransaction(
  cookie: TransactionCookie,
  options: { ttlSeconds: number; now: () => Date },
): LoginTransaction {
  const refusalShownMs = 2 * 60_000
  const fresh = (startedAt: number, maxAgeMs = options.ttlSeconds * 1000) => {
    const now = options.now().getTime()
    return now - startedAt <= maxAgeMs && startedAt <= now + 60_000
  }
  const started = () => options.now().getTime()
  const setPhase = (phase: Phase) => cookie.set('phase', phase)

  return {
    region: () => cookie.get('region'),
    pendingAuthorization() {
      const pending = cookie.get('authorize')
      return pending !== undefined && fresh(pending.startedAt) ? pending : undefined
    },
    take(kind) {
      const phase = cookie.get('phase')
      if (phase?.kind !== kind || !fresh(phase.startedAt)) {
        throw new BridgeError('ERR_LOGIN_EXPIRED', 'the login attempt is missing or expired')
      }
      return phase as PhaseOf<typeof kind>
    },
    peek() {
      const phase = cookie.get('phase') ?? { kind: 'start' }
      return { kind: phase.kind, region: 'region' in phase ? phase.region : undefined }
    },
    chooseRegion(code) {
      if (cookie.get('region') !== code) cookie.set('school', undefined)
      cookie.set('region', code)
    },
    cameFromSchool: (id) => cookie.set('school', id),
    school: () => cookie.get('school'),
    awaitAuthorization(request) {
      cookie.set('authorize', { ...request, startedAt: started() })
      setPhase({ kind: 'start' })
    },
    authorizationAnswered: () => cookie.set('authorize', undefined),
    toUpstream: (phase) => setPhase({ ...phase, kind: 'upstream', id: newTransactionId(), startedAt: started() }),
    toBinding: (phase) => setPhase({ ...phase, kind: 'binding', id: newTransactionId(), startedAt: started() }),
    toChooseAccount: (phase) =>
      setPhase({ ...phase, kind: 'choose_account', id: newTransactionId(), startedAt: started() }),
    toPasswordChange: (phase) =>
      setPhase({ ...phase, kind: 'password_change', id: newTransactionId(), startedAt: started() }),
    retryPasswordChange: (phase) => setPhase({ ...phase, id: newTransactionId() }),
    toRecoveryCode(phase) {
      const before = cookie.get('phase')
      const previous =
        before?.kind === 'recovery_code' && fresh(before.startedAt) && before.region === phase.region
          ? before.secretId
          : undefined
      setPhase({
        ...phase,
        kind: 'recovery_code',
        ...(previous !== undefined && { previousSecretId: previous }),
        startedAt: started(),
      })
    },
    toPasswordReset: (phase) =>
      setPhase({ ...phase, kind: 'password_reset', id: newTransactionId(), startedAt: started() }),
    toLogout(redirectUri) {
      cookie.set('authorize', undefined)
      setPhase({ kind: 'logout', redirectUri, startedAt: started() })
    },
    toSecondFactor: (phase) =>
      setPhase({ ...phase, kind: 'second_factor', id: newTransactionId(), startedAt: started() }),
    toEnrolFactor: (phase) =>
      setPhase({ ...phase, kind: 'enrol_factor', id: newTransactionId(), startedAt: started() }),
    updateFactorStep: (phase) => setPhase(phase),
    offerPasskey: (region, challenge) => cookie.set('passkey', { region, challenge, at: started() }),
    takePasskeyChallenge(region) {
      const offered = cookie.get('passkey')
      cookie.set('passkey', undefined)
      if (offered?.region !== region || !fresh(offered.at))
        throw new BridgeError('ERR_LOGIN_EXPIRED', 'the passkey sign-in is missing or expired')
      return offered.challenge
    },
    passwordRefused: (region, login) => cookie.set('refusal', { region, login, at: started() }),
    lastRefusal(region) {
      // Long enough to switch the language back and forth, short enough that the next person at a shared
      // school computer does not find the last one's login on the page.
      const refusal = cookie.get('refusal')
      return refusal?.region === region && fresh(refusal.at, refusalShownMs) ? { login: refusal.login } : undefined
    },
    abandon: () => setPhase({ kind: 'start' }),
    done: () => cookie.delete(),
  }
}
