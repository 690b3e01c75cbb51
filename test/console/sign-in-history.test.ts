import t from 'tap'
import type { SignInEvent } from '../../src/audit/read-audit-events.js'
import { defaultTimeZone } from '../../src/config/schema.js'
import { describeBlock, describeSignIns } from '../../src/console/sign-in-history.js'

// 2026-12-08 12:00 in Moscow (UTC+3), 14:00 in Yekaterinburg (UTC+5).
const now = new Date('2026-12-08T09:00:00Z')
const moscow = { now, timeZone: defaultTimeZone }

const event = (at: string, type: string, outcome: string, details: Record<string, unknown> = {}): SignInEvent => ({
  at: new Date(at),
  type,
  outcome,
  details,
})

t.test('each sign-in event in plain words', async (t) => {
  const at = '2026-12-08T05:15:00Z'
  const cases: [type: string, outcome: string, details: Record<string, unknown>, ru: string, en: string][] = [
    ['password_sign_in', 'success', {}, 'вход по паролю', 'signed in with the password'],
    ['password_sign_in', 'failure', {}, 'неверный пароль', 'wrong password'],
    ['password_sign_in', 'closed', {}, 'учётная запись закрыта, вход отклонён', 'account closed, sign-in refused'],
    [
      'password_binding',
      'failure',
      {},
      'неверный пароль при привязке Госуслуг',
      'wrong password while linking State Services',
    ],
    [
      'password_binding',
      'closed',
      {},
      'учётная запись закрыта, привязка Госуслуг отклонена',
      'account closed, State Services link refused',
    ],
    [
      'link_decision',
      'linked',
      { issuer: 'https://esia', created: false },
      'вход через Госуслуги',
      'signed in through State Services',
    ],
    [
      'link_binding',
      'linked',
      {},
      'вход через Госуслуги, привязаны паролем дневника',
      'signed in through State Services, linked with the diary password',
    ],
    [
      'account_choice',
      'chosen',
      { accounts: 2 },
      'вход через Госуслуги, дневник выбран из нескольких',
      'signed in through State Services, diary chosen of several',
    ],
    [
      'link_decision',
      'needs_password',
      { reason: 'not_verified' },
      'Госуслуги: учётная запись не подтверждена',
      'State Services: account not verified',
    ],
    [
      'link_decision',
      'needs_password',
      { reason: 'no_snils' },
      'Госуслуги: в учётной записи нет СНИЛС',
      'State Services: no SNILS in the account',
    ],
    [
      'link_decision',
      'needs_password',
      { reason: 'no_match' },
      'Госуслуги: дневник с этим СНИЛС не найден',
      'State Services: no diary with this SNILS',
    ],
    [
      'link_decision',
      'needs_password',
      { reason: 'ambiguous' },
      'Госуслуги: СНИЛС есть в нескольких дневниках',
      'State Services: the SNILS is in several diaries',
    ],
    [
      'link_decision',
      'needs_password',
      { reason: 'name_mismatch' },
      'Госуслуги: ФИО не совпадает с дневником',
      'State Services: the name differs from the diary',
    ],
    [
      'link_decision',
      'needs_password',
      { reason: 'birth_date_mismatch' },
      'Госуслуги: дата рождения не совпадает',
      'State Services: the birth date differs',
    ],
    [
      'link_decision',
      'needs_password',
      { reason: 'auto_link_disabled' },
      'Госуслуги: автоматическая привязка выключена',
      'State Services: automatic linking is off',
    ],
    [
      'link_decision',
      'conflict',
      { reason: 'account_linked_elsewhere' },
      'Госуслуги: дневник уже привязан к другой учётной записи',
      'State Services: the diary is linked to another account',
    ],
    [
      'link_binding',
      'refused',
      { reason: 'name_unknown' },
      'Госуслуги: ФИО не передано',
      'State Services: no name given',
    ],
    [
      'link_binding',
      'refused',
      { reason: 'other_person' },
      'Госуслуги: данные другого человека',
      'State Services: another person',
    ],
    [
      'link_binding',
      'refused',
      { reason: 'snils_differs' },
      'Госуслуги: СНИЛС не совпадает с дневником',
      'State Services: the SNILS differs from the diary',
    ],
    [
      'link_binding',
      'refused',
      { reason: 'birth_date_differs' },
      'Госуслуги: дата рождения не совпадает',
      'State Services: the birth date differs',
    ],
    [
      'link_binding',
      'conflict',
      { reason: 'account_linked_elsewhere' },
      'Госуслуги: дневник уже привязан к другой учётной записи',
      'State Services: the diary is linked to another account',
    ],
    [
      'link_decision',
      'refused',
      { reason: 'provider_unavailable' },
      'Госуслуги: сервис недоступен',
      'State Services: service unavailable',
    ],
    [
      'link_decision',
      'refused',
      { reason: 'provider_account_unconfirmed' },
      'Госуслуги: учётная запись не подтверждена',
      'State Services: account not verified',
    ],
    [
      'link_decision',
      'refused',
      { reason: 'ESIA-007014' },
      'Госуслуги: отказ, код ESIA-007014',
      'State Services: refused, code ESIA-007014',
    ],
    [
      'link_binding',
      'refused',
      { reason: 'Иванов Иван' },
      'Госуслуги: отказ, код ?',
      'State Services: refused, code ?',
    ],
    ['link_binding', 'refused', {}, 'Госуслуги: отказ, код ?', 'State Services: refused, code ?'],
    ['second_factor', 'success', { way: 'totp' }, 'код из приложения принят', 'authenticator code accepted'],
    ['second_factor', 'failure', { way: 'totp' }, 'неверный код из приложения', 'wrong authenticator code'],
    ['second_factor', 'success', { way: 'recovery_code' }, 'резервный код принят', 'recovery code accepted'],
    ['second_factor', 'failure', { way: 'recovery_code' }, 'неверный резервный код', 'wrong recovery code'],
    ['second_factor', 'success', { way: 'passkey' }, 'ключ доступа принят', 'passkey accepted'],
    ['second_factor', 'failure', { way: 'passkey' }, 'ключ доступа не подошёл', 'passkey refused'],
    ['second_factor', 'failure', { way: 'sms' }, 'второй фактор не подошёл', 'second factor refused'],
    ['passkey_sign_in', 'success', { way: 'passkey' }, 'вход по ключу доступа', 'signed in with a passkey'],
    ['passkey_sign_in', 'failure', { way: 'passkey' }, 'вход по ключу доступа отклонён', 'passkey sign-in refused'],
    ['account_unblocked', 'unblocked', { failures: 5 }, 'блокировка снята поддержкой', 'unblocked by the support desk'],
    ['sms_sign_in', 'success', {}, 'событие sms_sign_in, исход success', 'event sms_sign_in, outcome success'],
    ['password_sign_in', 'odd', {}, 'событие password_sign_in, исход odd', 'event password_sign_in, outcome odd'],
    ['вход <b>', 'x y', {}, 'событие ?, исход ?', 'event ?, outcome ?'],
  ]
  for (const [type, outcome, details, ru, en] of cases) {
    const events = [event(at, type, outcome, details)]
    t.same(
      describeSignIns(events, { ...moscow, locale: 'ru' }),
      [{ at: new Date(at), text: `сегодня 08:15 — ${ru}`, count: 1 }],
      `ru ${type}:${outcome} ${JSON.stringify(details)}`,
    )
    t.same(
      describeSignIns(events, { ...moscow, locale: 'en' }),
      [{ at: new Date(at), text: `today 08:15 — ${en}`, count: 1 }],
      `en ${type}:${outcome} ${JSON.stringify(details)}`,
    )
  }
})

