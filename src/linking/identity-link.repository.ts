/*
 * Links between state-services identities and diary accounts: the one place that reads or writes
 * `identity_link`. One identity may be linked to several accounts (schools, regions, roles); the
 * database enforces one link per (issuer, subject, account) and one identity per provider per account;
 * writers rely on those constraints, never on a prior SELECT. A login sees only the links to accounts
 * of its own region (`listLinksOfSubjectInRegion`), the last chosen first.
 */
import { sql } from 'kysely'
import { accountIdsOfRegionSql } from '../accounts/account.repository.js'
import { type AnyCte, type ColumnsOf, type Cte, cte, tableOf } from '../db/cte.js'
import { type Executor, isUuid, type LinkMethod } from '../db/schema.js'

export interface IdentityLink {
  id: string
  issuer: string
  subject: string
  accountId: string
  method: LinkMethod
  /** What the decision rested on ({ snils: 'match', name: 'typo' … }): never values. */
  evidence: Record<string, unknown>
  /**
   * The provider vouched for the person when the link was made (always for `auto_snils`). Only such a
   * link may reset the diary password, and only such a binding by password survives a password change.
   */
  verified: boolean
  createdAt: Date
  /** When the person last chose this account on the chooser page. */
  lastChosenAt: Date | null
}

const columns = [
  'id',
  'issuer',
  'subject',
  'account_id',
  'method',
  'evidence',
  'verified',
  'created_at',
  'last_chosen_at',
] as const

function toLink(row: {
  id: string
  issuer: string
  subject: string
  account_id: string
  method: LinkMethod
  evidence: Record<string, unknown>
  verified: boolean
  created_at: Date
  last_chosen_at: Date | null
}): IdentityLink {
  return {
    id: row.id,
    issuer: row.issuer,
    subject: row.subject,
    accountId: row.account_id,
    method: row.method,
    evidence: row.evidence,
    verified: row.verified,
    createdAt: row.created_at,
    lastChosenAt: row.last_chosen_at,
  }
}

/**
 * The links of an identity to accounts of one region, the last chosen first (then the oldest). With
 * `lock: 'share'` (inside a transaction) the rows stay as read until the transaction ends: a removal or
 * replacement running at the same time waits, and then sees what this transaction did (a session it
 * started through the link).
 */
export async function listLinksOfSubjectInRegion(
  db: Executor,
  identity: { issuer: string; subject: string },
  region: string,
  options: { lock?: 'share' } = {},
): Promise<IdentityLink[]> {
  let query = db
    .selectFrom('identity_link')
    .select(columns)
    .where('issuer', '=', identity.issuer)
    .where('subject', '=', identity.subject)
    .where('account_id', 'in', accountIdsOfRegionSql(region))
    .orderBy(sql`last_chosen_at desc nulls last`)
    .orderBy('created_at')
  if (options.lock === 'share') query = query.forShare()
  return (await query.execute()).map(toLink)
}

/** The links of an identity at every region, oldest first (the account page lists those diaries). */
export async function listLinksOfIdentity(
  db: Executor,
  identity: { issuer: string; subject: string },
): Promise<IdentityLink[]> {
  const rows = await db
    .selectFrom('identity_link')
    .select(columns)
    .where('issuer', '=', identity.issuer)
    .where('subject', '=', identity.subject)
    .orderBy('created_at')
    .execute()
  return rows.map(toLink)
}

/** The link of this identity to this account, if there is one. */
export async function findLinkToAccount(
  db: Executor,
  identity: { issuer: string; subject: string },
  accountId: string,
): Promise<IdentityLink | undefined> {
  const row = await db
    .selectFrom('identity_link')
    .select(columns)
    .where('issuer', '=', identity.issuer)
    .where('subject', '=', identity.subject)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  return row && toLink(row)
}

/** The person chose this link's account on the chooser page: it comes first next time. */
export async function markLinkChosen(db: Executor, id: string, now: Date): Promise<void> {
  await db.updateTable('identity_link').set({ last_chosen_at: now }).where('id', '=', id).execute()
}

export async function findLinkById(db: Executor, id: string): Promise<IdentityLink | undefined> {
  if (!isUuid(id)) return undefined
  const row = await db.selectFrom('identity_link').select(columns).where('id', '=', id).executeTakeFirst()
  return row && toLink(row)
}

