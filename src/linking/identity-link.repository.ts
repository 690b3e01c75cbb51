/*
 * Links between state-services identities and diary accounts: the one place that reads or writes
 * `identity_link`. The database enforces one account per (issuer, subject) and one identity per
 * provider per account; writers rely on those constraints, never on a prior SELECT.
 */
import { type RawBuilder, sql } from 'kysely'
import { type Executor, isUuid, type LinkMethod } from '../db/schema.js'

export interface IdentityLink {
  id: string
  issuer: string
  subject: string
  accountId: string
  method: LinkMethod
  /** What the decision rested on ({ snils: 'match', name: 'typo' … }): never values. */
  evidence: Record<string, unknown>
  createdAt: Date
}

const columns = ['id', 'issuer', 'subject', 'account_id', 'method', 'evidence', 'created_at'] as const

function toLink(row: {
  id: string
  issuer: string
  subject: string
  account_id: string
  method: LinkMethod
  evidence: Record<string, unknown>
  created_at: Date
}): IdentityLink {
  return {
    id: row.id,
    issuer: row.issuer,
    subject: row.subject,
    accountId: row.account_id,
    method: row.method,
    evidence: row.evidence,
    createdAt: row.created_at,
  }
}

/**
 * The link of an identity. With `lock: 'share'` (inside a transaction) the row stays as read until the
 * transaction ends: a removal or replacement running at the same time waits, and then sees what this
 * transaction did (a session it started through the link).
 */
export async function findLinkBySubject(db: Executor, issuer: string, subject: string, options: { lock?: 'share' } = {}): Promise<IdentityLink | undefined> {
  let query = db.selectFrom('identity_link').select(columns).where('issuer', '=', issuer).where('subject', '=', subject)
  if (options.lock === 'share') query = query.forShare()
  const row = await query.executeTakeFirst()
  return row && toLink(row)
}

export async function findLinkById(db: Executor, id: string): Promise<IdentityLink | undefined> {
  if (!isUuid(id)) return undefined
  const row = await db.selectFrom('identity_link').select(columns).where('id', '=', id).executeTakeFirst()
  return row && toLink(row)
}

/** The links of an account, oldest first. */
export async function listLinksOfAccount(db: Executor, accountId: string): Promise<IdentityLink[]> {
  const rows = await db.selectFrom('identity_link').select(columns).where('account_id', '=', accountId).orderBy('created_at').execute()
  return rows.map(toLink)
}

/** The links of a subject at any provider (support: "which diary is this State Services person in?"). */
export async function listLinksOfSubject(db: Executor, subject: string): Promise<IdentityLink[]> {
  const rows = await db.selectFrom('identity_link').select(columns).where('subject', '=', subject).orderBy('created_at').execute()
  return rows.map(toLink)
}

/** Inserts the link unless a constraint refuses it: then undefined, and nothing is written. */
export async function insertLink(
  db: Executor,
  link: { accountId: string; issuer: string; subject: string; method: LinkMethod; evidence: Record<string, unknown> },
): Promise<IdentityLink | undefined> {
  const row = await db
    .insertInto('identity_link')
    .values({ account_id: link.accountId, issuer: link.issuer, subject: link.subject, method: link.method, evidence: JSON.stringify(link.evidence) })
    .onConflict((conflict) => conflict.doNothing())
    .returning(columns)
    .executeTakeFirst()
  return row && toLink(row)
}

/** Deletes one link by id; answers the deleted link (undefined when it was gone already). */
export async function deleteLink(db: Executor, id: string): Promise<IdentityLink | undefined> {
  const row = await db.deleteFrom('identity_link').where('id', '=', id).returning(columns).executeTakeFirst()
  return row && toLink(row)
}

/** Deletes the account's link to this provider if, and only if, it was made by password. */
export async function deletePasswordLink(db: Executor, accountId: string, issuer: string): Promise<IdentityLink | undefined> {
  const row = await db
    .deleteFrom('identity_link')
    .where('account_id', '=', accountId)
    .where('issuer', '=', issuer)
    .where('method', '=', 'password')
    .returning(columns)
    .executeTakeFirst()
  return row && toLink(row)
}

/**
 * `findLinkBySubject(…, { lock: 'share' })` as part of a larger statement, read only when `guard` (a CTE
 * of that statement) has a row: account_id (also as id), method, and `region` (the login's) for the audit.
 */
export function linkOfSubjectSql(guard: string, issuer: string, subject: string, region: string): RawBuilder<unknown> {
  return sql`select account_id, account_id as id, method, ${region}::text as region from identity_link
    where issuer = ${issuer} and subject = ${subject} and exists (select 1 from ${sql.table(guard)}) for share`
}