t.test('times relative to now in the time zone', async (t) => {
  const cases: [at: string, timeZone: string, ru: string, en: string, why: string][] = [
    ['2026-12-08T05:15:00Z', defaultTimeZone, 'сегодня 08:15', 'today 08:15', 'this morning in Moscow'],
    ['2026-12-07T21:00:00Z', defaultTimeZone, 'сегодня 00:00', 'today 00:00', 'midnight in Moscow is today'],
    ['2026-12-07T20:59:00Z', defaultTimeZone, 'вчера 23:59', 'yesterday 23:59', 'a minute before midnight in Moscow'],
    [
      '2026-12-07T20:59:00Z',
      'Asia/Yekaterinburg',
      'сегодня 01:59',
      'today 01:59',
      'the same instant is today two hours east',
    ],
    ['2026-12-07T16:40:00Z', defaultTimeZone, 'вчера 19:40', 'yesterday 19:40', 'yesterday evening'],
    [
      '2026-12-07T16:40:00Z',
      'Asia/Yekaterinburg',
      'вчера 21:40',
      'yesterday 21:40',
      'yesterday evening, two hours east',
    ],
    [
      '2026-12-06T19:40:00Z',
      'Asia/Yekaterinburg',
      'вчера 00:40',
      'yesterday 00:40',
      'just past midnight two hours east',
    ],
    [
      '2026-12-06T19:40:00Z',
      defaultTimeZone,
      '6 декабря 22:40',
      '6 December 22:40',
      'the same instant is the 6th in Moscow',
    ],
    ['2026-12-06T18:40:00Z', defaultTimeZone, '6 декабря 21:40', '6 December 21:40', 'two days ago: the date'],
    ['2026-11-12T06:03:00Z', defaultTimeZone, '12 ноября 09:03', '12 November 09:03', 'last month, genitive month'],
    [
      '2025-12-31T20:00:00Z',
      defaultTimeZone,
      '31 декабря 2025 23:00',
      '31 December 2025 23:00',
      'another year: the year added',
    ],
    ['2026-12-09T06:00:00Z', defaultTimeZone, '9 декабря 09:00', '9 December 09:00', 'a clock ahead of ours: the date'],
  ]
  for (const [at, timeZone, ru, en, why] of cases) {
    const events = [event(at, 'password_sign_in', 'success')]
    t.equal(describeSignIns(events, { now, timeZone, locale: 'ru' })[0]?.text, `${ru} — вход по паролю`, `ru: ${why}`)
    t.equal(
      describeSignIns(events, { now, timeZone, locale: 'en' })[0]?.text,
      `${en} — signed in with the password`,
      `en: ${why}`,
    )
  }
})

