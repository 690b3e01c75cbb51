import t from 'tap'
import { contactKey, maskEmail, maskPhone, parseEmail, parsePhone } from '../../src/person/contact.js'

t.test('parseEmail: trimmed, lower-cased, NFC; one @, a dot-atom local part, a domain with a TLD', async (t) => {
  const local64 = 'a'.repeat(64)
  const label63 = 'b'.repeat(63)
  const cases: [input: string, expected: ReturnType<typeof parseEmail>, why: string][] = [
    ['ivan.petrov@mail.ru', { ok: true, email: 'ivan.petrov@mail.ru' }, 'a plain address'],
    ['  Ivan.Petrov@Mail.RU ', { ok: true, email: 'ivan.petrov@mail.ru' }, 'trimmed, the whole address lower-cased'],
    [
      'parent+school_7a@example.ru',
      { ok: true, email: 'parent+school_7a@example.ru' },
      'plus tags and underscores are atext',
    ],
    [
      "o'neil!#$%&*/=?^`{|}~-x@example.ru",
      { ok: true, email: "o'neil!#$%&*/=?^`{|}~-x@example.ru" },
      'every other atext character',
    ],
    [
      'ivan@school-1.edu.ru',
      { ok: true, email: 'ivan@school-1.edu.ru' },
      'hyphens and digits inside labels, three labels',
    ],
    ['ИВАН@ПОЧТА.РФ', { ok: false, reason: 'malformed' }, 'a Cyrillic local part is not ASCII'],
    ['ivan@ПОЧТА.РФ', { ok: true, email: 'ivan@почта.рф' }, 'a Cyrillic domain (IDN), lower-cased'],
    ['ivan@ёлка.рф', { ok: true, email: 'ivan@ёлка.рф' }, 'ё is a letter'],
    ['ivan@e\u0308lka.rf', { ok: true, email: 'ivan@\u00eblka.rf' }, 'NFC: e + combining diaeresis becomes ë'],
    [
      'ivan@xn--80a1acny.xn--p1ai',
      { ok: true, email: 'ivan@почта.рф' },
      'the punycode form of почта.рф is stored as почта.рф: one address, one spelling',
    ],
    ['IVAN@XN--80A1ACNY.XN--P1AI', { ok: true, email: 'ivan@почта.рф' }, 'punycode in capitals'],
    ['ivan@xn--80a1acny.рф', { ok: true, email: 'ivan@почта.рф' }, 'one label in each spelling'],
    [
      'ivan@ｍａｉｌ.ru',
      { ok: true, email: 'ivan@mail.ru' },
      'full-width letters are mapped (UTS #46) to the address they spell',
    ],
    ['ivan@xn--zz.ru', { ok: false, reason: 'malformed' }, 'an "xn--" label that is not punycode'],
    ['ivan@xn--a.ru', { ok: false, reason: 'malformed' }, 'an "xn--" label that decodes to nothing valid'],
    [
      `i@${'я'.repeat(60)}.ru`,
      { ok: false, reason: 'too_long' },
      'a label of 60 letters whose ASCII form has 66 characters',
    ],
    [`${local64}@mail.ru`, { ok: true, email: `${local64}@mail.ru` }, 'a local part of 64 characters'],
    [`i@${label63}.ru`, { ok: true, email: `i@${label63}.ru` }, 'a label of 63 characters'],
    ['', { ok: false, reason: 'empty' }, 'nothing'],
    ['   ', { ok: false, reason: 'empty' }, 'only spaces'],
    [`a${local64}@mail.ru`, { ok: false, reason: 'too_long' }, 'a local part of 65 characters'],
    [`i@${label63}b.ru`, { ok: false, reason: 'too_long' }, 'a label of 64 characters'],
    [
      `i@${[label63, label63, label63, 'c'.repeat(58)].join('.')}.ru`,
      { ok: false, reason: 'too_long' },
      '255 characters in all',
    ],
    ['ivan.mail.ru', { ok: false, reason: 'malformed' }, 'no @'],
    ['ivan@petrov@mail.ru', { ok: false, reason: 'malformed' }, 'two @'],
    ['@mail.ru', { ok: false, reason: 'malformed' }, 'empty local part'],
    ['ivan@', { ok: false, reason: 'malformed' }, 'empty domain'],
    ['ivan@localhost', { ok: false, reason: 'malformed' }, 'a domain without a dot'],
    ['ivan@mail.r', { ok: false, reason: 'malformed' }, 'a one-letter TLD'],
    ['ivan@mail.r2', { ok: false, reason: 'malformed' }, 'a TLD with a digit'],
    ['ivan@mail..ru', { ok: false, reason: 'malformed' }, 'an empty label'],
    ['ivan@.mail.ru', { ok: false, reason: 'malformed' }, 'a domain starting with a dot'],
    ['ivan@mail.ru.', { ok: false, reason: 'malformed' }, 'a trailing dot (root) is not written in e-mail'],
    ['ivan@-mail.ru', { ok: false, reason: 'malformed' }, 'a label starting with a hyphen'],
    ['ivan@mail-.ru', { ok: false, reason: 'malformed' }, 'a label ending with a hyphen'],
    ['ivan@mail_box.ru', { ok: false, reason: 'malformed' }, 'an underscore in the domain'],
    ['ivan@[127.0.0.1]', { ok: false, reason: 'malformed' }, 'address literals are not accepted'],
    ['.ivan@mail.ru', { ok: false, reason: 'malformed' }, 'a leading dot'],
    ['ivan.@mail.ru', { ok: false, reason: 'malformed' }, 'a trailing dot'],
    ['ivan..petrov@mail.ru', { ok: false, reason: 'malformed' }, 'two dots in a row'],
    ['ivan petrov@mail.ru', { ok: false, reason: 'malformed' }, 'a space inside'],
    ['ivan\tpetrov@mail.ru', { ok: false, reason: 'malformed' }, 'a control character inside'],
    ['"ivan"@mail.ru', { ok: false, reason: 'malformed' }, 'quoted local parts are not accepted'],
    ['ivan(school)@mail.ru', { ok: false, reason: 'malformed' }, 'comments are not accepted'],
    ['ivan,petr@mail.ru', { ok: false, reason: 'malformed' }, 'a comma (two addresses in one cell)'],
    ['ivan;petr@mail.ru', { ok: false, reason: 'malformed' }, 'a semicolon'],
    ['<ivan@mail.ru>', { ok: false, reason: 'malformed' }, 'angle brackets from a mail client'],
    ['ivan@mail.ru petr@mail.ru', { ok: false, reason: 'malformed' }, 'two addresses'],
  ]
  for (const [input, expected, why] of cases) t.same(parseEmail(input), expected, `${JSON.stringify(input)}: ${why}`)
})

