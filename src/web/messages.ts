/*
 * Every text a person reads, in Russian and English. Error texts say what happened and what to do
 * next; they are keyed by the stable public error code shown on the page.
 */
export type Locale = 'ru' | 'en'
export const locales: readonly Locale[] = ['ru', 'en']

const ru = {
  htmlLang: 'ru',
  serviceName: 'Вход в электронный дневник',
  selectRegion: 'Выберите регион',
  selectRegionHint: 'Вход и способы входа зависят от региона вашей школы.',
  changeRegion: 'Сменить регион',
  loginTitle: 'Вход в дневник',
  diaryLogin: 'Логин от дневника',
  diaryPassword: 'Пароль от дневника',
  signIn: 'Войти',
  or: 'или',
  stateServicesButton: 'Войти через Госуслуги',
  noMethods: 'Сейчас вход в этом регионе недоступен. Попробуйте позже.',
  searchRegion: 'Найти регион',
  search: 'Найти',
  noRegionFound: 'Такой регион не найден. Проверьте название или введите код региона, например 29.',
  upcoming: {
    prefix: 'С',
    stateServicesOnly: 'вход в дневник будет только через Госуслуги. Проверьте, что у вас есть подтверждённая учётная запись.',
    passwordOnly: 'вход через Госуслуги будет недоступен; входите по логину и паролю дневника.',
    both: 'можно будет входить и через Госуслуги, и по логину и паролю дневника.',
    none: 'вход в дневник будет временно недоступен.',
  },
  wrongCredentials: 'Неверный логин или пароль. Проверьте раскладку клавиатуры и Caps Lock; логин и пароль выдаёт школа.',
  bindingTitle: 'Привяжите дневник к Госуслугам',
  bindingIntro: 'Вы вошли через Госуслуги как',
  bindingAction: 'Введите логин и пароль от дневника — после этого произойдёт привязка, и в следующий раз вы войдёте через Госуслуги сразу.',
  bind: 'Привязать и войти',
  bindingReason: {
    auto_link_disabled: 'В вашем регионе привязка выполняется только по паролю от дневника.',
    not_verified: 'Ваша учётная запись на Госуслугах не подтверждена, поэтому найти дневник автоматически нельзя. Подтвердите её в центре обслуживания и войдите снова — или привяжите дневник паролем ниже.',
    no_snils: 'Госуслуги не передали ваш СНИЛС, поэтому найти дневник автоматически нельзя.',
    no_match: 'Ваш дневник не найден по СНИЛС. Попросите ответственного сотрудника школы проверить СНИЛС в дневнике — или привяжите дневник паролем.',
    ambiguous: 'По вашему СНИЛС найдено несколько дневников, поэтому выбрать один автоматически нельзя.',
    name_mismatch: 'Дневник с вашим СНИЛС найден, но ФИО в нём отличается от ФИО на Госуслугах.',
    birth_date_mismatch: 'Дневник с вашим СНИЛС найден, но дата рождения в нём отличается от даты на Госуслугах.',
  },
  passwordChangeTitle: 'Придумайте свой пароль',
  passwordChangeIntro: 'Школа выдала вам временный пароль. Чтобы продолжить, придумайте свой — его будете знать только вы.',
  newPassword: 'Новый пароль',
  repeatPassword: 'Повторите пароль',
  passwordRules: 'Не короче 8 символов; не совпадает с логином и не содержит дату рождения; не из самых распространённых паролей.',
  savePassword: 'Сохранить и войти',
  passwordProblems: {
    too_short: 'Пароль слишком короткий: нужно не меньше 8 символов.',
    too_long: 'Пароль слишком длинный: не больше 128 символов.',
    same_as_login: 'Пароль не должен совпадать с логином или содержать его.',
    contains_birth_date: 'Пароль не должен содержать дату рождения.',
    too_common: 'Это один из самых распространённых паролей, его легко подобрать. Придумайте другой.',
    mismatch: 'Пароли не совпадают. Введите один и тот же пароль дважды.',
  },
  accountTitle: 'Вы вошли',
  accountLogin: 'Логин',
  accountRole: 'Роль',
  accountRegion: 'Регион',
  accountSchool: 'Школа',
  accountClass: 'Класс',
  accountMethod: 'Способ входа',
  methodPassword: 'логин и пароль дневника',
  methodStateServices: 'Госуслуги',
  linkedIdentities: 'Привязка к Госуслугам',
  linkedAuto: 'привязано автоматически по СНИЛС',
  linkedPassword: 'привязано паролем от дневника',
  notLinked: 'не привязано',
  logout: 'Выйти',
  roles: { pupil: 'ученик', parent: 'родитель', teacher: 'учитель', staff: 'сотрудник' },
  errorTitle: 'Не получилось',
  errorCode: 'Код ошибки',
  requestId: 'Номер запроса',
  startAgain: 'Начать вход заново',
  errors: {
    too_many_attempts: ['Слишком много неудачных попыток входа.', 'Из соображений безопасности вход временно закрыт. Попробуйте снова через {minutes} мин. Если забыли пароль, обратитесь к ответственному сотруднику школы.'],
    busy: ['Сейчас входит очень много людей.', 'Попробуйте ещё раз через минуту.'],
    cancelled: ['Вход через Госуслуги отменён.', 'Войдите снова через Госуслуги или логином и паролем от дневника.'],
    login_expired: ['Время на вход истекло, или эта попытка входа уже использована.', 'Начните вход заново.'],
    form_expired: ['Страница устарела.', 'Обновите страницу и отправьте форму ещё раз.'],
    provider_unavailable: ['Госуслуги сейчас не отвечают.', 'Попробуйте через несколько минут или войдите логином и паролем от дневника.'],
    provider_error: ['Госуслуги прислали ответ, которому нельзя доверять, поэтому вход остановлен.', 'Начните вход заново; если ошибка повторяется, войдите логином и паролем от дневника.'],
    account_conflict: ['Этот дневник уже привязан к другой учётной записи Госуслуг, или ваша учётная запись привязана к другому дневнику.', 'Войдите логином и паролем от дневника или обратитесь к ответственному сотруднику школы.'],
    binding_refused: ['Этот дневник принадлежит другому человеку: СНИЛС в дневнике не совпадает с вашим.', 'Введите логин и пароль от своего дневника. Родителям выдаётся свой логин, отдельный от логина ребёнка.'],
    region_unknown: ['Такого региона нет.', 'Выберите регион из списка.'],
    not_found: ['Страница не найдена.', 'Начните со страницы входа.'],
    invalid_request: ['Запрос не удалось обработать.', 'Начните вход заново.'],
    region_not_served: ['Модуль дневника, из которого вы пришли, не работает с этим регионом.', 'Выберите свой регион из списка или откройте модуль своего региона.'],
    unknown_client: ['Модуль дневника, из которого вы пришли, не зарегистрирован.', 'Откройте дневник заново по ссылке вашей школы.'],
    redirect_uri_mismatch: ['Модуль дневника прислал неверный адрес возврата, поэтому вход остановлен ради вашей безопасности.', 'Откройте дневник заново по ссылке вашей школы; если ошибка повторяется, сообщите номер запроса в поддержку.'],
    temporarily_unavailable: ['Сервис временно недоступен.', 'Попробуйте через несколько минут.'],
    server_error: ['Произошла ошибка на нашей стороне.', 'Попробуйте ещё раз через несколько минут. Если ошибка повторяется, сообщите номер запроса в поддержку.'],
  } as Record<string, [string, string]>,
}