t.test('consecutive equal refusals of one day fold into one line at the newest, with the count', async (t) => {
  const wrong = (at: string) => event(at, 'password_sign_in', 'failure')
  const lines = describeSignIns(
    [
      wrong('2026-12-07T16:40:00Z'),
      wrong('2026-12-07T16:39:00Z'),
      wrong('2026-12-07T16:38:00Z'),
      event('2026-12-07T16:37:00Z', 'second_factor', 'failure', { way: 'totp' }),
      wrong('2026-12-07T16:36:00Z'),
      wrong('2026-12-06T16:36:00Z'),
      event('2026-12-06T10:00:00Z', 'password_sign_in', 'success'),
      event('2026-12-06T09:00:00Z', 'password_sign_in', 'success'),
    ],
    { ...moscow, locale: 'ru' },
  )
  t.same(lines, [
    { at: new Date('2026-12-07T16:40:00Z'), text: 'вчера 19:40 — неверный пароль, 3 раза', count: 3 },
    { at: new Date('2026-12-07T16:37:00Z'), text: 'вчера 19:37 — неверный код из приложения', count: 1 },
    { at: new Date('2026-12-07T16:36:00Z'), text: 'вчера 19:36 — неверный пароль', count: 1 },
    { at: new Date('2026-12-06T16:36:00Z'), text: '6 декабря 19:36 — неверный пароль', count: 1 },
    { at: new Date('2026-12-06T10:00:00Z'), text: '6 декабря 13:00 — вход по паролю', count: 1 },
    { at: new Date('2026-12-06T09:00:00Z'), text: '6 декабря 12:00 — вход по паролю', count: 1 },
  ])
  t.equal(
    describeSignIns([wrong('2026-12-08T08:00:00Z'), wrong('2026-12-08T07:00:00Z')], { ...moscow, locale: 'en' })[0]
      ?.text,
    'today 11:00 — wrong password, 2 times',
    'English counts',
  )
  t.same(describeSignIns([], { ...moscow, locale: 'ru' }), [], 'no events, no lines')
})

t.test('Russian counts take their plural form', async (t) => {
  const cases: [count: number, word: string][] = [
    [2, 'раза'],
    [3, 'раза'],
    [4, 'раза'],
    [5, 'раз'],
    [10, 'раз'],
    [11, 'раз'],
    [12, 'раз'],
    [14, 'раз'],
    [21, 'раз'],
    [22, 'раза'],
    [25, 'раз'],
    [101, 'раз'],
    [104, 'раза'],
    [111, 'раз'],
  ]
  for (const [count, word] of cases) {
    const events = Array.from({ length: count }, (_, i) =>
      event(new Date(now.getTime() - (i + 1) * 1000).toISOString(), 'password_sign_in', 'failure'),
    )
    t.equal(
      describeSignIns(events, { ...moscow, locale: 'ru' })[0]?.text,
      `сегодня 11:59 — неверный пароль, ${count} ${word}`,
      `${count} ${word}`,
    )
  }
})

t.test('a block in plain words, the date added when it is not today', async (t) => {
  const cases: [until: string, timeZone: string, ru: string, en: string, why: string][] = [
    ['2026-12-08T17:15:00Z', defaultTimeZone, 'заблокировано до 20:15', 'blocked until 20:15', 'this evening'],
    [
      '2026-12-08T17:15:00Z',
      'Asia/Yekaterinburg',
      'заблокировано до 22:15',
      'blocked until 22:15',
      'this evening, two hours east',
    ],
    ['2026-12-08T20:30:00Z', defaultTimeZone, 'заблокировано до 23:30', 'blocked until 23:30', 'still today in Moscow'],
    [
      '2026-12-08T20:30:00Z',
      'Asia/Yekaterinburg',
      'заблокировано до 9 декабря 01:30',
      'blocked until 9 December 01:30',
      'tomorrow two hours east',
    ],
    [
      '2027-01-01T06:00:00Z',
      defaultTimeZone,
      'заблокировано до 1 января 2027 09:00',
      'blocked until 1 January 2027 09:00',
      'next year',
    ],
  ]
  for (const [until, timeZone, ru, en, why] of cases) {
    t.equal(describeBlock(new Date(until), { now, timeZone, locale: 'ru' }), ru, `ru: ${why}`)
    t.equal(describeBlock(new Date(until), { now, timeZone, locale: 'en' }), en, `en: ${why}`)
  }
})
