/*
 * Support desk: an account's second factors (factors/).
 * - `accounts factors` lists kinds, names, when each was made and last used, and how many recovery codes
 *   are left; never a secret, a key or a code
 * - `accounts reset-factors` is for a person who lost the phone or the key: every factor and recovery code
 *   goes, every session ends; it needs an operator and a reason (audited as `factors_reset`) and, like
 *   erasure, --confirm: without it nothing changes. The person then signs in with the password and enrols
 *   anew (where the region requires a factor, the sign-in leads to the enrolment); the owner is told at the
 *   confirmed contacts, so a reset asked for by someone else does not go unnoticed
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { notifyFactorChange } from '../factors/factor-notices.js'
import { factorSummary, listFactors, type Factor } from '../factors/factor.repository.js'
import { closeSenders, createSenders } from '../notify/open-senders.js'
import { resetFactors } from '../factors/reset-factors.js'
import {
  accountLabel,
  argument,
  type CliCommand,
  type CommandContext,
  findAccountOrSay,
  formatTime,
  operatorOption,
  operatorRequired,
  plural,
  regionOption,
  regionRequired,
  requiredValue,
} from './command.js'

/** kind  name  created  last used  [synced] */
function formatFactor(factor: Factor): string {
  const kind = factor.kind === 'passkey' ? 'passkey' : 'one-time codes (app)'
  const synced = factor.kind === 'passkey' ? [factor.multiDevice ? 'synced' : 'this device only'] : []
  return [
    kind,
    factor.name,
    `created ${formatTime(factor.createdAt)}`,
    `last used ${formatTime(factor.lastUsedAt)}`,
    ...synced,
  ].join('  ')
}

/** Tells the owner at their confirmed contacts (in Russian: the CLI does not know their language) and says how it went. */
async function tellOwner(context: CommandContext, db: Kysely<Database>, accountId: string): Promise<string> {
  const senders = createSenders(context.config)
  try {
    const { sent, failed } = await notifyFactorChange({ db, senders, locale: 'ru' }, accountId, {
      kind: 'reset',
      factor: 'passkey',
    })
    const told = sent.length > 0 ? `the owner was told by ${sent.join(' and ')}` : 'the owner was not told'
    const reason =
      failed.length > 0
        ? ` (${failed.join(' and ')} refused the message)`
        : sent.length === 0
          ? ' (no confirmed contact, or no sender configured)'
          : ''
    return `${told}${reason}`
  } finally {
    await closeSenders(senders)
  }
}

const accountsFactors: CliCommand = {
  name: 'accounts factors',
  arguments: ['LOGIN'],
  synopsis: 'LOGIN --region R',
  summary: "Lists the account's second factors (passkeys, one-time code apps) and how many recovery codes are left.",
  options: { region: regionOption },
  required: { region: regionRequired },
  run: (context, input) =>
    context.withDatabase(async (db) => {
      const region = requiredValue(input, 'region')
      const account = await findAccountOrSay(context, db, region, argument(input, 0))
      if (account === undefined) return 1
      const factors = await listFactors(db, account.id)
      const summary = await factorSummary(db, account.id)
      context.out(
        `${accountLabel(account)}: ${plural(summary.passkeys, 'passkey')}, ${plural(summary.totp, 'one-time code app')}, ${plural(summary.recoveryCodesLeft, 'recovery code')} left`,
      )
      for (const factor of factors) context.out(formatFactor(factor))
      return 0
    }),
}

const accountsResetFactors: CliCommand = {
  name: 'accounts reset-factors',
  arguments: ['LOGIN'],
  synopsis: 'LOGIN --region R --reason TEXT --operator NAME --confirm',
  summary:
    'Removes every second factor and recovery code of the account and ends its sessions (a lost phone or key): it signs in with the password alone until it enrols again.',
  options: {
    region: regionOption,
    reason: '--reason TEXT    why, and how the person was identified ("lost phone; passport seen at school 6")',
    operator: operatorOption,
    confirm: '--confirm        reset: without it the command only says what it would do',
  },
  flags: ['confirm'],
  required: {
    region: regionRequired,
    reason: 'the audit trail must say why the factors of an account were removed',
    operator: operatorRequired,
  },
  run: (context, input) =>
    context.withDatabase(async (db) => {
      const region = requiredValue(input, 'region')
      const account = await findAccountOrSay(context, db, region, argument(input, 0))
      if (account === undefined) return 1
      if (!input.flags.has('confirm')) {
        const summary = await factorSummary(db, account.id)
        context.err(
          `resetting ${accountLabel(account)} removes ${plural(summary.passkeys, 'passkey')}, ${plural(summary.totp, 'one-time code app')} and ${plural(summary.recoveryCodesLeft, 'recovery code')} and ends every session; check who is asking first. Nothing was changed: add --confirm to reset.`,
        )
        return 1
      }
      const outcome = await resetFactors(db, {
        region,
        accountId: account.id,
        operator: requiredValue(input, 'operator'),
        reason: requiredValue(input, 'reason'),
        now: context.now(),
      })
      if (outcome.kind === 'not_found') {
        context.err(`no account with login "${argument(input, 0)}" in region ${region}`)
        return 1
      }
      const { removed } = outcome
      context.out(
        `${accountLabel(account)}: removed ${plural(removed.passkeys, 'passkey')}, ${plural(removed.totp, 'one-time code app')} and ${plural(removed.recoveryCodes, 'unused recovery code')}; ${plural(outcome.sessionsEnded, 'session')} ended. It signs in with its password and can enrol again.`,
      )
      context.out(await tellOwner(context, db, account.id))
      return 0
    }),
}

export const factorCommands: readonly CliCommand[] = [accountsFactors, accountsResetFactors]
