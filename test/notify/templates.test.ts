import t from 'tap'
import {
  type Alert,
  alertMailText,
  alertSmsText,
  type Locale,
  mailText,
  type MailNotice,
  pluralRu,
  smsText,
  type SmsNotice,
} from '../../src/notify/templates.js'
import { messages } from '../../src/web/messages/index.js'

const locales = ['ru', 'en'] as const
const url = 'https://id.example.ru/recovery/reset?token=Zx_9-aB'

t.test(
  'each mail, in both locales: a subject, the link on its own line, the minutes, what to do if not asked',
  async (t) => {
    const notices: [MailNotice, { ru: RegExp; en: RegExp }][] = [
      [
        { kind: 'recovery_link', url, minutes: 30 },
        { ru: /пароль останется прежним/, en: /your password stays the same/ },
      ],
      [
        { kind: 'email_confirmation', url, minutes: 1440 },
        { ru: /пароль останется прежним/, en: /the password stays the same/ },
      ],
    ]
    for (const [notice, ignore] of notices) {
      for (const locale of locales) {
        const { subject, text } = mailText(notice, locale)
        const name = `${notice.kind} (${locale})`
        t.ok(subject.length > 10 && !subject.includes('\n'), `${name}: a one-line subject`)
        t.ok(text.split('\n').includes(url), `${name}: the link alone on a line (mail clients make it clickable)`)
        t.match(text, new RegExp(`\\b${notice.minutes} (минут|minutes)`), `${name}: the minutes`)
        t.match(
          text,
          locale === 'ru' ? /Если вы не (просили|указывали)/ : /If you did not ask for this, ignore this letter/,
          `${name}: if you did not ask`,
        )
        t.match(text, ignore[locale], `${name}: nothing changes`)
      }
    }
  },
)

t.test('the recovery mail says what was asked, and the confirmation what it confirms', async (t) => {
  t.match(mailText({ kind: 'recovery_link', url, minutes: 30 }, 'ru'), {
    subject: /Восстановление пароля/,
    text: /восстановить пароль/,
  })
  t.match(mailText({ kind: 'recovery_link', url, minutes: 30 }, 'en'), {
    subject: /password/,
    text: /reset the password/,
  })
  t.match(mailText({ kind: 'email_confirmation', url, minutes: 30 }, 'ru'), {
    subject: /Подтверждение адреса/,
    text: /подтвердить, что адрес ваш/,
  })
  t.match(mailText({ kind: 'email_confirmation', url, minutes: 30 }, 'en'), {
    subject: /Confirm your e-mail/,
    text: /confirm that it is yours/,
  })
})

t.test(
  'the mails say what opening their link does: a page to choose a new password, or a button that confirms',
  async (t) => {
    const rows: [MailNotice, Locale, RegExp[], string][] = [
      [
        { kind: 'recovery_link', url, minutes: 15 },
        'ru',
        [
          /на открывшейся странице придумайте новый пароль/,
          /новый пароль по ней можно задать один раз/,
          /войдите в дневник с ним; вход на других устройствах завершится/,
        ],
        'the page is the new-password step; saving spends the link',
      ],
      [
        { kind: 'recovery_link', url, minutes: 15 },
        'en',
        [
          /choose a new password on the page it opens/,
          /it sets a new password once/,
          /signed out on your other devices/,
        ],
        'the same in English',
      ],
      [
        { kind: 'email_confirmation', url, minutes: 60 },
        'ru',
        [/нажмите на открывшейся странице «Подтвердить почту»/],
        'the page shows a button (a mail scanner confirms nothing)',
      ],
      [
        { kind: 'email_confirmation', url, minutes: 60 },
        'en',
        [/press “Confirm the e-mail” on the page it opens/],
        'the same in English',
      ],
    ]
    for (const [notice, locale, patterns, why] of rows) {
      const { text } = mailText(notice, locale)
      for (const pattern of patterns) t.match(text, pattern, `${notice.kind} (${locale}): ${why}`)
      t.notMatch(
        text,
        /открывается только один раз|works only once/,
        `${notice.kind} (${locale}): opening the link spends nothing`,
      )
    }
    t.equal(messages.ru.contacts.confirmEmail, 'Подтвердить почту', 'the button the Russian mail names')
    t.equal(messages.en.contacts.confirmEmail, 'Confirm the e-mail', 'the button the English mail names')
  },
)

t.test('each SMS, in both locales: the code first, the minutes, never tell anyone; one segment', async (t) => {
  const notices: SmsNotice[] = [
    { kind: 'recovery_code', code: '048213', minutes: 15 },
    { kind: 'phone_confirmation', code: '990001', minutes: 10 },
  ]
  for (const notice of notices) {
    for (const locale of locales) {
      const text = smsText(notice, locale)
      const name = `${notice.kind} (${locale})`
      t.ok(text.startsWith(`${notice.code} `), `${name}: starts with the code`)
      t.match(text, new RegExp(`\\b${notice.minutes} (мин|min)\\.`), `${name}: the minutes`)
      t.match(text, locale === 'ru' ? /Никому не говорите/ : /Never tell this code to anyone/, `${name}: never tell`)
      if (locale === 'ru') t.ok(text.length <= 70, `${name}: ${text.length} ≤ 70 characters (one UCS-2 segment)`)
      else t.ok(/^[\x20-\x7E]{1,160}$/.test(text), `${name}: plain ASCII, ≤ 160 (one GSM-7 segment)`)
    }
  }
})

