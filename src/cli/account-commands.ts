/*
 * Support desk: looking up diary accounts, lifting a throttle block, issuing a temporary password.
 * - a SNILS shows only as its last four digits; password hashes, tokens and SNILS HMACs never show
 * - every change names its operator in the audit trail, masked like any free text that may hold a SNILS
 */
import type { Kysely } from 'kysely'
import { type Account, findAccountsByFamilyName } from '../accounts/account.repository.js'
import { resetPassword } from '../lifecycle/change-password.js'
import { unblockAccount } from '../lifecycle/unblock.js'
import { createPasswordHasher } from '../accounts/password-hash.js'
import { findAccountThrottle } from '../accounts/throttle.js'
import { lastSignInOfAccount } from '../audit/read-audit-events.js'
import type { Database } from '../db/schema.js'
import { listLinksOfAccount } from '../linking/identity-link.repository.js'
import { maskSnils } from '../person/snils.js'
import { listActiveSessions } from '../sessions/login-session.js'
import {
  accountLabel,
  argument,
  type CliCommand,
  type CommandContext,
  findAccountOrSay,
  formatTime,
  fullName,
  operatorOption,
  operatorRequired,
  orDash,
  plural,
  regionOption,
  regionRequired,
  requiredValue,
} from './command.js'
import { formatLink, formatSession } from './format.js'
import { matchesNameQuery, parseNameQuery } from './name-query.js'

const FIND_LIMIT = 50
/** How many accounts of one family name are read before the given name narrows them. */
const FAMILY_LIMIT = 10_000

async function printAccount(context: CommandContext, db: Kysely<Database>, account: Account): Promise<void> {
  const now = context.now()
  const throttle = await findAccountThrottle(
    db,
    context.config.secrets.snilsPepper.reveal(),
    account.region,
    account.login,
  )
  const until = throttle?.blockedUntil ?? undefined
  let blocked = 'no'
  if (until !== undefined && until > now) blocked = `yes, until ${formatTime(until)}`
  else if (throttle !== undefined)
    blocked = `no (${plural(throttle.failures, 'failed attempt')} since ${formatTime(throttle.windowStartedAt)})`
  const links = await listLinksOfAccount(db, account.id)
  const idleTimeoutSeconds = context.config.bridge.session.idleTimeoutSeconds
  const sessions = await listActiveSessions(db, account.id, { now, idleTimeoutSeconds })
  const fields: Array<[string, string]> = [
    ['login', account.login],
    ['region', account.region],
    ['state', account.state],
    ...(account.deactivation === null
      ? []
      : ([
          ['deactivated at', formatTime(account.deactivation.at)],
          ['deactivated by', account.deactivation.by],
          ['reason', orDash(account.deactivation.reason)],
        ] as Array<[string, string]>)),
    ['role', account.role],
    ['full name', fullName(account)],
    ['birth date', orDash(account.birthDate)],
    ['SNILS', account.snilsLast4 === null ? '—' : maskSnils(account.snilsLast4)],
    ['school', orDash(account.school)],
    ['class', orDash(account.className)],
    ['must change password', account.mustChangePassword ? 'yes' : 'no'],
    ['password changed at', formatTime(account.passwordChangedAt)],
    ['blocked', blocked],
    ['last sign-in', formatTime(await lastSignInOfAccount(db, account.id))],
    ['links', String(links.length)],
  ]
  for (const [label, value] of fields) context.out(`${`${label}:`.padEnd(22)}${value}`)
  for (const link of links) context.out(`  ${formatLink(link)}`)
  context.out(`${'active sessions:'.padEnd(22)}${sessions.length}`)
  for (const session of sessions) context.out(`  ${formatSession(session)}`)
}

const accountsShow: CliCommand = {
  name: 'accounts show',
  arguments: ['LOGIN'],
  synopsis: 'LOGIN --region R',
  summary:
    'Shows an account: who it is, its state (when deactivated: when, by whom and why), whether it is blocked, its State Services links and active sessions.',
  options: { region: regionOption },
  required: { region: regionRequired },
  run: (context, input) =>
    context.withDatabase(async (db) => {
      const account = await findAccountOrSay(context, db, requiredValue(input, 'region'), argument(input, 0))
      if (account === undefined) return 1
      await printAccount(context, db, account)
      return 0
    }),
}

