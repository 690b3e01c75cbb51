/*
 * The school console's pages (web/console.routes.ts): the search, an account's card with its actions
 * (each a form with a reason and a confirmation box), a school's classes and contact card, the region
 * overview, and the page that asks for a strong sign-in. The console's own words are here, in Russian
 * and English; contacts show masked, a SNILS never.
 */
import type { Account } from '../../accounts/account.repository.js'
import type { School } from '../../accounts/school.repository.js'
import type { AccountCard } from '../../console/console-actions.js'
import type { HistoryLine } from '../../console/sign-in-history.js'
import { maskEmail, maskPhone } from '../../person/contact.js'
import { csrfField, formatWhen, html, layout, type PageContext, SafeHtml } from '../html.js'

const words = {
  ru: {
    title: 'Консоль школы',
    search: 'Найти',
    searchLabel: 'Фамилия, имя или логин',
    school: 'Школа',
    anySchool: 'все мои школы',
    className: 'Класс',
    found: 'Найдено',
    nothing: 'Никого не нашлось. Проверьте написание или выберите класс.',
    more: 'Показаны первые 50: уточните запрос.',
    schools: 'Мои школы',
    classes: 'Классы',
    accounts: 'учётных записей',
    overview: 'Обзор региона',
    signOut: 'Выйти из консоли',
    roles: { pupil: 'ученик', parent: 'родитель', teacher: 'учитель', staff: 'сотрудник' },
    state: { active: 'действует', deactivated: 'закрыта', erased: 'удалена' },
    card: {
      login: 'Логин',
      role: 'Роль',
      state: 'Состояние',
      reason: 'причина',
      email: 'Эл. почта',
      phone: 'Телефон',
      confirmed: 'подтверждён',
      unconfirmed: 'не подтверждён',
      none: 'нет',
      links: 'Связь с Госуслугами',
      noLinks: 'не связана',
      verified: 'подтверждённая учётная запись',
      unverified: 'неподтверждённая учётная запись',
      factors: 'Второй шаг входа',
      passkeys: 'ключей доступа',
      totp: 'приложений с кодами',
      codes: 'резервных кодов осталось',
      blocked: 'Вход заблокирован до',
      notBlocked: 'Вход не заблокирован',
      failuresCounted: 'неудачных попыток подряд',
      successes: 'Последние входы',
      failures: 'Последние неудачи',
      noEvents: 'нет',
      method: {
        auto_snils: 'автоматически по СНИЛС',
        password: 'по паролю дневника',
        choice: 'выбором учётной записи',
      } as Record<string, string>,
    },
    actions: {
      heading: 'Действия',
      reasonLabel: 'Причина (попадает в журнал)',
      confirm: 'Да, я проверил(а), что это нужный человек',
      temporary_password: 'Выдать временный пароль',
      slip: 'Выдать временный пароль и скачать памятку (PDF)',
      unblock: 'Снять блокировку',
      remove_link: 'Удалить эту связь',
      end_sessions: 'Завершить все сеансы',
      reset_factors: 'Сбросить второй шаг входа',
      deactivate: 'Закрыть доступ',
      reactivate: 'Открыть доступ',
    },
    done: {
      temporary_password: 'Временный пароль выдан. Он показан один раз: передайте его человеку лично.',
      unblock: 'Блокировка снята.',
      unblock_unchanged: 'Блокировки не было.',
      remove_link: 'Связь удалена.',
      end_sessions: 'Все сеансы завершены.',
      end_sessions_unchanged: 'Открытых сеансов не было.',
      reset_factors: 'Второй шаг входа сброшен: при следующем входе его настроят заново.',
      deactivate: 'Доступ закрыт.',
      deactivate_unchanged: 'Доступ уже был закрыт.',
      reactivate: 'Доступ открыт.',
      reactivate_unchanged: 'Доступ уже был открыт.',
    } as Record<string, string>,
    passwordShown: 'Временный пароль',
    back: 'Вернуться к карточке',
    needReason: 'Укажите причину и подтвердите действие.',
    notAllowed: 'Это действие вам недоступно.',
    operatorAccount:
      'У этой учётной записи есть роль в консоли: её пароль, второй шаг входа, связи и доступ меняет ИТ-служба региона.',
    classSlips: 'Памятки для класса',
    classSlipsHint:
      'Временные пароли получат только те, кто ещё не выбрал свой пароль (например, новые ученики 1 сентября).',
    contact: 'Ответственный сотрудник (видят родители на странице помощи)',
    contactName: 'Имя и должность',
    contactRoom: 'Кабинет',
    contactPhone: 'Телефон',
    contactHours: 'Часы приёма',
    save: 'Сохранить',
    saved: 'Сохранено.',
    confirmTitle: 'Подтвердите, что это вы',
    confirmWhy: {
      weak: 'Консоль открывается только после надёжного входа: второго шага входа или входа через Госуслуги.',
      new: 'Чтобы открыть консоль, подтвердите вход ещё раз.',
      idle: 'Консоль закрылась: прошло больше 15 минут без действий.',
      over: 'Консоль закрылась: она открыта не дольше 8 часов.',
    },
    confirmButton: 'Подтвердить вход',
    signInAgain:
      'Подтвердить вход здесь нельзя: второй шаг входа не настроен, а вход был давно. Выйдите и войдите снова через Госуслуги или по паролю — после пароля дневник предложит настроить второй шаг.',
    toAccount: 'Перейти к учётной записи',
    notOperator:
      'Консоль доступна ответственным сотрудникам школ и операторам региона. Обратитесь к оператору региона.',
  },
  en: {
    title: 'School console',
    search: 'Find',
    searchLabel: 'Family name, given name or login',
    school: 'School',
    anySchool: 'all my schools',
    className: 'Class',
    found: 'Found',
    nothing: 'Nobody found. Check the spelling or choose a class.',
    more: 'The first 50 are shown: narrow the search.',
    schools: 'My schools',
    classes: 'Classes',
    accounts: 'accounts',
    overview: 'Region overview',
    signOut: 'Leave the console',
    roles: { pupil: 'pupil', parent: 'parent', teacher: 'teacher', staff: 'staff' },
    state: { active: 'active', deactivated: 'closed', erased: 'erased' },
    card: {
      login: 'Login',
      role: 'Role',
      state: 'State',
      reason: 'reason',
      email: 'E-mail',
      phone: 'Phone',
      confirmed: 'confirmed',
      unconfirmed: 'not confirmed',
      none: 'none',
      links: 'State Services link',
      noLinks: 'not linked',
      verified: 'verified account',
      unverified: 'unverified account',
      factors: 'Second step',
      passkeys: 'passkeys',
      totp: 'code apps',
      codes: 'recovery codes left',
      blocked: 'Sign-in blocked until',
      notBlocked: 'Sign-in not blocked',
      failuresCounted: 'failed attempts in a row',
      successes: 'Last sign-ins',
      failures: 'Last failures',
      noEvents: 'none',
      method: {
        auto_snils: 'automatically by SNILS',
        password: 'by the diary password',
        choice: 'by choosing the account',
      } as Record<string, string>,
    },
    actions: {
      heading: 'Actions',
      reasonLabel: 'Reason (kept in the audit trail)',
      confirm: 'Yes, I checked this is the right person',
      temporary_password: 'Issue a temporary password',
      slip: 'Issue a temporary password and download the slip (PDF)',
      unblock: 'Lift the block',
      remove_link: 'Remove this link',
      end_sessions: 'End all sessions',
      reset_factors: 'Reset the second step',
      deactivate: 'Close access',
      reactivate: 'Open access',
    },
    done: {
      temporary_password: 'A temporary password was issued. It is shown once: hand it over in person.',
      unblock: 'The block is lifted.',
      unblock_unchanged: 'There was no block.',
      remove_link: 'The link is removed.',
      end_sessions: 'Every session has ended.',
      end_sessions_unchanged: 'There were no open sessions.',
      reset_factors: 'The second step is reset: it is set up again at the next sign-in.',
      deactivate: 'Access is closed.',
      deactivate_unchanged: 'Access was closed already.',
      reactivate: 'Access is open.',
      reactivate_unchanged: 'Access was open already.',
    } as Record<string, string>,
    passwordShown: 'Temporary password',
    back: 'Back to the card',
    needReason: 'Give a reason and confirm the action.',
    notAllowed: 'This action is not yours to take.',
    operatorAccount:
      "This account holds a console role: its password, second step, links and access are changed by the region's IT.",
    classSlips: 'Slips for the class',
    classSlipsHint: 'Only those who have not chosen their own password yet get one (new pupils on 1 September, say).',
    contact: 'Responsible employee (parents see this on the help page)',
    contactName: 'Name and position',
    contactRoom: 'Room',
    contactPhone: 'Phone',
    contactHours: 'Hours',
    save: 'Save',
    saved: 'Saved.',
    confirmTitle: 'Confirm it is you',
    confirmWhy: {
      weak: 'The console opens only after a strong sign-in: a second step, or State Services.',
      new: 'To open the console, confirm your sign-in once more.',
      idle: 'The console closed: more than 15 minutes without a request.',
      over: 'The console closed: it stays open for at most 8 hours.',
    },
    confirmButton: 'Confirm',
    signInAgain:
      'Your sign-in cannot be confirmed here: you have no second step set up and signed in a while ago. Sign out and sign in again through State Services or with your password (the diary then offers to set up a second step).',
    toAccount: 'Go to my account',
    notOperator:
      'The console is for the responsible employees of schools and the region operators. Ask your region operator.',
  },
}

