/*
 * The words printed on a login slip, ru and en. Nothing here names a person: the PDF's Title comes from
 * `documentTitle`.
 */

export interface SlipTexts {
  documentTitle: string
  title: string
  className: string
  login: string
  temporaryPassword: string
  address: string
  firstTime: readonly [string, string, string]
  issued: (date: string) => string
}

export const slipTexts: Record<'ru' | 'en', SlipTexts> = {
  ru: {
    documentTitle: 'Листки для входа в электронный дневник',
    title: 'Вход в электронный дневник',
    className: 'Класс',
    login: 'Логин',
    temporaryPassword: 'Временный пароль',
    address: 'Адрес для входа',
    firstTime: [
      '1. Откройте адрес или отсканируйте QR-код.',
      '2. Введите логин и временный пароль.',
      '3. Придумайте свой пароль: временный действует только до этого.',
    ],
    issued: (date) => `Выдан ${date}`,
  },
  en: {
    documentTitle: 'School diary login slips',
    title: 'Signing in to the school diary',
    className: 'Class',
    login: 'Login',
    temporaryPassword: 'Temporary password',
    address: 'Sign-in address',
    firstTime: [
      '1. Open the address or scan the QR code.',
      '2. Enter the login and the temporary password.',
      '3. Choose your own password: the temporary one works only until then.',
    ],
    issued: (date) => `Issued ${date}`,
  },
}
