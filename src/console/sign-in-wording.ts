/*
 * What one sign-in event says, in plain Russian or English (pure; sign-in-history.ts adds the time):
 * - the types and outcomes are those audit/read-audit-events.ts reads as sign-ins; the State Services
 *   reasons are linking/match.ts's, linking/binding.ts's and link-account.ts's conflict, and the public
 *   codes of upstream failures (errors.ts) should an event ever carry one
 * - a second factor is worded by its `way` (totp, recovery_code, passkey)
 * - anything unknown is worded neutrally with its code; a code that does not look like one is not printed
 */
export type Locale = 'ru' | 'en'

export interface Wording {
  text: string
  /** A refusal: equal refusals in a row are folded into one line. */
  failure: boolean
}

type Pair = readonly [ru: string, en: string]

const stateServices: Pair = ['Госуслуги', 'State Services']

/** A State Services refusal by its reason code. */
const stateServicesReasons: Record<string, Pair> = {
  not_verified: ['учётная запись не подтверждена', 'account not verified'],
  provider_account_unconfirmed: ['учётная запись не подтверждена', 'account not verified'],
  no_snils: ['в учётной записи нет СНИЛС', 'no SNILS in the account'],
  no_match: ['дневник с этим СНИЛС не найден', 'no diary with this SNILS'],
  ambiguous: ['СНИЛС есть в нескольких дневниках', 'the SNILS is in several diaries'],
  name_mismatch: ['ФИО не совпадает с дневником', 'the name differs from the diary'],
  name_unknown: ['ФИО не передано', 'no name given'],
  other_person: ['данные другого человека', 'another person'],
  snils_differs: ['СНИЛС не совпадает с дневником', 'the SNILS differs from the diary'],
  birth_date_mismatch: ['дата рождения не совпадает', 'the birth date differs'],
  birth_date_differs: ['дата рождения не совпадает', 'the birth date differs'],
  auto_link_disabled: ['автоматическая привязка выключена', 'automatic linking is off'],
  account_linked_elsewhere: ['дневник уже привязан к другой учётной записи', 'the diary is linked to another account'],
  provider_unavailable: ['сервис недоступен', 'service unavailable'],
  provider_error: ['ошибка ответа сервиса', 'the service answered wrongly'],
  provider_rejected: ['сервис отказал', 'the service refused'],
  cancelled: ['вход отменён', 'sign-in cancelled'],
}

const factorWays: Record<string, { accepted: Pair; refused: Pair }> = {
  totp: {
    accepted: ['код из приложения принят', 'authenticator code accepted'],
    refused: ['неверный код из приложения', 'wrong authenticator code'],
  },
  recovery_code: {
    accepted: ['резервный код принят', 'recovery code accepted'],
    refused: ['неверный резервный код', 'wrong recovery code'],
  },
  passkey: {
    accepted: ['ключ доступа принят', 'passkey accepted'],
    refused: ['ключ доступа не подошёл', 'passkey refused'],
  },
}

const anyFactor = {
  accepted: ['второй фактор принят', 'second factor accepted'],
  refused: ['второй фактор не подошёл', 'second factor refused'],
} as const

/** Fixed wordings by `type:outcome`. */
const fixed: Record<string, { words: Pair; failure: boolean }> = {
  'password_sign_in:success': { words: ['вход по паролю', 'signed in with the password'], failure: false },
  'password_sign_in:failure': { words: ['неверный пароль', 'wrong password'], failure: true },
  'password_sign_in:closed': {
    words: ['учётная запись закрыта, вход отклонён', 'account closed, sign-in refused'],
    failure: true,
  },
  'password_binding:failure': {
    words: ['неверный пароль при привязке Госуслуг', 'wrong password while linking State Services'],
    failure: true,
  },
  'password_binding:closed': {
    words: ['учётная запись закрыта, привязка Госуслуг отклонена', 'account closed, State Services link refused'],
    failure: true,
  },
  'link_decision:linked': { words: ['вход через Госуслуги', 'signed in through State Services'], failure: false },
  'link_binding:linked': {
    words: [
      'вход через Госуслуги, привязаны паролем дневника',
      'signed in through State Services, linked with the diary password',
    ],
    failure: false,
  },
  'account_choice:chosen': {
    words: [
      'вход через Госуслуги, дневник выбран из нескольких',
      'signed in through State Services, diary chosen of several',
    ],
    failure: false,
  },
  'passkey_sign_in:success': { words: ['вход по ключу доступа', 'signed in with a passkey'], failure: false },
  'passkey_sign_in:failure': { words: ['вход по ключу доступа отклонён', 'passkey sign-in refused'], failure: true },
  'account_unblocked:unblocked': {
    words: ['блокировка снята поддержкой', 'unblocked by the support desk'],
    failure: false,
  },
}

const stateServicesRefusals = new Set(['link_decision', 'link_binding'])

export function wordEvent(
  event: { type: string; outcome: string; details: Record<string, unknown> },
  locale: Locale,
): Wording {
  const pick = (pair: Pair) => (locale === 'ru' ? pair[0] : pair[1])
  const known = fixed[`${event.type}:${event.outcome}`]
  if (known !== undefined) return { text: pick(known.words), failure: known.failure }
  if (event.type === 'second_factor' && (event.outcome === 'success' || event.outcome === 'failure')) {
    const failure = event.outcome === 'failure'
    const way = factorWays[String(event.details.way)]
    if (way !== undefined) return { text: pick(failure ? way.refused : way.accepted), failure }
    return { text: pick(failure ? anyFactor.refused : anyFactor.accepted), failure }
  }
  if (stateServicesRefusals.has(event.type) && event.outcome !== 'linked') {
    const reason = event.details.reason
    const worded = typeof reason === 'string' ? stateServicesReasons[reason] : undefined
    const why = worded !== undefined ? pick(worded) : pick(['отказ, код', 'refused, code']) + ` ${codeOf(reason)}`
    return { text: `${pick(stateServices)}: ${why}`, failure: true }
  }
  const text =
    locale === 'ru'
      ? `событие ${codeOf(event.type)}, исход ${codeOf(event.outcome)}`
      : `event ${codeOf(event.type)}, outcome ${codeOf(event.outcome)}`
  return { text, failure: event.outcome !== 'success' }
}

/** A code as it may be shown: letters, digits and `_.-`, up to 40; anything else is not printed. */
function codeOf(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(value) ? value : '?'
}
