/*
 * Support desk: what an account is doing and has done.
 * - ending every session of an account also revokes every refresh-token family it gave out
 *   (sessions/end-sessions.ts); the end and its audit event are one transaction
 * - the audit trail prints oldest first, from `--since` (default 7 days back), at most 500 events
 */
import { listAuditEventsOfAccount } from '../audit/read-audit-events.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import { maskSnilsLike } from '../person/snils.js'
import { countSessions, endSessions } from '../sessions/end-sessions.js'
import {
  accountLabel,
  type CliCommand,
  findAccountOrSay,
  formatTime,
  operatorOption,
  operatorRequired,
  plural,
  regionRequired,
  requiredValue,
} from './command.js'
import { formatAuditEvent } from './format.js'
import { parseSince } from './since.js'

const AUDIT_LIMIT = 500

const loginOption = '--login L        the diary login'
const regionOption = '--region R       the region of the login'

const sessionsEnd: CliCommand = {
  name: 'sessions end',
  synopsis: '--login L --region R --operator NAME',
  summary: 'Signs the account out everywhere: ends every session and revokes every refresh token of its diary modules.',
  options: { login: loginOption, region: regionOption, operator: operatorOption },
  required: { login: 'sessions are ended for one account', region: regionRequired, operator: operatorRequired },
  run: (context, input) =>
    context.withDatabase(async (db) => {
      const account = await findAccountOrSay(context, db, requiredValue(input, 'region'), requiredValue(input, 'login'))
      if (account === undefined) return 1
      const operator = maskSnilsLike(requiredValue(input, 'operator'))
      const ended = await db.transaction().execute(async (trx) => {
        const pairs = await endSessions(trx, { accountId: account.id }, 'support', context.now())
        const counts = {
          sessionsEnded: countSessions(pairs),
          familiesRevoked: pairs.filter((pair) => pair.clientId !== null).length,
        }
        await recordAuditEvent(trx, {
          type: 'sessions_ended',
          outcome: 'success',
          accountId: account.id,
          region: account.region,
          details: { by: 'support', operator, ...counts },
        })
        return counts
      })
      context.out(
        `${accountLabel(account)}: ${plural(ended.sessionsEnded, 'session')} ended, ${plural(ended.familiesRevoked, 'refresh-token family', 'refresh-token families')} revoked`,
      )
      return 0
    }),
}

const auditShow: CliCommand = {
  name: 'audit show',
  synopsis: '--login L --region R [--since 7d]',
  summary: `Prints the account's audit events, oldest first (at most ${AUDIT_LIMIT}): time, type, outcome, request id, details.`,
  options: {
    login: loginOption,
    region: regionOption,
    since: '--since S        30m, 24h, 7d, or an ISO date or date-time (UTC unless an offset is given); default 7d',
  },
  required: { login: 'the audit trail is shown for one account', region: regionRequired },
  run: async (context, input) => {
    const sinceText = input.values.since ?? '7d'
    const since = parseSince(sinceText, context.now())
    if (since === undefined) {
      context.err(
        `--since "${sinceText}" is neither a period (30m, 24h, 7d) nor an ISO date or date-time (2025-09-01, 2025-09-01T08:30Z)`,
      )
      return 1
    }
    return context.withDatabase(async (db) => {
      const account = await findAccountOrSay(context, db, requiredValue(input, 'region'), requiredValue(input, 'login'))
      if (account === undefined) return 1
      const events = await listAuditEventsOfAccount(db, account.id, { since, limit: AUDIT_LIMIT + 1 })
      context.out(
        `${accountLabel(account)}: ${plural(Math.min(events.length, AUDIT_LIMIT), 'event')} since ${formatTime(since)}`,
      )
      for (const event of events.slice(0, AUDIT_LIMIT)) context.out(formatAuditEvent(event))
      if (events.length > AUDIT_LIMIT)
        context.out(`… and more: run again with --since ${formatTime(events[AUDIT_LIMIT]?.at)}`)
      return 0
    })
  },
}

export const activityCommands: readonly CliCommand[] = [sessionsEnd, auditShow]
