/*
 * Reading the audit trail of one account (support desk, and the owner's account page for the links a
 * password change ended): the one place that queries `audit_event`, with hourly-counts.ts, which counts
 * a region's sign-in events by hour for the region overview.
 * - events come oldest first, in the order they were written
 * - a sign-in is a successful diary-password sign-in, or a State Services login that ended linked
 *   (through an existing link, a new automatic one, or a binding with the diary password)
 */
import { type Kysely, sql } from 'kysely'
import type { Database, Executor } from '../db/schema.js'

export interface StoredAuditEvent {
  id: number
  at: Date
  type: string
  outcome: string
  region: string | null
  clientId: string | null
  requestId: string | null
  details: Record<string, unknown>
}

/** The account's events written at or after `since`, oldest first; at most `limit`. */
export async function listAuditEventsOfAccount(
  db: Kysely<Database>,
  accountId: string,
  options: { since: Date; limit: number },
): Promise<StoredAuditEvent[]> {
  const rows = await db
    .selectFrom('audit_event')
    .select(['id', 'at', 'type', 'outcome', 'region', 'client_id', 'request_id', 'details'])
    .where('account_id', '=', accountId)
    .where('at', '>=', options.since)
    .orderBy('id')
    .limit(options.limit)
    .execute()
  return rows.map((row) => ({
    id: row.id,
    at: row.at,
    type: row.type,
    outcome: row.outcome,
    region: row.region,
    clientId: row.client_id,
    requestId: row.request_id,
    details: row.details,
  }))
}

/** When the account last signed in, as far as the audit trail knows. */
export async function lastSignInOfAccount(db: Kysely<Database>, accountId: string): Promise<Date | undefined> {
  const row = await db
    .selectFrom('audit_event')
    .select('at')
    .where('account_id', '=', accountId)
    .where((eb) =>
      eb.or([
        eb.and([eb('type', '=', 'password_sign_in'), eb('outcome', '=', 'success')]),
        eb.and([eb('type', 'in', ['link_decision', 'link_binding']), eb('outcome', '=', 'linked')]),
      ]),
    )
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.at
}

/** A State Services link that a password change ended (linking/unlink.ts), as the owner is told of it. */
export interface EndedLink {
  endedAt: Date
  issuer: string
  linkedAt: Date | undefined
}

/** The links of the account that password changes ended at or after `since`, newest first. */
export async function listLinksEndedByPasswordChange(
  db: Kysely<Database>,
  accountId: string,
  since: Date,
): Promise<EndedLink[]> {
  const rows = await db
    .selectFrom('audit_event')
    .select(['at', 'details'])
    .where('account_id', '=', accountId)
    .where('at', '>=', since)
    .where('type', '=', 'link_removed')
    .where(sql<string>`details->>'by'`, '=', 'password_change')
    .orderBy('id', 'desc')
    .limit(20)
    .execute()
  return rows.map((row) => {
    const { issuer, linkedAt } = row.details as { issuer?: unknown; linkedAt?: unknown }
    return {
      endedAt: row.at,
      issuer: String(issuer),
      linkedAt: typeof linkedAt === 'string' ? new Date(linkedAt) : undefined,
    }
  })
}

/** How many times the account put off enrolling a second factor (`second_factor_enrolment` skipped) since `since`. */
export async function countSkippedEnrolments(
  db: Executor,
  accountId: string,
  since: string | undefined,
): Promise<number> {
  const row = await db
    .selectFrom('audit_event')
    .select((eb) => eb.fn.countAll<string>().as('skips'))
    .where('account_id', '=', accountId)
    .where('type', '=', 'second_factor_enrolment')
    .where('outcome', '=', 'skipped')
    .$if(since !== undefined, (query) => query.where('at', '>=', new Date(Date.parse(since as string))))
    .executeTakeFirstOrThrow()
  return Number(row.skips)
}

