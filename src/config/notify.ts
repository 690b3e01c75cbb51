/*
 * The `mail` and `sms` sections of bridge.json, checked and with their secrets read from the environment.
 * - `from` is one address, bare or as `Name <address>`, on one line
 * - SMTP `user` and `passwordEnv` come together; the gateway URL is http(s), https in production
 *   (plain http only to a loopback host)
 * - production: an SMTP connection to another host is encrypted (`secure`, or `requireTls`), because a
 *   recovery link is as good as the password; a secret variable that is not set is a problem
 * - development: a secret variable that is not set is a warning, and that channel stays off
 */
import { checkHttpUrl } from './checks.js'
import type { KeyProblem as Problem } from './problems.js'
import type { EnvironmentVariables, MailFile, SmsFile } from './schema.js'
import { Secret } from './secret.js'

export type MailConfig = Omit<MailFile, 'smtp'> & {
  smtp: Omit<MailFile['smtp'], 'passwordEnv'> & { password?: Secret<string> }
}

export type SmsConfig = Omit<SmsFile, 'authorizationEnv'> & { authorization?: Secret<string> }

interface Context {
  env: EnvironmentVariables
  production: boolean
}

export interface Checked<T> {
  value: T | undefined
  problems: Problem[]
  /** Development only: what is off, and why. */
  warnings: Problem[]
}

const address = /^[^\s@<>"]+@[^\s@<>"]+$/
const named = /^[^<>\r\n]*<([^<>]+)>$/
const loopbackHosts = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

function isFromHeader(text: string): boolean {
  if (/[\r\n]/.test(text)) return false
  const inner = named.exec(text.trim())?.[1] ?? text.trim()
  return address.test(inner)
}

/** The secret a `…Env` key names; a missing one is a problem in production, a warning otherwise. */
function secretFrom(
  name: string,
  path: string,
  channel: string,
  context: Context,
  checked: Checked<unknown>,
): Secret<string> | 'missing' {
  const value = context.env[name]
  if (value !== undefined && value !== '') return new Secret(value)
  if (context.production) checked.problems.push({ path, message: `environment variable ${name} is not set` })
  else
    checked.warnings.push({
      path,
      message: `environment variable ${name} is not set: no ${channel} is sent (in production this stops the start)`,
    })
  return 'missing'
}

export function checkMail(mail: MailFile, context: Context): Checked<MailConfig> {
  const checked: Checked<MailConfig> = { value: undefined, problems: [], warnings: [] }
  const { passwordEnv, ...smtp } = mail.smtp
  if (!isFromHeader(mail.from)) {
    checked.problems.push({
      path: '/mail/from',
      message: 'must be one address: "no-reply@example.ru" or "Name <no-reply@example.ru>"',
    })
  }
  if (smtp.user !== undefined && passwordEnv === undefined)
    checked.problems.push({ path: '/mail/smtp/passwordEnv', message: 'is required with user' })
  if (smtp.user === undefined && passwordEnv !== undefined)
    checked.problems.push({ path: '/mail/smtp/user', message: 'is required with passwordEnv' })
  if (context.production && !smtp.secure && !smtp.requireTls && !loopbackHosts.has(smtp.host)) {
    checked.problems.push({
      path: '/mail/smtp/requireTls',
      message:
        'must be true in production unless secure is true or the host is a local relay (recovery links must not cross the network in clear text)',
    })
  }
  const password =
    passwordEnv === undefined
      ? undefined
      : secretFrom(passwordEnv, '/mail/smtp/passwordEnv', 'e-mail', context, checked)
  if (checked.problems.length === 0 && password !== 'missing') {
    checked.value = { ...mail, smtp: password === undefined ? smtp : { ...smtp, password } }
  }
  return checked
}

export function checkSms(sms: SmsFile, context: Context): Checked<SmsConfig> {
  const checked: Checked<SmsConfig> = { value: undefined, problems: [], warnings: [] }
  const { authorizationEnv, ...rest } = sms
  const urlProblem = checkHttpUrl(sms.gatewayUrl, context)
  if (urlProblem) checked.problems.push({ path: '/sms/gatewayUrl', message: urlProblem })
  const authorization =
    authorizationEnv === undefined
      ? undefined
      : secretFrom(authorizationEnv, '/sms/authorizationEnv', 'SMS', context, checked)
  if (checked.problems.length === 0 && authorization !== 'missing') {
    checked.value = authorization === undefined ? rest : { ...rest, authorization }
  }
  return checked
}
