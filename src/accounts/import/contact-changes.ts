/*
 * What an import does to the e-mail and the phone of an account (pure), each contact on its own:
 * - an empty cell or an absent column keeps the stored contact: an import never wipes a contact, which
 *   its owner may have verified
 * - the stored value again keeps it as it is, verified or not; with `contactsVerified` an unverified
 *   one becomes verified at the import time. "Again" is by `contactKey`: an e-mail address whose domain
 *   is spelled the other way (`почта.рф`, `xn--80a1acny.xn--p1ai`) is the same address
 * - another value replaces the stored one, verified at the import time with `contactsVerified` and
 *   unverified without
 * - a new account is an account with no contact stored
 */
import { contactKey } from '../../person/contact.js'

export interface StoredContact {
  value: string | null
  verifiedAt: Date | null
}

export interface AccountContacts {
  email: StoredContact
  phone: StoredContact
}

/** The contact becomes `value`, verified at `verifiedAt`; `from` is the value it replaces. */
export interface ContactChange {
  from: string | null
  value: string
  verifiedAt: Date | null
}

export type ContactChanges = { email?: ContactChange; phone?: ContactChange }

export const noContacts: AccountContacts = {
  email: { value: null, verifiedAt: null },
  phone: { value: null, verifiedAt: null },
}

export interface ContactOptions {
  /** The file's contacts are known to reach their owners. */
  verified: boolean
  now: Date
}

export function contactChange(
  kind: 'email' | 'phone',
  stored: StoredContact,
  imported: string | null,
  options: ContactOptions,
): ContactChange | undefined {
  if (imported === null) return undefined
  const verifiedAt = options.verified ? options.now : null
  if (stored.value === null || contactKey(kind, imported) !== contactKey(kind, stored.value))
    return { from: stored.value, value: imported, verifiedAt }
  if (stored.verifiedAt === null && verifiedAt !== null) return { from: stored.value, value: imported, verifiedAt }
  return undefined
}

/** The changes to both contacts, or undefined when both stay as they are. */
export function contactChanges(
  stored: AccountContacts,
  imported: { email: string | null; phone: string | null },
  options: ContactOptions,
): ContactChanges | undefined {
  const email = contactChange('email', stored.email, imported.email, options)
  const phone = contactChange('phone', stored.phone, imported.phone, options)
  if (email === undefined && phone === undefined) return undefined
  return { ...(email && { email }), ...(phone && { phone }) }
}
