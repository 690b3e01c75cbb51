/*
 * Linking a state-services identity to a diary account, inside the caller's transaction.
 * - linking and lookup happen within the region of the login: only links to accounts of that region
 *   count, so an identity linked in another region is linked here as if it were new (a second link)
 * - an existing link of the region always wins; several (schools, roles) are answered as `several`,
 *   the last chosen first, and the caller lets the person choose
 * - a link is created by one INSERT … ON CONFLICT DO NOTHING: the database's unique constraints
 *   (one link per identity and account, one identity per provider per account) decide races, not a
 *   prior SELECT; a lost race reads the winner and answers from it, never with an error
 * - a verified person outranks a password binding: when automatic linking picks an account that is
 *   bound to another identity of the same provider *by password*, that link is deleted, the verified
 *   one takes its place (`link_superseded`) and every session of the account ends; a link made by
 *   verified SNILS is never replaced, that is a conflict
 * - binding by password follows the rules of binding.ts; a refusal is a value, not an error
 * - every decision is an audit event in the same transaction (ids, outcome and reason only)
 * - an existing link is read with a share lock: the caller starts the session in the same transaction,
 *   so a removal or replacement of the link at the same moment either waits for it and ends that
 *   session, or happens first and the login finds no link
 */
import type { Transaction } from 'kysely'
import { type Account, findAccountsBornWith, findAccountsBySnils } from '../accounts/account.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RegionConfig } from '../config/load.js'
import { BridgeError } from '../errors.js'
import type { Database, Executor } from '../db/schema.js'
import { normaliseNamePart } from '../person/full-name.js'
import { hmacSnils } from '../person/snils.js'
import { endSessions } from '../sessions/end-sessions.js'
import type { Identity } from '../upstream/connector.js'
import { type BindingIdentity, type BindingRefusal, decideBinding } from './binding.js'
import {
  deletePasswordLink,
  findLinkToAccount,
  insertLink,
  type IdentityLink,
  listLinksOfSubjectInRegion,
} from './identity-link.repository.js'
import { decideAutoLink, type Evidence, type LinkOutcome } from './match.js'

export interface LinkContext {
  region: RegionConfig
  snilsPepper: Buffer
  requestId?: string
  now: Date
}

type LinkWrite = Extract<LinkOutcome, { kind: 'linked' | 'conflict' }>

/** Creates the link, or explains why the database refused it. */
async function createLink(
  db: Executor,
  link: Parameters<typeof insertLink>[1] & { evidence: Evidence },
): Promise<LinkWrite> {
  const inserted = await insertLink(db, link)
  if (inserted !== undefined)
    return { kind: 'linked', accountId: link.accountId, created: true, method: link.method, verified: link.verified }
  const existing = await findLinkToAccount(db, link, link.accountId)
  if (existing !== undefined)
    return {
      kind: 'linked',
      accountId: link.accountId,
      created: false,
      method: existing.method,
      verified: existing.verified,
    }
  return { kind: 'conflict', reason: 'account_linked_elsewhere' }
}

function auditDetails(outcome: LinkOutcome | BindOutcome, issuer: string): Record<string, string | number | boolean> {
  switch (outcome.kind) {
    case 'linked':
      return {
        issuer,
        method: outcome.method,
        verified: outcome.verified,
        created: outcome.created,
        ...(outcome.superseded ? { superseded: true } : {}),
      }
    case 'several':
      return { issuer, accounts: outcome.accountIds.length }
    case 'needs_password':
    case 'conflict':
    case 'refused':
      return { issuer, reason: outcome.reason }
  }
}

async function audit(
  db: Executor,
  context: LinkContext,
  outcome: LinkOutcome | BindOutcome,
  issuer: string,
  event: string,
  accountId?: string,
) {
  await recordAuditEvent(db, {
    type: event,
    outcome: outcome.kind,
    accountId: outcome.kind === 'linked' ? outcome.accountId : (accountId ?? null),
    region: context.region.code,
    requestId: context.requestId,
    details: auditDetails(outcome, issuer),
  })
}