/** One sign-in event of the audit trail: ids and codes only (see record-audit-event.ts). */
export interface SignInEvent {
  at: Date
  type: string
  outcome: string
  details: Record<string, unknown>
}

/*
 * Which events are sign-ins (what the audit trail holds of them):
 * - a success: a diary password (`password_sign_in`), a State Services login that ended linked
 *   (`link_decision`, `link_binding`) or in the chosen one of several diaries (`account_choice`), a
 *   passkey alone (`passkey_sign_in`), a second factor given at a sign-in or step-up (`second_factor`)
 * - a refusal: a wrong password or a closed account at the sign-in or the State Services binding page,
 *   a State Services decision or binding refused with its reason, a wrong second factor or passkey, and
 *   a block lifted by the support desk (`account_unblocked`); an attempt refused during a block is
 *   counted in the metrics only (login/password-attempt.ts), the block itself is the throttle's
 * - a factor confirmed while enrolling it (`second_factor`, purpose `enrolment`) is no sign-in
 */
const signInOutcomes = {
  success: {
    password_sign_in: ['success'],
    link_decision: ['linked'],
    link_binding: ['linked'],
    account_choice: ['chosen'],
    passkey_sign_in: ['success'],
    second_factor: ['success'],
  },
  failure: {
    password_sign_in: ['failure', 'closed'],
    password_binding: ['failure', 'closed'],
    link_decision: ['needs_password', 'conflict'],
    link_binding: ['refused', 'conflict'],
    passkey_sign_in: ['failure'],
    second_factor: ['failure'],
    account_unblocked: ['unblocked'],
  },
} as const satisfies Record<string, Record<string, readonly string[]>>

/**
 * The codes and counts of `details` a sign-in is told by; the rest stays in the trail (an issuer, a link
 * id, and the operator's name that `account_unblocked` keeps).
 */
const signInDetailKeys = ['reason', 'way', 'purpose', 'method', 'created', 'verified', 'accounts', 'failures']
const signInDetails = sql<Record<string, unknown>>`jsonb_strip_nulls(jsonb_build_object(${sql.join(
  signInDetailKeys.map((key) => sql`${sql.lit(key)}::text, details->${sql.lit(key)}`),
)}))`

/** The account's last `limit` successful sign-ins and last `limit` refused ones (newest first), from the audit trail, in one statement. */
export async function readSignInHistory(
  db: Executor,
  accountId: string,
  limit = 10,
): Promise<{ successes: SignInEvent[]; failures: SignInEvent[] }> {
  // Each side walks the index (account_id, at) backwards and stops after `limit` rows of its own.
  const side = (kind: keyof typeof signInOutcomes) =>
    db
      .selectFrom('audit_event')
      .select(['id', 'at', 'type', 'outcome', sql<typeof kind>`${kind}::text`.as('kind')])
      .select(signInDetails.as('details'))
      .where('account_id', '=', accountId)
      .where((eb) =>
        eb.or(
          Object.entries(signInOutcomes[kind]).map(([type, outcomes]) =>
            eb.and([eb('type', '=', type), eb('outcome', 'in', outcomes)]),
          ),
        ),
      )
      .where(sql<string>`details->>'purpose'`, 'is distinct from', 'enrolment')
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
  const rows = await db
    .selectFrom(side('success').as('successes'))
    .selectAll()
    .unionAll(db.selectFrom(side('failure').as('failures')).selectAll())
    .execute()
  const newestFirst = (a: { at: Date; id: number }, b: { at: Date; id: number }) =>
    b.at.getTime() - a.at.getTime() || b.id - a.id
  const events = (kind: keyof typeof signInOutcomes) =>
    rows
      .filter((row) => row.kind === kind)
      .sort(newestFirst)
      .map((row) => ({ at: row.at, type: row.type, outcome: row.outcome, details: row.details }))
  return { successes: events('success'), failures: events('failure') }
}