const accountsFind: CliCommand = {
  name: 'accounts find',
  synopsis: '--name "Фамилия [Имя [Отчество]]" --region R',
  summary: `Finds accounts by name: the family name in full (any case, ё = е), the given name and patronymic by their beginning; at most ${FIND_LIMIT}.`,
  options: {
    name: '--name TEXT      family name, then optionally given name and patronymic (or their beginnings)',
    region: regionOption,
  },
  required: { name: 'the search is by name', region: 'accounts are searched within one region' },
  run: async (context, input) => {
    const query = parseNameQuery(requiredValue(input, 'name'))
    if (query === undefined) {
      context.err('--name takes a family name, then optionally a given name and a patronymic: "Иванова Мария Петровна"')
      return 1
    }
    const region = requiredValue(input, 'region')
    return context.withDatabase(async (db) => {
      const family = await findAccountsByFamilyName(db, region, query.familyName, FAMILY_LIMIT)
      const truncated = family.length === FAMILY_LIMIT
      const matches = family
        .filter((account) => matchesNameQuery(account, query))
        .sort((a, b) => fullName(a).localeCompare(fullName(b), 'ru') || a.login.localeCompare(b.login))
      if (matches.length === 0) context.out(`no account in region ${region} matches "${input.values.name}"`)
      for (const account of matches.slice(0, FIND_LIMIT)) {
        const columns = [
          account.login,
          fullName(account),
          account.role,
          orDash(account.birthDate),
          orDash(account.school),
          orDash(account.className),
        ]
        context.out(columns.join('  '))
      }
      if (matches.length > FIND_LIMIT) context.out(`… and ${matches.length - FIND_LIMIT} more: give more of the name`)
      if (truncated)
        context.out(
          `the family name alone matches more than ${FAMILY_LIMIT} accounts: some may be missing, give more of the name`,
        )
      return 0
    })
  },
}

/** An operator's change to the account LOGIN of --region: `change` runs once the account is found (none: a line on stderr, exit 1). */
function accountChange(
  command: Pick<CliCommand, 'name' | 'summary'>,
  change: (context: CommandContext, db: Kysely<Database>, account: Account, operator: string) => Promise<number>,
): CliCommand {
  return {
    ...command,
    arguments: ['LOGIN'],
    synopsis: 'LOGIN --region R --operator NAME',
    options: { region: regionOption, operator: operatorOption },
    required: { region: regionRequired, operator: operatorRequired },
    run: (context, input) =>
      context.withDatabase(async (db) => {
        const account = await findAccountOrSay(context, db, requiredValue(input, 'region'), argument(input, 0))
        return account === undefined ? 1 : change(context, db, account, requiredValue(input, 'operator'))
      }),
  }
}

const accountsUnblock = accountChange(
  {
    name: 'accounts unblock',
    summary: 'Lifts the block after too many wrong passwords (and clears the count of failed attempts).',
  },
  async (context, db, account, operator) => {
    const { blockedUntil: cleared } = await unblockAccount(db, context.config.secrets.snilsPepper.reveal(), account, {
      operator,
      now: context.now(),
    })
    if (cleared === undefined)
      context.out(`${accountLabel(account)} was not blocked; its count of failed attempts is cleared`)
    else context.out(`${accountLabel(account)} is unblocked (the block would have lasted until ${formatTime(cleared)})`)
    return 0
  },
)

const accountsResetPassword = accountChange(
  {
    name: 'accounts reset-password',
    summary:
      'Issues a new temporary password, printed once: it must be changed at the next sign-in; every session ends.',
  },
  async (context, db, account, operator) => {
    const hasher = createPasswordHasher({ workers: 1, maxQueue: 1 })
    const reset = await resetPassword(db, hasher, account, { operator, now: context.now() }).finally(() =>
      hasher.close(),
    )
    context.out(`temporary password for ${accountLabel(account)}: ${reset.password}`)
    context.out('it is shown only this once; the person must choose a new password at the next sign-in')
    context.out('every session of the account has ended')
    if (reset.endedLinks.length > 0) {
      context.out(
        `${plural(reset.endedLinks.length, 'State Services link')} made by password from an unverified account ended:`,
      )
      for (const link of reset.endedLinks) context.out(`  ${formatLink(link)}`)
    }
    return 0
  },
)

export const accountCommands: readonly CliCommand[] = [
  accountsShow,
  accountsFind,
  accountsUnblock,
  accountsResetPassword,
]
