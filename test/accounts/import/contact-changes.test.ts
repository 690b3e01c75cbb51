import t from 'tap'
import {
  contactChange,
  contactChanges,
  noContacts,
  type StoredContact,
} from '../../../src/accounts/import/contact-changes.js'

const now = new Date('2026-11-29T10:00:00Z')
const earlier = new Date('2026-09-01T08:00:00Z')
const none: StoredContact = { value: null, verifiedAt: null }
const unverified: StoredContact = { value: 'ivan@mail.ru', verifiedAt: null }
const verified: StoredContact = { value: 'ivan@mail.ru', verifiedAt: earlier }
const idnVerified: StoredContact = { value: 'ivan@xn--80a1acny.xn--p1ai', verifiedAt: earlier }
const idnUnverified: StoredContact = { value: 'ivan@xn--80a1acny.xn--p1ai', verifiedAt: null }

t.test('one contact: empty keeps, the same value keeps (or gets verified), another value replaces', async (t) => {
  const cases: [
    stored: StoredContact,
    imported: string | null,
    contactsVerified: boolean,
    expected: ReturnType<typeof contactChange>,
    why: string,
  ][] = [
    [none, null, false, undefined, 'nothing stored, nothing imported'],
    [none, null, true, undefined, 'nothing imported: nothing to verify'],
    [none, 'ivan@mail.ru', false, { from: null, value: 'ivan@mail.ru', verifiedAt: null }, 'a new contact, unverified'],
    [
      none,
      'ivan@mail.ru',
      true,
      { from: null, value: 'ivan@mail.ru', verifiedAt: now },
      'a new contact, verified at the import time',
    ],
    [verified, null, false, undefined, 'an empty cell never wipes a verified contact'],
    [unverified, null, true, undefined, 'an empty cell keeps an unverified one too, even with contactsVerified'],
    [verified, 'ivan@mail.ru', false, undefined, 'the same value keeps its verification'],
    [verified, 'ivan@mail.ru', true, undefined, 'the same value, already verified: its first verification time stays'],
    [unverified, 'ivan@mail.ru', false, undefined, 'the same value stays unverified'],
    [
      unverified,
      'ivan@mail.ru',
      true,
      { from: 'ivan@mail.ru', value: 'ivan@mail.ru', verifiedAt: now },
      'the same value becomes verified',
    ],
    [
      verified,
      'petr@mail.ru',
      false,
      { from: 'ivan@mail.ru', value: 'petr@mail.ru', verifiedAt: null },
      'another value replaces a verified one, unverified',
    ],
    [
      unverified,
      'petr@mail.ru',
      true,
      { from: 'ivan@mail.ru', value: 'petr@mail.ru', verifiedAt: now },
      'another value, verified at the import time',
    ],
    [
      idnVerified,
      'ivan@почта.рф',
      false,
      undefined,
      'the stored address with its domain spelled the other way: the same address, still verified',
    ],
    [
      idnUnverified,
      'ivan@почта.рф',
      true,
      { from: 'ivan@xn--80a1acny.xn--p1ai', value: 'ivan@почта.рф', verifiedAt: now },
      'the same address becomes verified, in the spelling shown',
    ],
  ]
  for (const [stored, imported, contactsVerified, expected, why] of cases) {
    t.same(contactChange('email', stored, imported, { verified: contactsVerified, now }), expected, why)
  }
})

t.test('both contacts: each on its own, undefined when neither changes', async (t) => {
  const options = { verified: false, now }
  t.equal(
    contactChanges(noContacts, { email: null, phone: null }, options),
    undefined,
    'a row without contacts changes nothing',
  )
  t.same(
    contactChanges(noContacts, { email: 'ivan@mail.ru', phone: '+79161234567' }, options),
    {
      email: { from: null, value: 'ivan@mail.ru', verifiedAt: null },
      phone: { from: null, value: '+79161234567', verifiedAt: null },
    },
    'a new account gets both',
  )
  t.same(
    contactChanges(
      { email: verified, phone: { value: '+79161234567', verifiedAt: earlier } },
      { email: 'petr@mail.ru', phone: '+79161234567' },
      options,
    ),
    { email: { from: 'ivan@mail.ru', value: 'petr@mail.ru', verifiedAt: null } },
    'only the e-mail changed: the phone is not in the changes',
  )
  t.equal(
    contactChanges({ email: verified, phone: none }, { email: 'ivan@mail.ru', phone: null }, options),
    undefined,
    'nothing new',
  )
})