t.test('Russian minutes agree with the number', async (t) => {
  const forms = ['минуту', 'минуты', 'минут'] as const
  const cases: [number, string, string][] = [
    [1, 'минуту', 'one'],
    [2, 'минуты', 'few'],
    [4, 'минуты', 'few'],
    [5, 'минут', 'many'],
    [11, 'минут', '11–14 are many'],
    [12, 'минут', '11–14 are many'],
    [14, 'минут', '11–14 are many'],
    [21, 'минуту', 'ends in 1, not 11'],
    [22, 'минуты', 'ends in 2, not 12'],
    [30, 'минут', 'ends in 0'],
    [111, 'минут', 'ends in 11'],
    [1440, 'минут', 'ends in 40'],
  ]
  for (const [count, form, why] of cases) t.equal(pluralRu(count, forms), form, `${count}: ${why}`)
  t.match(mailText({ kind: 'recovery_link', url, minutes: 21 }, 'ru').text, /действует 21 минуту;/)
  t.match(mailText({ kind: 'recovery_link', url, minutes: 1 }, 'en').text, /valid for 1 minute;/)
})

t.test(
  'each alert, in both locales: what changed and whom to ask, no link, no code; an SMS in one segment',
  async (t) => {
    const alerts: [Alert, { ru: RegExp; en: RegExp }][] = [
      [
        { kind: 'password_changed' },
        {
          ru: /Пароль от вашего электронного дневника изменён/,
          en: /password of your school diary account was changed/,
        },
      ],
      [
        { kind: 'contact_changed', contact: 'email', masked: 'p***@mail.ru' },
        {
          ru: /Адрес почты .* изменён на p\*\*\*@mail\.ru\./,
          en: /e-mail address .* was changed to p\*\*\*@mail\.ru\./,
        },
      ],
      [
        { kind: 'contact_changed', contact: 'phone', masked: '+7 *** ***-43-21' },
        { ru: /Номер телефона .* изменён на \+7 \*\*\* \*\*\*-43-21\./, en: /phone number .* was changed to \+7/ },
      ],
      [
        { kind: 'factor_changed', change: 'added', factor: 'passkey' },
        { ru: /добавлен ключ входа \(passkey\)\./, en: /A passkey was added/ },
      ],
      [
        { kind: 'factor_changed', change: 'removed', factor: 'passkey' },
        { ru: /удалён ключ входа \(passkey\)\./, en: /A passkey was removed/ },
      ],
      [
        { kind: 'factor_changed', change: 'added', factor: 'totp' },
        { ru: /подключено приложение для одноразовых кодов/, en: /one-time code app was set up/ },
      ],
      [
        { kind: 'factor_changed', change: 'removed', factor: 'totp' },
        { ru: /удалено приложение для одноразовых кодов/, en: /one-time code app was removed/ },
      ],
      [
        { kind: 'factor_changed', change: 'added', factor: 'recovery_codes' },
        {
          ru: /созданы новые резервные коды; прежние больше не действуют/,
          en: /New recovery codes .* previous ones no longer work/,
        },
      ],
      [
        { kind: 'factor_changed', change: 'removed', factor: 'recovery_codes' },
        { ru: /Резервные коды .* удалены/, en: /recovery codes .* were removed/ },
      ],
      [
        { kind: 'factor_changed', change: 'reset', factor: 'passkey' },
        {
          ru: /Служба поддержки удалила все способы подтверждения входа/,
          en: /support desk removed every second factor/,
        },
      ],
    ]
    for (const [alert, what] of alerts) {
      for (const locale of locales) {
        const detail =
          'contact' in alert ? ` ${alert.contact}` : 'factor' in alert ? ` ${alert.change} ${alert.factor}` : ''
        const name = `${alert.kind}${detail} (${locale})`
        const { subject, text } = alertMailText(alert, locale)
        t.ok(subject.length > 10 && !subject.includes('\n'), `${name}: a one-line subject`)
        t.match(text, what[locale], `${name}: says what changed`)
        t.match(
          text,
          locale === 'ru'
            ? /Если это были не вы, обратитесь к ответственному сотруднику своей школы/
            : /If it was not you, contact the responsible person at your school/,
          `${name}: whom to ask`,
        )
        t.notMatch(text, /https?:|www\.|\b\d{6}\b/, `${name}: no link, no code`)
        const sms = alertSmsText(alert, locale)
        t.match(
          sms,
          locale === 'ru' ? /Если это были не вы, обратитесь в школу$/ : /If it was not you, contact your school\.$/,
          `${name} SMS: whom to ask`,
        )
        t.notMatch(sms, /\d|https?:/, `${name} SMS: no digits at all (the new contact is not in it)`)
        if (locale === 'ru') t.ok(sms.length <= 70, `${name} SMS: ${sms.length} ≤ 70 characters (one UCS-2 segment)`)
        else t.ok(/^[\x20-\x7E]{1,160}$/.test(sms), `${name} SMS: plain ASCII, ≤ 160 (one GSM-7 segment)`)
      }
    }
  },
)