export type ConsoleWords = (typeof words)['ru']
export const consoleWords = (context: PageContext): ConsoleWords => words[context.locale]

export interface ConsoleChrome {
  csrfToken: string
  schools: readonly School[]
  regionOperator: readonly string[]
}

function nav(context: PageContext, chrome: ConsoleChrome): SafeHtml {
  const w = consoleWords(context)
  return html`<nav class="console"><a href="/console">${w.title}</a>${chrome.regionOperator.map(
    (region) => html` · <a href="/console/overview?region=${region}">${w.overview} ${region}</a>`,
  )}
<form method="post" action="/console/sign-out" class="inline">${csrfField(chrome.csrfToken)}<button type="submit" class="link">${w.signOut}</button></form></nav>`
}

function searchForm(
  context: PageContext,
  chrome: ConsoleChrome,
  search: { q?: string; school?: string; class?: string },
) {
  const w = consoleWords(context)
  return html`<form method="get" action="/console/accounts" class="search">
<label>${w.searchLabel}<input name="q" value="${search.q ?? ''}" maxlength="200" autofocus></label>
<label>${w.school}<select name="school"><option value="">${w.anySchool}</option>${chrome.schools.map(
    (school) =>
      html`<option value="${school.id}"${new SafeHtml(search.school === school.id ? ' selected' : '')}>${school.name}</option>`,
  )}</select></label>
<label>${w.className}<input name="class" value="${search.class ?? ''}" maxlength="32" size="6"></label>
<button type="submit">${w.search}</button>
</form>`
}

