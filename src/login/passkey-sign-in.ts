/*
 * Signing in with a passkey alone (a discoverable credential, WebAuthn Level 2 §5.1.4 with empty
 * allowCredentials): the login page of a region that offers password sign-in also offers "sign in with
 * a passkey". The credential names the account; user verification is required, so the passkey is two
 * factors in one (possession, and the device's PIN or biometrics): amr hwk or swk, and mfa.
 * - the challenge is made when the login page is shown and kept in the login transaction
 * - a credential the bridge does not know is refused without a write (a stranger cannot guess one, and a
 *   signature cannot be tried by brute force); one of another region is refused the same way
 * - a known credential's tries are throttled and audited like a second step (login/second-factor.ts)
 */
import { findAccountById } from '../accounts/account.repository.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { findPasskeyByCredentialId, recordPasskeyUse } from '../factors/factor.repository.js'
import {
  type AuthenticationResponseJSON,
  passkeyAuthenticationOptions,
  verifyPasskeyAssertion,
} from '../factors/passkey.js'
import type { BrowserRequest } from './browser.js'
import { completeSignIn } from './complete-sign-in.js'
import {
  credentialIdOf,
  type FactorAnswer,
  parseCredential,
  passkeyAmr,
  relyingParty,
  storedPasskey,
} from './factor-steps.js'
import { tryFactor } from './second-factor.js'
import { consumeLoginTransaction } from '../sessions/login-session.js'

/** The options of the login page's passkey form (a new challenge, kept in the transaction). */
export async function passkeySignInOptions(context: RouteContext, browser: BrowserRequest, region: string) {
  const options = await passkeyAuthenticationOptions({ rpId: relyingParty(context).rpId })
  browser.transaction.offerPasskey(region, options.challenge)
  return options
}

/** POST /login/passkey: the browser's answer to the login page's challenge. */
export async function signInWithPasskey(
  context: RouteContext,
  browser: BrowserRequest,
  region: string,
  response: string,
): Promise<FactorAnswer> {
  const phase = { region, challenge: browser.transaction.takePasskeyChallenge(region) }
  // Spent on every instance: a copied cookie with a replayed answer signs in nobody.
  if (!(await consumeLoginTransaction(context.db, `passkey:${phase.challenge}`)))
    throw new BridgeError('ERR_LOGIN_EXPIRED', 'this passkey sign-in was already answered')
  const credential = parseCredential(response)
  const credentialId = credential && credentialIdOf(credential)
  const passkey = credentialId === undefined ? undefined : await findPasskeyByCredentialId(context.db, credentialId)
  const account = passkey === undefined ? undefined : await findAccountById(context.db, passkey.accountId)
  if (credential === undefined || passkey === undefined || account === undefined || account.region !== phase.region) {
    context.metrics.login(phase.region, 'passkey', 'failure')
    return { kind: 'wrong' }
  }
  const { rpId, origin } = relyingParty(context)
  const amr = await tryFactor(
    context,
    browser,
    { accountId: account.id, region: account.region, way: 'passkey', purpose: 'sign_in', alone: true },
    async () => {
      const verified = await verifyPasskeyAssertion({
        response: credential as unknown as AuthenticationResponseJSON,
        expectedChallenge: phase.challenge,
        expectedOrigin: origin,
        rpId,
        credential: storedPasskey(passkey),
      })
      if (verified === undefined || !verified.userVerified) return undefined
      return (await recordPasskeyUse(context.db, passkey.id, verified.newSignCount, context.now()))
        ? passkeyAmr(passkey)
        : undefined
    },
  )
  if (amr === undefined) return { kind: 'wrong' }
  // Told only to the holder of the passkey, after its signature, as a password sign-in tells it.
  if (account.state !== 'active') throw new BridgeError('ERR_ACCOUNT_CLOSED', 'the account is deactivated')
  browser.transaction.abandon()
  const location = await completeSignIn(
    context,
    browser,
    { accountId: account.id, method: 'passkey' },
    { assurance: { amr: [amr, 'mfa'], acr: 'mfa' } },
  )
  return { kind: 'next', location }
}