type Messages = typeof ru

const en: Messages = {
  htmlLang: 'en',
  serviceName: 'School diary sign-in',
  selectRegion: 'Select your region',
  selectRegionHint: 'How you sign in depends on the region of your school.',
  changeRegion: 'Change region',
  loginTitle: 'Sign in to the diary',
  diaryLogin: 'Diary login',
  diaryPassword: 'Diary password',
  signIn: 'Sign in',
  or: 'or',
  stateServicesButton: 'Log in through State Services',
  noMethods: 'Signing in is not available in this region right now. Please try later.',
  searchRegion: 'Find a region',
  search: 'Find',
  noRegionFound: 'No such region. Check the name, or enter the region code, for example 29.',
  upcoming: {
    prefix: 'From',
    stateServicesOnly: 'the diary can be entered only through State Services. Make sure your account there is confirmed.',
    passwordOnly: 'State Services login will not be available; sign in with your diary login and password.',
    both: 'you can sign in both through State Services and with your diary login and password.',
    none: 'signing in to the diary will be temporarily unavailable.',
  },
  wrongCredentials: 'Wrong login or password. Check the keyboard layout and Caps Lock; your school gives you the login and password.',
  bindingTitle: 'Link your diary to State Services',
  bindingIntro: 'You signed in to State Services as',
  bindingAction: 'Enter your diary login and password: the two will be linked, and next time State Services will sign you in directly.',
  bind: 'Link and sign in',
  bindingReason: {
    auto_link_disabled: 'In your region a diary is linked only with its password.',
    not_verified: 'Your State Services account is not confirmed, so your diary cannot be found automatically. Confirm it at a service centre and try again, or link your diary with its password below.',
    no_snils: 'State Services did not provide your SNILS, so your diary cannot be found automatically.',
    no_match: 'Your diary was not found by SNILS. Ask the responsible employee of your school to check the SNILS in the diary, or link your diary with its password.',
    ambiguous: 'Several diaries have your SNILS, so none can be chosen automatically.',
    name_mismatch: 'A diary with your SNILS was found, but the name in it differs from your name at State Services.',
    birth_date_mismatch: 'A diary with your SNILS was found, but the birth date in it differs from the one at State Services.',
  },
  passwordChangeTitle: 'Choose your own password',
  passwordChangeIntro: 'Your school gave you a temporary password. To continue, choose your own: only you will know it.',
  newPassword: 'New password',
  repeatPassword: 'Repeat the password',
  passwordRules: 'At least 8 characters; not your login and not containing your birth date; not one of the most common passwords.',
  savePassword: 'Save and sign in',
  passwordProblems: {
    too_short: 'The password is too short: at least 8 characters are needed.',
    too_long: 'The password is too long: at most 128 characters.',
    same_as_login: 'The password must not be or contain your login.',
    contains_birth_date: 'The password must not contain your birth date.',
    too_common: 'This is one of the most common passwords and is easy to guess. Choose another one.',
    mismatch: 'The passwords differ. Enter the same password twice.',
  },
  accountTitle: 'You are signed in',
  accountLogin: 'Login',
  accountRole: 'Role',
  accountRegion: 'Region',
  accountSchool: 'School',
  accountClass: 'Class',
  accountMethod: 'Signed in with',
  methodPassword: 'diary login and password',
  methodStateServices: 'State Services',
  linkedIdentities: 'State Services link',
  linkedAuto: 'linked automatically by SNILS',
  linkedPassword: 'linked with the diary password',
  notLinked: 'not linked',
  logout: 'Sign out',
  roles: { pupil: 'pupil', parent: 'parent', teacher: 'teacher', staff: 'staff' },
  errorTitle: 'Something went wrong',
  errorCode: 'Error code',
  requestId: 'Request number',
  startAgain: 'Start signing in again',
  errors: {
    too_many_attempts: ['Too many failed sign-in attempts.', 'For your safety signing in is closed for a while. Try again in {minutes} min. If you forgot your password, ask the responsible employee of your school.'],
    busy: ['Very many people are signing in right now.', 'Please try again in a minute.'],
    cancelled: ['Signing in through State Services was cancelled.', 'Sign in through State Services again, or with your diary login and password.'],
    login_expired: ['This sign-in attempt has expired or was already used.', 'Start signing in again.'],
    form_expired: ['This page is out of date.', 'Reload the page and send the form again.'],
    provider_unavailable: ['State Services is not answering right now.', 'Try again in a few minutes, or sign in with your diary login and password.'],
    provider_error: ['State Services sent an answer that cannot be trusted, so signing in was stopped.', 'Start again; if it happens again, sign in with your diary login and password.'],
    account_conflict: ['This diary is already linked to another State Services account, or your account is linked to another diary.', 'Sign in with your diary login and password, or contact the responsible employee of your school.'],
    binding_refused: ['This diary belongs to someone else: its SNILS differs from yours.', 'Enter the login and password of your own diary. Parents get a login of their own, separate from their child’s.'],
    region_unknown: ['There is no such region.', 'Choose your region from the list.'],
    not_found: ['Page not found.', 'Start from the sign-in page.'],
    invalid_request: ['The request could not be processed.', 'Start signing in again.'],
    region_not_served: ['The diary module that sent you here does not serve this region.', 'Choose your region from the list, or open the module of your region.'],
    unknown_client: ['The diary module that sent you here is not registered.', 'Open the diary again from your school’s link.'],
    redirect_uri_mismatch: ['The diary module sent a wrong return address, so signing in was stopped for your safety.', 'Open the diary again from your school’s link; if it keeps happening, give the request number to support.'],
    temporarily_unavailable: ['The service is temporarily unavailable.', 'Try again in a few minutes.'],
    server_error: ['Something went wrong on our side.', 'Try again in a few minutes. If it keeps happening, give the request number to support.'],
  },
}

export const messages: Record<Locale, Messages> = { ru, en }
export type { Messages }

/** `?lang=`, then the `lang` cookie, then Accept-Language, then the configured default. */
export function pickLocale(
  query: string | undefined,
  cookie: string | undefined,
  acceptLanguage: string | undefined,
  fallback: Locale,
): Locale {
  for (const candidate of [query, cookie]) {
    if (candidate === 'ru' || candidate === 'en') return candidate
  }
  const preferred = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', q] = part.trim().split(';q=')
      return { lang: tag.slice(0, 2).toLowerCase(), q: q === undefined ? 1 : Number(q) }
    })
    .filter((entry) => entry.lang === 'ru' || entry.lang === 'en')
    .sort((a, b) => b.q - a.q)
  return (preferred[0]?.lang as Locale | undefined) ?? fallback
}
