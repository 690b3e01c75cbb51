/*
 * Linking a state-services identity to a diary account, inside the caller's transaction.
 * - an existing (issuer, subject) link always wins
 * - the link is created by one INSERT … ON CONFLICT DO NOTHING: the database's unique constraints
 *   (one account per identity, one identity per provider per account) decide races, not a prior
 *   SELECT; a lost race reads the winner and answers from it, never with an error
 * - an account already linked to another identity of the same provider is a conflict: nothing is
 *   overwritten
 * - every decision is an audit event in the same transaction (ids, outcome and reason only)
 */
import type { Kysely, Transaction } from 'kysely'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RegionConfig } from '../config/load.js'
import type { Database, LinkMethod } from '../db/schema.js'
import type { Identity } from '../upstream/identity.js'
import { decideAutoLink, type Evidence, type LinkOutcome } from './match.js'
import { hmacSnils } from './snils.js'

type Db = Kysely<Database> | Transaction<Database>

export interface LinkContext {
  region: RegionConfig
  snilsPepper: Buffer
  requestId?: string
}

function findLink(db: Db, issuer: string, subject: string) {
  return db
    .selectFrom('identity_link')
    .select(['account_id', 'method'])
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst()
}

/** Creates the link, or explains why the database refused it. */
export async function insertLink(
  db: Db,
  link: { accountId: string; issuer: string; subject: string; method: LinkMethod; evidence: Evidence },
): Promise<LinkOutcome> {
  const inserted = await db
    .insertInto('identity_link')
    .values({
      account_id: link.accountId,
      issuer: link.issuer,
      subject: link.subject,
      method: link.method,
      evidence: JSON.stringify(link.evidence),
    })
    .onConflict((conflict) => conflict.doNothing())
    .returning('id')
    .executeTakeFirst()
  if (inserted !== undefined) return { kind: 'linked', accountId: link.accountId, created: true, method: link.method }
  const existing = await findLink(db, link.issuer, link.subject)
  if (existing?.account_id === link.accountId) return { kind: 'linked', accountId: link.accountId, created: false, method: existing.method }
  if (existing !== undefined) return { kind: 'conflict', reason: 'identity_linked_elsewhere' }
  return { kind: 'conflict', reason: 'account_linked_elsewhere' }
}

async function audit(db: Db, context: LinkContext, outcome: LinkOutcome, issuer: string, event: string): Promise<void> {
  await recordAuditEvent(db, {
    type: event,
    outcome: outcome.kind,
    accountId: outcome.kind === 'linked' ? outcome.accountId : null,
    region: context.region.code,
    requestId: context.requestId,
    details: {
      issuer,
      ...(outcome.kind === 'linked' ? { method: outcome.method, created: outcome.created } : { reason: outcome.reason }),
    },
  })
}

/** Decides what a state-services login leads to: logged in, binding by password, or a conflict. */
export async function resolveLink(db: Db, context: LinkContext, identity: Identity): Promise<LinkOutcome> {
  const existing = await findLink(db, identity.issuer, identity.subject)
  let outcome: LinkOutcome
  if (existing !== undefined) {
    outcome = { kind: 'linked', accountId: existing.account_id, created: false, method: existing.method }
  } else {
    const candidates =
      identity.snils === undefined
        ? []
        : await db
            .selectFrom('diary_account')
            .select(['id', 'family_name as familyName', 'given_name as givenName', 'patronymic', 'birth_date as birthDate'])
            .where('region', '=', context.region.code)
            .where('snils_hmac', '=', hmacSnils(context.snilsPepper, identity.snils))
            .limit(2)
            .execute()
    const decision = decideAutoLink(
      { ...identity, hasSnils: identity.snils !== undefined },
      candidates,
      context.region.linking,
    )
    outcome =
      decision.kind === 'needs_password'
        ? decision
        : await insertLink(db, {
            accountId: decision.accountId,
            issuer: identity.issuer,
            subject: identity.subject,
            method: 'auto_snils',
            evidence: decision.evidence,
          })
  }
  await audit(db, context, outcome, identity.issuer, 'link_decision')
  return outcome
}

export interface PendingBinding {
  issuer: string
  subject: string
  /** HMAC of the identity's valid SNILS, if it had one. */
  snilsHmac?: string
}

export type BindOutcome = LinkOutcome | { kind: 'refused'; reason: 'snils_differs' }

/**
 * Binds an identity to the account whose password was just verified. Refused when both sides carry a
 * SNILS and they differ: that diary account belongs to someone else (a parent who knows the child's
 * password must not take over the child's account).
 */
export async function bindWithPassword(
  db: Db,
  context: LinkContext,
  binding: PendingBinding,
  account: { id: string; snilsHmac: string | null },
): Promise<BindOutcome> {
  let outcome: BindOutcome
  if (binding.snilsHmac !== undefined && account.snilsHmac !== null && binding.snilsHmac !== account.snilsHmac) {
    outcome = { kind: 'refused', reason: 'snils_differs' }
    await recordAuditEvent(db, {
      type: 'link_binding',
      outcome: 'refused',
      accountId: account.id,
      region: context.region.code,
      requestId: context.requestId,
      details: { issuer: binding.issuer, reason: outcome.reason },
    })
    return outcome
  }
  outcome = await insertLink(db, {
    accountId: account.id,
    issuer: binding.issuer,
    subject: binding.subject,
    method: 'password',
    evidence: { password: 'verified', snils: binding.snilsHmac === undefined || account.snilsHmac === null ? 'absent' : 'match' },
  })
  await audit(db, context, outcome, binding.issuer, 'link_binding')
  return outcome
}