t.test('parsePhone: Russian writings become +7 and 10 digits; others need "+" and 8–15 digits', async (t) => {
  const cases: [input: string, expected: ReturnType<typeof parsePhone>, why: string][] = [
    ['+7 (916) 123-45-67', { ok: true, phone: '+79161234567' }, 'the usual Russian writing'],
    ['8 916 123 45 67', { ok: true, phone: '+79161234567' }, 'trunk prefix 8'],
    ['89161234567', { ok: true, phone: '+79161234567' }, 'trunk prefix 8, no separators'],
    ['79161234567', { ok: true, phone: '+79161234567' }, 'country code without "+"'],
    ['9161234567', { ok: true, phone: '+79161234567' }, '10 digits starting with 9: a mobile number without its code'],
    ['+79161234567', { ok: true, phone: '+79161234567' }, 'already normalised'],
    ['  8 (916) 123-45-67 ', { ok: true, phone: '+79161234567' }, 'spaces around'],
    ['8.916.123.45.67', { ok: true, phone: '+79161234567' }, 'dots'],
    ['8 (800) 555–35–35', { ok: true, phone: '+78005553535' }, 'en dashes, a landline-style code'],
    ['8\u00a0916\u00a0123\u00a045\u00a067', { ok: true, phone: '+79161234567' }, 'no-break spaces from a spreadsheet'],
    ['+49 151 1234 5678', { ok: true, phone: '+4915112345678' }, 'international, 13 digits'],
    ['+375 (29) 123-45-67', { ok: true, phone: '+375291234567' }, 'international with parentheses'],
    ['+12345678', { ok: true, phone: '+12345678' }, 'international, 8 digits: the shortest'],
    ['+123456789012345', { ok: true, phone: '+123456789012345' }, 'international, 15 digits: the longest'],
    ['', { ok: false, reason: 'empty' }, 'nothing'],
    [' ', { ok: false, reason: 'empty' }, 'only a space'],
    ['+7 916 123 45 6', { ok: false, reason: 'malformed' }, '+7 with 9 digits after it'],
    ['+7 916 123 45 678', { ok: false, reason: 'malformed' }, '+7 with 11 digits after it'],
    ['8 916 123 45 6', { ok: false, reason: 'malformed' }, 'trunk prefix 8 with 9 digits after it'],
    ['916123456', { ok: false, reason: 'malformed' }, '9 digits'],
    ['4951234567', { ok: false, reason: 'malformed' }, '10 digits not starting with 9: the code is not known'],
    ['4915112345678', { ok: false, reason: 'malformed' }, 'international without "+"'],
    ['+1234567', { ok: false, reason: 'malformed' }, 'international, 7 digits'],
    ['+1234567890123456', { ok: false, reason: 'malformed' }, 'international, 16 digits'],
    ['+0123456789', { ok: false, reason: 'malformed' }, 'no country code starts with 0'],
    ['7+9161234567', { ok: false, reason: 'malformed' }, '"+" not in front'],
    ['++79161234567', { ok: false, reason: 'malformed' }, 'two "+"'],
    ['8 916 123 45 67 доб. 12', { ok: false, reason: 'malformed' }, 'letters (an extension)'],
    ['8-916-CALL-NOW', { ok: false, reason: 'malformed' }, 'letters'],
    ['8/916/1234567', { ok: false, reason: 'malformed' }, 'slashes'],
    ['+7 916 123 45 67, +7 903 000 00 00', { ok: false, reason: 'malformed' }, 'two numbers in one cell'],
  ]
  for (const [input, expected, why] of cases) t.same(parsePhone(input), expected, `${JSON.stringify(input)}: ${why}`)
})

