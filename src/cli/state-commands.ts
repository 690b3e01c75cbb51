/*
 * Support desk: accounts that end (lifecycle/account-state.ts does the work).
 * - deactivate and reactivate need an operator and a reason (audited, masked like free text); a
 *   deactivation ends every session and revokes every refresh token of the account at once
 * - erasure is irreversible: without --confirm it only says what it would do and changes nothing; it
 *   removes names, login, SNILS HMAC, contacts, password and links, and keeps the row's id, region,
 *   role and school and an audit tombstone with ids only (the reason is printed back, never stored)
 * - an erased account has no login any more: it is "no account" like any unknown login
 */
import { maskSnilsLike } from '../person/snils.js'
import { deactivateAccount, eraseAccount, reactivateAccount, type StateOutcome } from '../lifecycle/account-state.js'
import {
  accountLabel,
  argument,
  type CliCommand,
  findAccountOrSay,
  formatTime,
  operatorOption,
  operatorRequired,
  orDash,
  plural,
  regionOption,
  regionRequired,
  requiredValue,
} from './command.js'

const reasonRequired = 'the reason is kept with the account and in the audit trail, for whoever asks later'

/** The state change an operator asks for with --operator and --reason. */
function operatorChange(
  context: Parameters<CliCommand['run']>[0],
  input: Parameters<CliCommand['run']>[1],
  region: string,
  accountId: string,
) {
  return {
    region,
    accountId,
    by: { kind: 'operator' as const, name: requiredValue(input, 'operator') },
    reason: requiredValue(input, 'reason'),
    now: context.now(),
  }
}

const accountsDeactivate: CliCommand = {
  name: 'accounts deactivate',
  arguments: ['LOGIN'],
  synopsis: 'LOGIN --region R --reason TEXT --operator NAME',
  summary:
    'Closes access to the diary: the account can no longer sign in, every session ends and every token is refused at once; links and contacts stay for a reactivation.',
  options: {
    region: regionOption,
    reason: '--reason TEXT    why, in the words of the school ("left the school on 2026-09-01")',
    operator: operatorOption,
  },
  required: { region: regionRequired, reason: reasonRequired, operator: operatorRequired },
  run: (context, input) =>
    context.withDatabase(async (db) => {
      const region = requiredValue(input, 'region')
      const account = await findAccountOrSay(context, db, region, argument(input, 0))
      if (account === undefined) return 1
      const outcome = await deactivateAccount(db, operatorChange(context, input, region, account.id))
      if (outcome.kind === 'unchanged') {
        context.out(
          `${accountLabel(account)} is deactivated already (since ${formatTime(account.deactivation?.at)}, by ${orDash(account.deactivation?.by)}): nothing changed`,
        )
        return 0
      }
      if (outcome.kind === 'not_found') return notFound(context.err, argument(input, 0), region)
      context.out(
        `${accountLabel(account)} is deactivated: it can no longer sign in; ${plural(outcome.sessionsEnded, 'session')} ended`,
      )
      return 0
    }),
}

const accountsReactivate: CliCommand = {
  name: 'accounts reactivate',
  arguments: ['LOGIN'],
  synopsis: 'LOGIN --region R --reason TEXT --operator NAME',
  summary:
    'Opens access again: the account signs in as before, with its links and contacts (tokens issued before the deactivation stay dead).',
  options: {
    region: regionOption,
    reason: '--reason TEXT    why ("came back to the school")',
    operator: operatorOption,
  },
  required: { region: regionRequired, reason: reasonRequired, operator: operatorRequired },
  run: (context, input) =>
    context.withDatabase(async (db) => {
      const region = requiredValue(input, 'region')
      const account = await findAccountOrSay(context, db, region, argument(input, 0))
      if (account === undefined) return 1
      const outcome = await reactivateAccount(db, operatorChange(context, input, region, account.id))
      if (outcome.kind === 'unchanged') {
        context.out(`${accountLabel(account)} is active already: nothing changed`)
        return 0
      }
      if (outcome.kind === 'not_found') return notFound(context.err, argument(input, 0), region)
      context.out(`${accountLabel(account)} is active again: it can sign in with its password and its links`)
      return 0
    }),
}

const accountsErase: CliCommand = {
  name: 'accounts erase',
  arguments: ['LOGIN'],
  synopsis: 'LOGIN --region R --operator NAME [--reason TEXT] --confirm',
  summary:
    "Erases an account's personal data for good (152-FZ): names, login, birth date, SNILS, contacts, password and links; every session ends. Cannot be undone.",
  options: {
    region: regionOption,
    operator: operatorOption,
    reason: '--reason TEXT    why (printed back; not stored: the tombstone keeps ids only)',
    confirm: '--confirm        erase: without it the command only says what it would do',
  },
  flags: ['confirm'],
  required: { region: regionRequired, operator: operatorRequired },
  run: (context, input) =>
    context.withDatabase(async (db) => {
      const region = requiredValue(input, 'region')
      const account = await findAccountOrSay(context, db, region, argument(input, 0))
      if (account === undefined) return 1
      if (!input.flags.has('confirm')) {
        context.err(
          `erasing ${accountLabel(account)} removes for good its names, login, birth date, SNILS, e-mail, phone, password and State Services links, and ends every session; it cannot be undone (to close access for now, use accounts deactivate). Nothing was changed: add --confirm to erase.`,
        )
        return 1
      }
      const outcome: StateOutcome = await eraseAccount(db, {
        region,
        accountId: account.id,
        by: { kind: 'operator', name: requiredValue(input, 'operator') },
        now: context.now(),
      })
      if (outcome.kind !== 'changed') return notFound(context.err, argument(input, 0), region)
      const reason = maskSnilsLike(input.values.reason?.trim() ?? '')
      context.out(
        `${accountLabel(account)} is erased${reason ? ` (${reason})` : ''}: ${plural(outcome.sessionsEnded, 'session')} ended; the row keeps only its id ${account.id}, region, role and school, and the audit trail an account_erased event with ids`,
      )
      return 0
    }),
}

/** A parallel change erased the account between the look-up and the change. */
function notFound(err: (line: string) => void, login: string, region: string): number {
  err(`no account with login "${login}" in region ${region}`)
  return 1
}

export const stateCommands: readonly CliCommand[] = [accountsDeactivate, accountsReactivate, accountsErase]
