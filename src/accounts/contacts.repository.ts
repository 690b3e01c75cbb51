/*
 * The contact details of diary accounts (e-mail, phone) and whether their owner proved to receive
 * messages there. Stored normalised (person/contact.ts); shown masked everywhere.
 * - one account at a time for its owner (the account page, recovery); many at a time for an import
 * - an import replaces a contact only while it still holds the value the import read (`from`): an
 *   owner who changes their contact meanwhile, or a parallel import that created the account, wins;
 *   one statement per batch, whatever its size
 */
import { sql } from 'kysely'
import type { Executor } from '../db/schema.js'
import type { AccountContacts, ContactChanges } from './import/contact-changes.js'

export interface Contacts {
  email: string | null
  emailVerified: boolean
  phone: string | null
  phoneVerified: boolean
}

export type ContactKind = 'email' | 'phone'

export async function findContacts(db: Executor, accountId: string): Promise<Contacts | undefined> {
  const row = await db
    .selectFrom('diary_account')
    .select(['email', 'email_verified_at', 'phone', 'phone_verified_at'])
    .where('id', '=', accountId)
    .executeTakeFirst()
  return (
    row && {
      email: row.email,
      emailVerified: row.email_verified_at !== null,
      phone: row.phone,
      phoneVerified: row.phone_verified_at !== null,
    }
  )
}

/** Sets a contact the owner just proved to receive messages at. */
export async function setVerifiedContact(
  db: Executor,
  accountId: string,
  kind: ContactKind,
  value: string,
  now: Date,
): Promise<void> {
  const columns = kind === 'email' ? { email: value, email_verified_at: now } : { phone: value, phone_verified_at: now }
  await db
    .updateTable('diary_account')
    .set({ ...columns, updated_at: now })
    .where('id', '=', accountId)
    .execute()
}

/** The stored contacts of these logins (already normalised) of a region, by login. */
export async function findContactsByLogins(
  db: Executor,
  region: string,
  logins: readonly string[],
): Promise<Map<string, AccountContacts>> {
  if (logins.length === 0) return new Map()
  const rows = await db
    .selectFrom('diary_account')
    .select(['login', 'email', 'email_verified_at', 'phone', 'phone_verified_at'])
    .where('region', '=', region)
    .where('login', 'in', logins)
    .execute()
  return new Map(
    rows.map((row) => [
      row.login,
      {
        email: { value: row.email, verifiedAt: row.email_verified_at },
        phone: { value: row.phone, verifiedAt: row.phone_verified_at },
      },
    ]),
  )
}

/** Applies the contact changes of these logins of a region; returns how many accounts changed. */
export async function writeContacts(
  db: Executor,
  region: string,
  changes: readonly { login: string; contacts: ContactChanges }[],
  now: Date,
): Promise<number> {
  if (changes.length === 0) return 0
  const records = changes.map(({ login, contacts: { email, phone } }) => ({
    login,
    email_set: email !== undefined,
    email_from: email?.from ?? null,
    email: email?.value ?? null,
    email_verified_at: email?.verifiedAt?.toISOString() ?? null,
    phone_set: phone !== undefined,
    phone_from: phone?.from ?? null,
    phone: phone?.value ?? null,
    phone_verified_at: phone?.verifiedAt?.toISOString() ?? null,
  }))
  const emailApplies = sql`c.email_set and a.email is not distinct from c.email_from`
  const phoneApplies = sql`c.phone_set and a.phone is not distinct from c.phone_from`
  const result = await sql`
    update diary_account a set
      email = case when ${emailApplies} then c.email else a.email end,
      email_verified_at = case when ${emailApplies} then c.email_verified_at else a.email_verified_at end,
      phone = case when ${phoneApplies} then c.phone else a.phone end,
      phone_verified_at = case when ${phoneApplies} then c.phone_verified_at else a.phone_verified_at end,
      updated_at = ${now}
    from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as c(login text, email_set boolean, email_from text, email text,
      email_verified_at timestamptz, phone_set boolean, phone_from text, phone text, phone_verified_at timestamptz)
    where a.region = ${region} and a.login = c.login and ((${emailApplies}) or (${phoneApplies}))`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}

/**
 * Sets both contacts of an account as a system of record sends them (unverified, as an import without
 * `contactsVerified` stores them); a value that stays the same keeps its proof, a changed one loses it.
 */
export async function replaceContacts(
  db: Executor,
  accountId: string,
  contacts: { email: string | null; phone: string | null },
  now: Date,
): Promise<void> {
  await db
    .updateTable('diary_account')
    .set({
      email: contacts.email,
      email_verified_at: sql`case when email is not distinct from ${contacts.email} then email_verified_at end`,
      phone: contacts.phone,
      phone_verified_at: sql`case when phone is not distinct from ${contacts.phone} then phone_verified_at end`,
      updated_at: now,
    })
    .where('id', '=', accountId)
    .where((eb) =>
      eb.or([eb('email', 'is distinct from', contacts.email), eb('phone', 'is distinct from', contacts.phone)]),
    )
    .execute()
}