t.test(
  'contactKey: two spellings of one e-mail address are one key (its ASCII form); a phone is its own key',
  async (t) => {
    const cases: [kind: 'email' | 'phone', value: string, key: string, why: string][] = [
      ['email', 'victim@почта.рф', 'victim@xn--80a1acny.xn--p1ai', 'an IDN counts by its ASCII form'],
      [
        'email',
        'victim@xn--80a1acny.xn--p1ai',
        'victim@xn--80a1acny.xn--p1ai',
        'a row stored in ASCII before this rule: the same key',
      ],
      ['email', 'ivan.petrov@mail.ru', 'ivan.petrov@mail.ru', 'an ASCII address is its own key'],
      ['email', 'ivan@ёлка.рф', 'ivan@xn--80atc1g.xn--p1ai', 'ё stays ё (not е): another domain'],
      ['phone', '+79161234567', '+79161234567', 'a phone is stored in one spelling already'],
    ]
    for (const [kind, value, key, why] of cases) t.equal(contactKey(kind, value), key, `${value}: ${why}`)
    const typed = [
      'victim@почта.рф',
      'VICTIM@ПОЧТА.РФ',
      'victim@xn--80a1acny.xn--p1ai',
      ' Victim@XN--80A1ACNY.xn--p1ai ',
    ]
    const keys = typed.map((input) => {
      const parsed = parseEmail(input)
      return parsed.ok ? contactKey('email', parsed.email) : input
    })
    t.same(new Set(keys), new Set(['victim@xn--80a1acny.xn--p1ai']), 'every spelling, parsed, has one key')
  },
)

t.test('masks show only what lets a person recognise their own contact', async (t) => {
  const emails: [email: string, masked: string, why: string][] = [
    ['ivan.petrov@mail.ru', 'i***@mail.ru', 'first character and the domain'],
    ['i@mail.ru', 'i***@mail.ru', 'a one-character local part hides its length too'],
    ['ivan@почта.рф', 'i***@почта.рф', 'the domain as it is'],
    ['ivan@xn--80a1acny.xn--p1ai', 'i***@почта.рф', 'a domain stored in ASCII before this rule shows in Unicode'],
  ]
  for (const [email, masked, why] of emails) t.equal(maskEmail(email), masked, `${email}: ${why}`)
  const phones: [phone: string, masked: string, why: string][] = [
    ['+79161234567', '+7 *** ***-45-67', 'Russian: +7 and the last four digits'],
    ['+78005553535', '+7 *** ***-35-35', 'Russian landline-style code'],
    ['+4915112345678', '+*** ***-56-78', 'elsewhere the country code is hidden too'],
    ['+375291234567', '+*** ***-45-67', 'a three-digit country code is hidden the same way'],
    ['+7123456789012', '+*** ***-90-12', '+7 with more than 10 digits is not Russian'],
  ]
  for (const [phone, masked, why] of phones) t.equal(maskPhone(phone), masked, `${phone}: ${why}`)
})