const fullName = (account: Account) =>
  [account.familyName, account.givenName, account.patronymic].filter((part) => part !== null && part !== '').join(' ')

export function consoleHomePage(
  context: PageContext,
  chrome: ConsoleChrome,
  classes: readonly { school: School; classes: readonly { className: string; accounts: number }[] }[],
): string {
  const w = consoleWords(context)
  return layout(
    context,
    w.title,
    html`${nav(context, chrome)}${searchForm(context, chrome, {})}
<h2>${w.schools}</h2>
${classes.map(
  ({ school, classes: list }) => html`<section><h3><a href="/console/schools/${school.id}">${school.name}</a></h3>
<p>${list.map(
    (entry) =>
      html`<a href="/console/accounts?school=${school.id}&amp;class=${encodeURIComponent(entry.className)}">${entry.className}</a> (${entry.accounts}) `,
  )}</p></section>`,
)}`,
  )
}

export function searchResultsPage(
  context: PageContext,
  chrome: ConsoleChrome,
  search: { q?: string; school?: string; class?: string },
  accounts: readonly Account[],
  limit: number,
): string {
  const w = consoleWords(context)
  const rows = accounts.map(
    (
      account,
    ) => html`<tr><td><a href="/console/accounts/${account.id}">${fullName(account)}</a></td><td>${account.login}</td>
<td>${w.roles[account.role]}</td><td>${account.school ?? ''}</td><td>${account.className ?? ''}</td><td>${w.state[account.state]}</td></tr>`,
  )
  return layout(
    context,
    w.title,
    html`${nav(context, chrome)}${searchForm(context, chrome, search)}
${
  accounts.length === 0
    ? html`<p>${w.nothing}</p>`
    : html`<p>${w.found}: ${accounts.length}</p><table class="accounts">${rows}</table>${accounts.length >= limit ? html`<p>${w.more}</p>` : ''}`
}`,
  )
}