/** The verified link replaces a password binding of the same provider (see the header). */
async function supersedePasswordLink(
  db: Transaction<Database>,
  context: LinkContext,
  identity: Identity,
  accountId: string,
  evidence: Evidence,
): Promise<LinkWrite> {
  const replaced: IdentityLink | undefined = await deletePasswordLink(db, accountId, identity.issuer)
  // Retried even when another callback deleted it first: then this one reads that callback's link.
  const outcome = await createLink(db, {
    accountId,
    issuer: identity.issuer,
    subject: identity.subject,
    method: 'auto_snils',
    verified: true,
    evidence,
  })
  if (replaced === undefined) return outcome
  // Deleted but not replaced (another link of this provider took the account meanwhile): undo the deletion.
  if (outcome.kind !== 'linked' || !outcome.created)
    throw new BridgeError('ERR_LINK_CONFLICT', 'the password link could not be replaced')
  await endSessions(db, { accountId }, 'link_superseded', context.now)
  await recordAuditEvent(db, {
    type: 'link_superseded',
    outcome: 'replaced',
    accountId,
    region: context.region.code,
    requestId: context.requestId,
    details: {
      issuer: identity.issuer,
      supersededLinkId: replaced.id,
      supersededSubject: replaced.subject,
      subject: identity.subject,
    },
  })
  return { ...outcome, superseded: true }
}

/**
 * Decides what a state-services login in the context's region leads to: logged in, a choice among
 * several linked accounts, binding by password, or a conflict.
 */
export async function resolveLink(
  db: Transaction<Database>,
  context: LinkContext,
  identity: Identity,
): Promise<LinkOutcome> {
  const existing = await listLinksOfSubjectInRegion(db, identity, context.region.code, { lock: 'share' })
  let outcome: LinkOutcome
  const [first] = existing
  if (existing.length > 1) {
    outcome = { kind: 'several', accountIds: existing.map((link) => link.accountId) }
  } else if (first !== undefined) {
    outcome = {
      kind: 'linked',
      accountId: first.accountId,
      created: false,
      method: first.method,
      verified: first.verified,
    }
  } else {
    const candidates =
      identity.snils === undefined
        ? []
        : await findAccountsBySnils(db, context.region.code, hmacSnils(context.snilsPepper, identity.snils), 2)
    const decision = decideAutoLink(
      { ...identity, hasSnils: identity.snils !== undefined },
      candidates,
      context.region.linking,
    )
    if (decision.kind === 'needs_password') {
      outcome = decision
    } else {
      const link = {
        accountId: decision.accountId,
        issuer: identity.issuer,
        subject: identity.subject,
        method: 'auto_snils' as const,
        verified: true,
        evidence: decision.evidence,
      }
      outcome = await createLink(db, link)
      if (outcome.kind === 'conflict' && outcome.reason === 'account_linked_elsewhere') {
        outcome = await supersedePasswordLink(db, context, identity, decision.accountId, decision.evidence)
      }
    }
  }
  await audit(db, context, outcome, identity.issuer, 'link_decision')
  return outcome
}

export interface PendingBinding {
  issuer: string
  subject: string
  /** What the provider said of the person (whether it vouches for them), and the HMAC of their valid SNILS if they had one. */
  person: BindingIdentity
}

/** Other diaries of the account's region with its family name, patronymic and birth date (a twin's, say). */
async function countNamesakes(db: Executor, account: Account): Promise<number> {
  const same = (a: string | null, b: string | null) => normaliseNamePart(a) === normaliseNamePart(b)
  const born = await findAccountsBornWith(db, account, 20)
  return born.filter(
    (other) => same(other.familyName, account.familyName) && same(other.patronymic, account.patronymic),
  ).length
}

export type BindOutcome = LinkWrite | { kind: 'refused'; reason: BindingRefusal }

/**
 * Binds an identity to the account whose password was just verified, if binding.ts allows it; the
 * identity may be linked to other accounts already (a second diary), never twice to this one.
 */
export async function bindWithPassword(
  db: Transaction<Database>,
  context: LinkContext,
  binding: PendingBinding,
  account: Account,
  /** What proved the diary side: its password typed now, or a password sign-in of the owner minutes ago. */
  proof: 'verified' | 'recent_sign_in' = 'verified',
): Promise<BindOutcome> {
  const facts = { namesakes: await countNamesakes(db, account), today: context.now.toISOString().slice(0, 10) }
  const decision = decideBinding(binding.person, account, facts, context.region.linking)
  const link = {
    accountId: account.id,
    issuer: binding.issuer,
    subject: binding.subject,
    method: 'password' as const,
    verified: binding.person.verified === true,
  }
  const outcome: BindOutcome =
    decision.kind === 'refuse'
      ? { kind: 'refused', reason: decision.reason }
      : await createLink(db, { ...link, evidence: { ...decision.evidence, password: proof } })
  await audit(db, context, outcome, binding.issuer, 'link_binding', account.id)
  return outcome
}
