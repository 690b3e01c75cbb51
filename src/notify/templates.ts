/*
 * What the bridge writes to people, in Russian and English.
 * - a mail says what was asked, gives the link and how long it is valid, and what to do if the reader
 *   did not ask: ignore it, nothing changes (the password stays the same)
 * - an SMS starts with the code, says what it is for and for how long, and that it must never be told
 *   to anyone; Russian fits one 70-character UCS-2 segment, English stays in plain ASCII (GSM-7, 160)
 * - Russian numbers agree with their noun: 1 минуту, 2 минуты, 5 минут, 11 минут, 21 минуту
 * - an alert (the password or a contact changed) says what happened and whom to ask if it was not the
 *   reader; it carries no link and no code: nothing in it can be used to act on the account
 */

/** The languages of the messages (those of the pages). */
export type Locale = 'ru' | 'en'

export type Notice =
  | { kind: 'recovery_link'; url: string; minutes: number }
  | { kind: 'recovery_code'; code: string; minutes: number }
  | { kind: 'email_confirmation'; url: string; minutes: number }
  | { kind: 'phone_confirmation'; code: string; minutes: number }

export type MailNotice = Notice & { kind: 'recovery_link' | 'email_confirmation' }
export type SmsNotice = Notice & { kind: 'recovery_code' | 'phone_confirmation' }

/** `forms` for one, few, many: минуту, минуты, минут (CLDR plural rules of Russian, integers). */
export function pluralRu(count: number, forms: readonly [one: string, few: string, many: string]): string {
  const tens = count % 100
  const units = count % 10
  if (units === 1 && tens !== 11) return forms[0]
  if (units >= 2 && units <= 4 && (tens < 12 || tens > 14)) return forms[1]
  return forms[2]
}

const minutesRu = (minutes: number) => `${minutes} ${pluralRu(minutes, ['минуту', 'минуты', 'минут'])}`
const minutesEn = (minutes: number) => `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`

export function mailText(notice: MailNotice, locale: Locale): { subject: string; text: string } {
  const lines = (subject: string, ...body: string[]) => ({ subject, text: `${body.join('\n\n')}\n` })
  switch (notice.kind) {
    case 'recovery_link':
      return locale === 'ru'
        ? lines(
            'Восстановление пароля к электронному дневнику',
            'Здравствуйте!',
            'Вы попросили восстановить пароль к электронному дневнику. Откройте ссылку — на открывшейся странице придумайте новый пароль и сохраните его:',
            notice.url,
            `Ссылка действует ${minutesRu(notice.minutes)}; новый пароль по ней можно задать один раз. Никому её не пересылайте: по ней можно сменить ваш пароль.`,
            'Когда новый пароль сохранён, войдите в дневник с ним; вход на других устройствах завершится.',
            'Если вы не просили восстановить пароль, просто не обращайте внимания на это письмо: пока по ссылке не задан новый пароль, ваш пароль останется прежним.',
          )
        : lines(
            'Resetting your diary password',
            'Hello,',
            'You asked to reset the password of your school diary account. Open this link, then choose a new password on the page it opens and save it:',
            notice.url,
            `The link is valid for ${minutesEn(notice.minutes)}; it sets a new password once. Do not forward it to anyone: it lets whoever has it change your password.`,
            'Once the new password is saved, sign in to the diary with it; you are signed out on your other devices.',
            'If you did not ask for this, ignore this letter: unless a new password is set through the link, your password stays the same.',
          )
    case 'email_confirmation':
      return locale === 'ru'
        ? lines(
            'Подтверждение адреса почты для электронного дневника',
            'Здравствуйте!',
            'Этот адрес указали для восстановления пароля к электронному дневнику. Чтобы подтвердить, что адрес ваш, откройте ссылку и нажмите на открывшейся странице «Подтвердить почту»:',
            notice.url,
            `Ссылка действует ${minutesRu(notice.minutes)}.`,
            'Если вы не указывали этот адрес, просто не обращайте внимания на это письмо: адрес не будет привязан к дневнику, а пароль останется прежним.',
          )
        : lines(
            'Confirm your e-mail address for the school diary',
            'Hello,',
            'This address was given for recovering the password of a school diary account. To confirm that it is yours, open this link and press “Confirm the e-mail” on the page it opens:',
            notice.url,
            `The link is valid for ${minutesEn(notice.minutes)}.`,
            'If you did not ask for this, ignore this letter: the address will not be added to the account, and the password stays the same.',
          )
  }
}

export function smsText(notice: SmsNotice, locale: Locale): string {
  switch (notice.kind) {
    case 'recovery_code':
      return locale === 'ru'
        ? `${notice.code} — код сброса пароля дневника, ${notice.minutes} мин. Никому не говорите`
        : `${notice.code} is your diary password reset code, valid ${notice.minutes} min. Never tell this code to anyone.`
    case 'phone_confirmation':
      return locale === 'ru'
        ? `${notice.code} — подтверждение телефона в дневнике, ${notice.minutes} мин. Никому не говорите`
        : `${notice.code} confirms your phone for the school diary, valid ${notice.minutes} min. Never tell this code to anyone.`
  }
}

/** What the owner is told at the contacts they had confirmed before a change (login/owner-alerts.ts). */
export type Alert =
  | { kind: 'password_changed' }
  | { kind: 'contact_changed'; contact: 'email' | 'phone'; masked: string }
  | { kind: 'factor_changed'; change: FactorChange['kind']; factor: FactorChange['factor'] }

/** A second factor added or removed by its owner, or every one reset by the support desk (factors/). */
export interface FactorChange {
  kind: 'added' | 'removed' | 'reset'
  factor: 'passkey' | 'totp' | 'recovery_codes'
}

