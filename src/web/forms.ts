/*
 * What the browser forms and query strings may contain (route schemas, checked by Fastify before a
 * handler runs): a field given twice, too long, or with control characters is a 400 page, never a
 * database error. Passwords are bounded so that nobody makes argon2id hash megabytes.
 */
import { Type, type Static } from 'typebox'
import { uuidPattern } from '../db/schema.js'

const text = (maxLength: number) => Type.String({ maxLength, pattern: '^[^\\u0000-\\u001f\\u007f]*$' })
const password = Type.String({ maxLength: 1024 })
const csrf = Type.Optional(Type.String({ maxLength: 256 }))
const uuid = Type.String({ pattern: uuidPattern })

export const PasswordLoginForm = Type.Object({ _csrf: csrf, login: text(256), password })
export type PasswordLoginForm = Static<typeof PasswordLoginForm>

export const NewPasswordForm = Type.Object({ _csrf: csrf, password, repeat: password })
export type NewPasswordForm = Static<typeof NewPasswordForm>

export const OwnPasswordForm = Type.Object({ _csrf: csrf, current: password, password, repeat: password })
export type OwnPasswordForm = Static<typeof OwnPasswordForm>

export const UnlinkForm = Type.Object({ _csrf: csrf, link: uuid, password: Type.Optional(password) })
export type UnlinkForm = Static<typeof UnlinkForm>

export const EmptyForm = Type.Object({ _csrf: csrf })

export const AccountQuery = Type.Object({
  notice: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z_]*$' })),
  client_id: Type.Optional(text(256)),
  lang: Type.Optional(Type.String({ maxLength: 8 })),
})
export type AccountQuery = Static<typeof AccountQuery>
