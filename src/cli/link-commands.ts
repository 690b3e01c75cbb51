/*
 * Support desk: the links between State Services identities and diary accounts.
 * - listing by account (login and region) or by State Services subject, at any provider
 * - removing one link needs an operator and a reason (both audited, masked like free text); the
 *   sessions that came into the account through that provider end with it (linking/unlink.ts)
 */
import { findAccountById } from '../accounts/account.repository.js'
import { findLinkById, listLinksOfAccount, listLinksOfSubject } from '../linking/identity-link.repository.js'
import { removeLink } from '../linking/unlink.js'
import { countSessions } from '../sessions/end-sessions.js'
import {
  accountLabel,
  argument,
  type CliCommand,
  findAccountOrSay,
  operatorOption,
  operatorRequired,
  plural,
  regionOption,
  requiredValue,
} from './command.js'
import { formatLink } from './format.js'

const linksList: CliCommand = {
  name: 'links list',
  synopsis: '(--login L --region R | --subject S)',
  summary: 'Lists the State Services links of an account, or the accounts a State Services person is linked to.',
  options: {
    login: '--login L        the diary login (with --region)',
    region: regionOption,
    subject: "--subject S      the State Services subject (the person's id at the provider), at any provider",
  },
  run: async (context, input) => {
    const { login, region, subject } = input.values
    if (subject !== undefined && login === undefined && region === undefined) {
      return context.withDatabase(async (db) => {
        const links = await listLinksOfSubject(db, subject)
        if (links.length === 0) context.out(`no account is linked to subject ${subject}`)
        for (const link of links) {
          const account = await findAccountById(db, link.accountId)
          context.out(`${formatLink(link)}  ${account?.login ?? '—'}  ${account?.region ?? '—'}`)
        }
        return 0
      })
    }
    if (login === undefined || region === undefined || subject !== undefined) {
      context.err('links list needs either --login and --region, or --subject alone')
      return 1
    }
    return context.withDatabase(async (db) => {
      const account = await findAccountOrSay(context, db, region, login)
      if (account === undefined) return 1
      const links = await listLinksOfAccount(db, account.id)
      context.out(`${accountLabel(account)}: ${plural(links.length, 'link')}`)
      for (const link of links) context.out(formatLink(link))
      return 0
    })
  },
}

const linksRemove: CliCommand = {
  name: 'links remove',
  arguments: ['ID'],
  synopsis: 'ID --reason TEXT --operator NAME',
  summary: 'Removes one link (its id from links list); the sessions that came through it end.',
  options: {
    reason: '--reason TEXT    why, in a few words (stored in the audit trail)',
    operator: operatorOption,
  },
  required: { reason: 'the audit trail must say why a link was removed', operator: operatorRequired },
  run: (context, input) =>
    context.withDatabase(async (db) => {
      const id = argument(input, 0)
      const link = await findLinkById(db, id)
      if (link === undefined) {
        context.err(`no link with id "${id}"`)
        return 1
      }
      const account = await findAccountById(db, link.accountId)
      const now = context.now()
      const by = {
        kind: 'support' as const,
        operator: requiredValue(input, 'operator'),
        reason: requiredValue(input, 'reason'),
      }
      const removed = await db
        .transaction()
        .execute((trx) => removeLink(trx, link, by, { now, region: account?.region }))
      const outcome = removed && { sessionsEnded: countSessions(removed.ended) }
      if (outcome === undefined) {
        context.err(`link ${id} was removed by someone else meanwhile`)
        return 1
      }
      const owner = account === undefined ? link.accountId : accountLabel(account)
      context.out(`removed link ${id}: ${link.issuer} subject ${link.subject} (${link.method}) from ${owner}`)
      context.out(`${plural(outcome.sessionsEnded, 'session')} that came through it ended`)
      return 0
    }),
}

export const linkCommands: readonly CliCommand[] = [linksList, linksRemove]