function actionForm(
  context: PageContext,
  chrome: ConsoleChrome,
  accountId: string,
  action: keyof ConsoleWords['actions'],
  extra: SafeHtml | '' = '',
  target = `/console/accounts/${accountId}/action`,
): SafeHtml {
  const w = consoleWords(context)
  return html`<form method="post" action="${target}" class="action">${csrfField(chrome.csrfToken)}
<input type="hidden" name="action" value="${action}">${extra}
<label>${w.actions.reasonLabel}<input name="reason" required maxlength="500"></label>
<label class="check"><input type="checkbox" name="confirm" value="yes" required> ${w.actions.confirm}</label>
<button type="submit">${w.actions[action]}</button></form>`
}

export function accountCardPage(
  context: PageContext,
  chrome: ConsoleChrome,
  card: AccountCard,
  view: {
    timeZone: string
    successes: readonly HistoryLine[]
    failures: readonly HistoryLine[]
    block?: string
    notice?: string
    problem?: string
    password?: string
    may: { change: boolean; unblock: boolean; state: boolean }
  },
): string {
  const w = consoleWords(context)
  const { account, contacts } = card
  const contact = (kind: 'email' | 'phone') => {
    const value = contacts?.[kind] ?? null
    if (value === null) return w.card.none
    const confirmed = kind === 'email' ? contacts?.emailVerified : contacts?.phoneVerified
    const masked = kind === 'email' ? maskEmail(value) : maskPhone(value)
    return `${masked} (${confirmed ? w.card.confirmed : w.card.unconfirmed})`
  }
  const lines = (list: readonly HistoryLine[]) =>
    list.length === 0
      ? html`<p>${w.card.noEvents}</p>`
      : html`<ul>${list.map((line) => html`<li>${line.text}</li>`)}</ul>`
  const change = view.may.change
  return layout(
    context,
    fullName(account),
    html`${nav(context, chrome)}
${view.notice === undefined ? '' : html`<p class="notice">${view.notice}</p>`}
${view.problem === undefined ? '' : html`<p class="error">${view.problem}</p>`}
${view.password === undefined ? '' : html`<p class="notice">${w.passwordShown}: <code class="password">${view.password}</code></p>`}
<dl class="card">
<dt>${w.card.login}</dt><dd>${account.login}</dd>
<dt>${w.card.role}</dt><dd>${w.roles[account.role]}</dd>
<dt>${w.school}</dt><dd>${account.school ?? '—'}${account.className === null ? '' : `, ${account.className}`}</dd>
<dt>${w.card.state}</dt><dd>${w.state[account.state]}${
      account.deactivation === null
        ? ''
        : ` — ${formatWhen(context, account.deactivation.at, view.timeZone)}${account.deactivation.reason === null ? '' : `, ${w.card.reason}: ${account.deactivation.reason}`}`
    }</dd>
<dt>${w.card.email}</dt><dd>${contact('email')}</dd>
<dt>${w.card.phone}</dt><dd>${contact('phone')}</dd>
<dt>${w.card.factors}</dt><dd>${card.factors.passkeys} ${w.card.passkeys}, ${card.factors.totp} ${w.card.totp}, ${card.factors.recoveryCodesLeft} ${w.card.codes}</dd>
<dt>${view.block === undefined ? w.card.notBlocked : w.card.blocked}</dt><dd>${view.block ?? (card.block.failures > 0 ? `${card.block.failures} ${w.card.failuresCounted}` : '')}</dd>
</dl>
<h2>${w.card.links}</h2>
${
  card.links.length === 0
    ? html`<p>${w.card.noLinks}</p>`
    : html`<ul>${card.links.map(
        (link) =>
          html`<li>${w.card.method[link.method] ?? link.method}, ${formatWhen(context, link.createdAt, view.timeZone)}, ${
            link.verified ? w.card.verified : w.card.unverified
          }${change ? actionForm(context, chrome, account.id, 'remove_link', html`<input type="hidden" name="link" value="${link.id}">`) : ''}</li>`,
      )}</ul>`
}
<h2>${w.card.successes}</h2>${lines(view.successes)}
<h2>${w.card.failures}</h2>${lines(view.failures)}
<h2>${w.actions.heading}</h2>
${change && account.state === 'active' ? actionForm(context, chrome, account.id, 'temporary_password') : ''}
${change && account.state === 'active' ? actionForm(context, chrome, account.id, 'slip', '', `/console/accounts/${account.id}/slip`) : ''}
${view.may.unblock ? actionForm(context, chrome, account.id, 'unblock') : ''}
${change ? actionForm(context, chrome, account.id, 'end_sessions') : ''}
${change && card.factors.passkeys + card.factors.totp > 0 ? actionForm(context, chrome, account.id, 'reset_factors') : ''}
${view.may.state && account.state === 'active' ? actionForm(context, chrome, account.id, 'deactivate') : ''}
${view.may.state && account.state === 'deactivated' ? actionForm(context, chrome, account.id, 'reactivate') : ''}`,
  )
}

