/*
 * The help page (GET /help, web/help.routes.ts): a region's answers to the common questions of signing
 * in, and the contact card of the school's responsible employee.
 * - the answers are the shipped texts of web/messages (ru, en), each replaced per question by the region
 *   file's `help.<locale>.<question>` when it has one (config/schema.ts, docs/configuration.md); the
 *   region's text is plain text paragraphs, escaped like every other value: no HTML from configuration
 * - the card shows when the school is known: `school=<id>` of a school of that region (the region is a
 *   condition of the query: another region's id shows no card and no name, as an unknown id does), or
 *   chosen from the region's schools, by name
 * - without a region: the list of regions; an unknown region is the 404 of /login?region=…
 * - who gets a link with the school (`helpPath(region, school)`): only a page shown to a person who is
 *   identified already: the account page (signed in) and the temporary password's change (its password
 *   was just verified). Every page that a stranger can reach by typing a login stays at the region:
 *   the login page after a wrong password, and every error page, "access closed" (ERR_ACCOUNT_CLOSED)
 *   included, since a closed account is refused whatever the password: its school would say that the
 *   login exists. The person chooses the school from the list there — unless the school's own link
 *   opened the login page (`/login?region=R&school=ID`, as a school's website gives it): then every
 *   help link of that login names the school, which came from the link and says nothing of an account
 *   (login/transaction.ts `cameFromSchool`); a pupil who fails to sign in there finds the card at once.
 */
import type { SchoolContact } from '../../accounts/school.repository.js'
import { type HelpQuestion, helpQuestions, type RegionFile } from '../../config/schema.js'
import { html, layout, type PageContext, type SafeHtml } from '../html.js'

export interface HelpAnswer {
  question: HelpQuestion
  title: string
  answer: readonly string[]
}

export interface RegionChoice {
  code: string
  name: string
}

export interface SchoolChoice {
  id: string
  name: string
}

/** The help page of a region, or with `school` of one of its schools. */
export function helpPath(region: string | undefined, school?: string | null): string {
  if (region === undefined) return '/help'
  const base = `/help?region=${encodeURIComponent(region)}`
  return school ? `${base}&school=${encodeURIComponent(school)}` : base
}

/** Every question in order: the region's own answer in this language where it has one, else the shipped one. */
export function helpAnswers(context: PageContext, own: RegionFile['help']): HelpAnswer[] {
  const overrides = own?.[context.locale]
  return helpQuestions.map((question) => {
    const shipped = context.t.help.questions[question]
    const region = overrides?.[question]
    return { question, title: region?.title ?? shipped.title, answer: region?.answer ?? shipped.answer }
  })
}

/** Without a region: which region's answers. */
export function helpRegionsPage(context: PageContext, regions: readonly RegionChoice[]): string {
  const { t } = context
  return layout(
    context,
    t.help.title,
    html`<p class="muted">${t.help.chooseRegion}</p>
<ul class="regions" aria-label="${t.regionListLabel}">${regions.map((region) => html`<li><a class="button" href="${helpPath(region.code)}">${region.name} <span class="code">${region.code}</span></a></li>`)}</ul>`,
  )
}

function contactCard(context: PageContext, school: SchoolChoice & { contact: SchoolContact | null }): SafeHtml {
  const { t } = context
  const contact = school.contact
  const part = (label: string, value: string | null | undefined) =>
    value ? html`<dt>${label}</dt><dd>${value}</dd>` : ''
  return html`<div class="card" id="school-card"><p><strong>${school.name}</strong></p>
${
  contact === null
    ? html`<p class="muted">${t.help.noContact}</p>`
    : html`<dl>${part(t.help.contactName, contact.name)}${part(t.help.contactRoom, contact.room)}${part(t.help.contactPhone, contact.phone)}${part(t.help.contactHours, contact.hours)}</dl>`
}</div>`
}

function schoolChooser(
  context: PageContext,
  region: string,
  schools: readonly SchoolChoice[],
  chosen: string | undefined,
): SafeHtml {
  const { t } = context
  if (schools.length === 0) return chosen === undefined ? html`<p class="muted">${t.help.noContact}</p>` : html``
  return html`<form method="get" action="/help" class="search">
<input type="hidden" name="region" value="${region}">
<label for="school">${chosen === undefined ? t.help.chooseSchool : t.help.otherSchool}</label>
<p class="muted">${t.help.chooseSchoolHint}</p>
<select id="school" name="school" required>
<option value="">${t.help.noSchoolChosen}</option>
${schools.map((school) => html`<option value="${school.id}"${school.id === chosen ? html` selected` : ''}>${school.name}</option>`)}
</select>
<button type="submit" class="secondary">${t.help.showSchool}</button>
</form>`
}

export function helpPage(
  context: PageContext,
  page: {
    region: RegionChoice
    answers: readonly HelpAnswer[]
    schools: readonly SchoolChoice[]
    school?: SchoolChoice & { contact: SchoolContact | null }
  },
): string {
  const { t } = context
  return layout(
    context,
    t.help.title,
    html`<p>${page.region.name} · <a href="/help">${t.changeRegion}</a></p>
<p class="muted">${t.help.intro}</p>
<h2>${t.help.schoolTitle}</h2>
${page.school === undefined ? '' : contactCard(context, page.school)}
${schoolChooser(context, page.region.code, page.schools, page.school?.id)}
${page.answers.map(
  (answer) => html`<h2 id="${answer.question}">${answer.title}</h2>
${answer.answer.map((paragraph) => html`<p>${paragraph}</p>`)}`,
)}
<p class="cancel"><a href="/login?region=${encodeURIComponent(page.region.code)}">${t.help.backToLogin}</a></p>`,
  )
}
