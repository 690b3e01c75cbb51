/*
 * What the browser forms and query strings may contain (route schemas, checked by Fastify before a
 * handler runs, so that bad input is a 400 page and never a database error):
 * - every value is bounded and valid Unicode: no lone surrogates, no U+FFFD (what bytes that are not
 *   UTF-8 decode to, see `parseForm`)
 * - names, logins and codes have no control characters at all; free text from other parties (OAuth
 *   parameters, a provider's error description) may carry tabs and line breaks, nothing else
 * - a field given twice is an array, which only the OAuth endpoints accept (they answer it themselves)
 * - every route of the browser scope has a query schema, and every POST route a body schema
 *   (`defaultSchemas`): parameters nobody declared are checked too
 * Passwords are bounded so that nobody makes argon2id hash megabytes.
 */
import { Type, type Static, type TSchema } from 'typebox'
import { uuidPattern } from '../db/schema.js'

const noControls = '^[^\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff\\ufffd]*$'
const noControlsButWhitespace =
  '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\ud800-\\udfff\\ufffd]*$'

const text = (maxLength: number) => Type.String({ maxLength, pattern: noControls })
const freeText = (maxLength: number) => Type.String({ maxLength, pattern: noControlsButWhitespace })
const password = text(1024)
const csrf = Type.Optional(Type.String({ maxLength: 256, pattern: '^[\\x21-\\x7e]*$' }))
const lang = Type.Optional(text(8))
const uuid = Type.String({ pattern: uuidPattern })

/** Any other parameter of a page: one bounded value. */
const otherParameter = freeText(2048)
/** A parameter of an OAuth request: the endpoint itself refuses one given twice, with the right error. */
const oauthParameter = Type.Union([freeText(4096), Type.Array(freeText(4096), { maxItems: 8 })])

const form = <T extends Record<string, TSchema>>(fields: T) =>
  Type.Object({ _csrf: csrf, ...fields }, { additionalProperties: otherParameter })
const query = <T extends Record<string, TSchema>>(fields: T) =>
  Type.Object({ lang, ...fields }, { additionalProperties: otherParameter })

export const PasswordLoginForm = form({ login: text(256), password })
export type PasswordLoginForm = Static<typeof PasswordLoginForm>

export const NewPasswordForm = form({ password, repeat: password })
export type NewPasswordForm = Static<typeof NewPasswordForm>

export const OwnPasswordForm = form({ current: password, password, repeat: password })
export type OwnPasswordForm = Static<typeof OwnPasswordForm>

export const UnlinkForm = form({ link: uuid, password: Type.Optional(password) })
export type UnlinkForm = Static<typeof UnlinkForm>

export const EmptyForm = form({})

export const ChooseAccountForm = form({ account: uuid })
export type ChooseAccountForm = Static<typeof ChooseAccountForm>

export const ForgotForm = form({ login: text(256), via: Type.Union([Type.Literal('email'), Type.Literal('sms')]) })
export type ForgotForm = Static<typeof ForgotForm>

/** A one-time code as typed: digits, perhaps with spaces or dashes (login/password-recovery.ts reads it). */
export const CodeForm = form({ code: text(32) })
export type CodeForm = Static<typeof CodeForm>

const linkToken = Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]*$' })

export const TokenQuery = query({ token: Type.Optional(linkToken) })
export type TokenQuery = Static<typeof TokenQuery>

export const TokenForm = form({ token: linkToken })
export type TokenForm = Static<typeof TokenForm>

/** A new e-mail address or phone number; absent: confirm the one the account has. */
export const ContactForm = form({ email: Type.Optional(text(320)), phone: Type.Optional(text(64)) })
export type ContactForm = Static<typeof ContactForm>

export const LoginQuery = query({
  region: Type.Optional(text(64)),
  /** The school whose link this is (its help links name it). */
  school: Type.Optional(uuid),
  q: Type.Optional(text(256)),
  choose: Type.Optional(text(16)),
  notice: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z_]*$' })),
  /** The page again after a refused password sign-in (its language switch): the refusal is read from the login cookie. */
  refused: Type.Optional(text(16)),
})
export type LoginQuery = Static<typeof LoginQuery>

export const HelpQuery = query({
  region: Type.Optional(text(64)),
  /** A school's id (a uuid); anything else shows no card. */
  school: Type.Optional(text(64)),
})
export type HelpQuery = Static<typeof HelpQuery>

export const AccountQuery = query({
  notice: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z_]*$' })),
  client_id: Type.Optional(text(256)),
})
export type AccountQuery = Static<typeof AccountQuery>

/** The parameters of an OAuth request (GET query or POST form), every one bounded; the endpoint reads them. */
export const OAuthParameters = Type.Record(Type.String({ maxLength: 128, pattern: noControls }), oauthParameter, {
  maxProperties: 64,
})

/** Pages without parameters of their own, and the provider's answer at the callback. */
export const PageQuery = Type.Record(Type.String({ maxLength: 128, pattern: noControls }), otherParameter, {
  maxProperties: 64,
})

/** The schemas of a browser route that declares none: a page query; a form body for POST. */
export function defaultSchemas(method: string | readonly string[]): { querystring: TSchema; body?: TSchema } {
  return method === 'POST' ? { querystring: PageQuery, body: EmptyForm } : { querystring: PageQuery }
}

/**
 * A form body (application/x-www-form-urlencoded) decoded strictly: percent-escapes that are not UTF-8
 * become U+FFFD, which the schemas refuse, instead of staying as literal text. A repeated field is an array.
 */
export function parseForm(body: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>
  for (const [name, value] of new URLSearchParams(body)) {
    const previous = fields[name]
    fields[name] = previous === undefined ? value : [previous, value].flat()
  }
  return fields
}

/** A one-time code of an app (six digits) or a recovery code, as typed. */
export const FactorCodeForm = form({ code: text(32) })
export type FactorCodeForm = Static<typeof FactorCodeForm>

/** A WebAuthn credential as /assets/passkey.js posts it (JSON, binary values base64url). */
export const PasskeyForm = form({ response: Type.String({ maxLength: 12_000, pattern: '^[\\x20-\\x7e]*$' }) })
export type PasskeyForm = Static<typeof PasskeyForm>

/** The one-time code app being set up on the account page, and its first code. */
export const OwnTotpForm = form({ factor: uuid, code: text(32) })
export type OwnTotpForm = Static<typeof OwnTotpForm>

/** One of the account's factors. */
export const FactorForm = form({ factor: uuid })
export type FactorForm = Static<typeof FactorForm>

/** The current password again, to confirm who you are. */
export const ConfirmPasswordForm = form({ password })
export type ConfirmPasswordForm = Static<typeof ConfirmPasswordForm>

export const SecurityQuery = query({ notice: Type.Optional(text(32)) })
export type SecurityQuery = Static<typeof SecurityQuery>