/** The links of an account, oldest first. */
export async function listLinksOfAccount(db: Executor, accountId: string): Promise<IdentityLink[]> {
  const rows = await db
    .selectFrom('identity_link')
    .select(columns)
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .execute()
  return rows.map(toLink)
}

/** The links of a subject at any provider (support: "which diary is this State Services person in?"). */
export async function listLinksOfSubject(db: Executor, subject: string): Promise<IdentityLink[]> {
  const rows = await db
    .selectFrom('identity_link')
    .select(columns)
    .where('subject', '=', subject)
    .orderBy('created_at')
    .execute()
  return rows.map(toLink)
}

/** Inserts the link unless a constraint refuses it: then undefined, and nothing is written. */
export async function insertLink(
  db: Executor,
  link: {
    accountId: string
    issuer: string
    subject: string
    method: LinkMethod
    verified: boolean
    evidence: Record<string, unknown>
  },
): Promise<IdentityLink | undefined> {
  const row = await db
    .insertInto('identity_link')
    .values({
      account_id: link.accountId,
      issuer: link.issuer,
      subject: link.subject,
      method: link.method,
      verified: link.verified,
      evidence: JSON.stringify(link.evidence),
    })
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

/** Deletes every link of an account (its erasure); answers how many there were. */
export async function deleteLinksOfAccount(db: Executor, accountId: string): Promise<number> {
  const rows = await db.deleteFrom('identity_link').where('account_id', '=', accountId).returning('id').execute()
  return rows.length
}

/** Deletes the account's link to this provider if, and only if, it was made by password. */
export async function deletePasswordLink(
  db: Executor,
  accountId: string,
  issuer: string,
): Promise<IdentityLink | undefined> {
  const row = await db
    .deleteFrom('identity_link')
    .where('account_id', '=', accountId)
    .where('issuer', '=', issuer)
    .where('method', '=', 'password')
    .returning(columns)
    .executeTakeFirst()
  return row && toLink(row)
}

/** The account's bindings by password from a person the provider did not vouch for, oldest first, locked for the caller's transaction. */
export async function listUnverifiedPasswordLinks(db: Executor, accountId: string): Promise<IdentityLink[]> {
  const rows = await db
    .selectFrom('identity_link')
    .select(columns)
    .where('account_id', '=', accountId)
    .where('method', '=', 'password')
    .where('verified', '=', false)
    .orderBy('created_at')
    .forUpdate()
    .execute()
  return rows.map(toLink)
}

/**
 * `listLinksOfSubjectInRegion(…, { lock: 'share' })` as part of a larger statement, read only when
 * `guard` (a CTE of that statement) has a row: account_id (also as id), method, verified, and `region` for the audit.
 */
export function linksOfSubjectCte<Name extends string, Guard extends AnyCte>(
  name: Name,
  guard: Guard,
  identity: { issuer: string; subject: string },
  region: string,
) {
  const body = sql`select account_id, account_id as id, method, verified, ${region}::text as region from identity_link
      where issuer = ${identity.issuer} and subject = ${identity.subject} and account_id in ${accountIdsOfRegionSql(region)}
        and exists (select 1 from ${tableOf(guard)}) for share`
  return cte(name, ['account_id', 'id', 'method', 'verified', 'region'], body, [guard])
}

/**
 * The rows of `links` when there is exactly one (several: the chooser, on the careful path), none
 * otherwise; `strongOnly`: and only a link made automatically (SNILS and name) for a person the provider
 * vouched for, while the provider vouches for them now (`personVerified`): a link bound with a diary
 * password proves no more than the password.
 */
export function onlyLinkCte<Name extends string, Links extends Cte<string, 'account_id' | 'verified', string>>(
  name: Name,
  links: Links,
  options: { strongOnly?: { personVerified: boolean } } = {},
) {
  const verified =
    options.strongOnly === undefined
      ? sql``
      : sql` and verified and method = 'auto_snils' and ${options.strongOnly.personVerified}::boolean`
  const body = sql`select * from ${tableOf(links)} where (select count(*) from ${tableOf(links)}) = 1${verified}`
  return cte(name, [] as ColumnsOf<Links>[], body, [links])
}