type Texts = { ru: string; en: string }

/** The factor sentences: the mail's (whole) and the SMS's (short: a Russian SMS is one 70-character segment). */
function factorTexts(alert: Extract<Alert, { kind: 'factor_changed' }>): { mail: Texts; sms: Texts } {
  if (alert.change === 'reset')
    return {
      mail: {
        ru: 'Служба поддержки удалила все способы подтверждения входа в ваш электронный дневник (ключи входа, приложения для кодов, резервные коды) и завершила все сеансы. Входите с паролем; способ подтверждения можно добавить снова.',
        en: 'The support desk removed every second factor of your school diary account (passkeys, code apps, recovery codes) and ended every session. Sign in with your password; you can add a second factor again.',
      },
      sms: { ru: 'Второй фактор входа сброшен', en: 'The second factors of your school diary account were reset' },
    }
  const added = alert.change === 'added'
  switch (alert.factor) {
    case 'passkey':
      return {
        mail: added
          ? {
              ru: 'К вашему электронному дневнику добавлен ключ входа (passkey).',
              en: 'A passkey was added to your school diary account.',
            }
          : {
              ru: 'Из вашего электронного дневника удалён ключ входа (passkey).',
              en: 'A passkey was removed from your school diary account.',
            },
        sms: added
          ? { ru: 'В дневник добавлен ключ входа', en: 'A passkey was added to your school diary account' }
          : { ru: 'Из дневника удалён ключ входа', en: 'A passkey was removed from your school diary account' },
      }
    case 'totp':
      return {
        mail: added
          ? {
              ru: 'К вашему электронному дневнику подключено приложение для одноразовых кодов.',
              en: 'A one-time code app was set up for your school diary account.',
            }
          : {
              ru: 'Из вашего электронного дневника удалено приложение для одноразовых кодов.',
              en: 'A one-time code app was removed from your school diary account.',
            },
        sms: added
          ? { ru: 'Добавлено приложение кодов', en: 'A code app was set up for your school diary account' }
          : { ru: 'Удалено приложение кодов', en: 'A code app was removed from your school diary account' },
      }
    case 'recovery_codes':
      return {
        mail: added
          ? {
              ru: 'Для вашего электронного дневника созданы новые резервные коды; прежние больше не действуют.',
              en: 'New recovery codes were made for your school diary account; the previous ones no longer work.',
            }
          : {
              ru: 'Резервные коды вашего электронного дневника удалены.',
              en: 'The recovery codes of your school diary account were removed.',
            },
        sms: added
          ? { ru: 'Созданы резервные коды', en: 'New recovery codes were made for your school diary account' }
          : { ru: 'Резервные коды удалены', en: 'The recovery codes of your school diary account were removed' },
      }
  }
}

/** What an alert says: the mail's sentence, its subject, and the SMS's first sentence. */
function alertTexts(alert: Alert): { changed: Texts; subject: Texts; sms: Texts } {
  switch (alert.kind) {
    case 'password_changed':
      return {
        changed: {
          ru: 'Пароль от вашего электронного дневника изменён.',
          en: 'The password of your school diary account was changed.',
        },
        subject: { ru: 'Пароль от электронного дневника изменён', en: 'Your diary password was changed' },
        sms: { ru: 'Пароль от дневника изменён', en: 'Your school diary password was changed' },
      }
    case 'contact_changed': {
      const subject = { ru: 'Контакты электронного дневника изменены', en: 'Your diary contact details were changed' }
      return alert.contact === 'email'
        ? {
            changed: {
              ru: `Адрес почты для восстановления пароля к дневнику изменён на ${alert.masked}.`,
              en: `The e-mail address for recovering your diary password was changed to ${alert.masked}.`,
            },
            subject,
            sms: { ru: 'Почта в дневнике изменена', en: 'The e-mail address of your school diary account was changed' },
          }
        : {
            changed: {
              ru: `Номер телефона для восстановления пароля к дневнику изменён на ${alert.masked}.`,
              en: `The phone number for recovering your diary password was changed to ${alert.masked}.`,
            },
            subject,
            sms: { ru: 'Телефон в дневнике изменён', en: 'The phone number of your school diary account was changed' },
          }
    }
    case 'factor_changed': {
      const { mail, sms } = factorTexts(alert)
      return {
        changed: mail,
        subject: {
          ru: 'Подтверждение входа в электронный дневник изменено',
          en: 'The sign-in factors of your diary account were changed',
        },
        sms,
      }
    }
  }
}

export function alertMailText(alert: Alert, locale: Locale): { subject: string; text: string } {
  const lines = (subject: string, ...body: string[]) => ({ subject, text: `${body.join('\n\n')}\n` })
  const { changed, subject } = alertTexts(alert)
  return locale === 'ru'
    ? lines(
        subject.ru,
        'Здравствуйте!',
        changed.ru,
        'Если это сделали вы, ничего делать не нужно.',
        'Если это были не вы, обратитесь к ответственному сотруднику своей школы: он проверит, кто входит в дневник, и выдаст новый пароль. Не отвечайте на это письмо.',
      )
    : lines(
        subject.en,
        'Hello,',
        changed.en,
        'If it was you, there is nothing to do.',
        'If it was not you, contact the responsible person at your school: they will check who signs in to the diary and give you a new password. Do not reply to this letter.',
      )
}

export function alertSmsText(alert: Alert, locale: Locale): string {
  const what = alertTexts(alert).sms
  return locale === 'ru'
    ? `${what.ru}. Если это были не вы, обратитесь в школу`
    : `${what.en}. If it was not you, contact your school.`
}