export function schoolPage(
  context: PageContext,
  chrome: ConsoleChrome,
  school: School,
  classes: readonly { className: string; accounts: number }[],
  view: { notice?: string; mayEdit: boolean },
): string {
  const w = consoleWords(context)
  const contact = school.contact
  return layout(
    context,
    school.name,
    html`${nav(context, chrome)}
${view.notice === undefined ? '' : html`<p class="notice">${view.notice}</p>`}
<h2>${w.classes}</h2>
<ul>${classes.map(
      (
        entry,
      ) => html`<li><a href="/console/accounts?school=${school.id}&amp;class=${encodeURIComponent(entry.className)}">${entry.className}</a> — ${entry.accounts} ${w.accounts}
${
  view.mayEdit
    ? html`<form method="post" action="/console/schools/${school.id}/slips" class="action">${csrfField(chrome.csrfToken)}
<input type="hidden" name="class" value="${entry.className}">
<label>${w.actions.reasonLabel}<input name="reason" required maxlength="500"></label>
<label class="check"><input type="checkbox" name="confirm" value="yes" required> ${w.actions.confirm}</label>
<button type="submit">${w.classSlips}</button></form>`
    : ''
}</li>`,
    )}</ul>
<p>${w.classSlipsHint}</p>
<h2>${w.contact}</h2>
${
  view.mayEdit
    ? html`<form method="post" action="/console/schools/${school.id}/contact">${csrfField(chrome.csrfToken)}
<label>${w.contactName}<input name="name" value="${contact?.name ?? ''}" maxlength="200"></label>
<label>${w.contactRoom}<input name="room" value="${contact?.room ?? ''}" maxlength="100"></label>
<label>${w.contactPhone}<input name="phone" value="${contact?.phone ?? ''}" maxlength="100"></label>
<label>${w.contactHours}<input name="hours" value="${contact?.hours ?? ''}" maxlength="200"></label>
<button type="submit">${w.save}</button></form>`
    : html`<p>${[contact?.name, contact?.room, contact?.phone, contact?.hours].filter(Boolean).join(' · ')}</p>`
}`,
  )
}

export function confirmPage(
  context: PageContext,
  view: { csrfToken: string; why: keyof ConsoleWords['confirmWhy'] | 'sign_in_again' },
): string {
  const w = consoleWords(context)
  return layout(
    context,
    w.confirmTitle,
    view.why === 'sign_in_again'
      ? html`<p>${w.signInAgain}</p><p><a href="/account">${w.toAccount}</a></p>`
      : html`<p>${w.confirmWhy[view.why]}</p>
<form method="post" action="/console/confirm">${csrfField(view.csrfToken)}<button type="submit">${w.confirmButton}</button></form>`,
  )
}

export function notOperatorPage(context: PageContext): string {
  const w = consoleWords(context)
  return layout(context, w.title, html`<p>${w.notOperator}</p><p><a href="/account">${w.toAccount}</a></p>`)
}

export function overviewPage(
  context: PageContext,
  chrome: ConsoleChrome,
  region: string,
  view: { charts: readonly string[]; blockedNow: number; policy: readonly string[] },
): string {
  const w = consoleWords(context)
  return layout(
    context,
    `${w.overview} ${region}`,
    html`${nav(context, chrome)}
${view.charts.map((svg) => html`<figure class="chart">${new SafeHtml(svg)}</figure>`)}
<p>${context.locale === 'ru' ? 'Заблокировано сейчас' : 'Blocked now'}: ${view.blockedNow}</p>
<ul>${view.policy.map((line) => html`<li>${line}</li>`)}</ul>`,
  )
}
