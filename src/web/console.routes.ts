/*
 * The school console (issue 27; console/ decides, web/pages/console.ts shows):
 *   GET  /console                          my schools and their classes, the search
 *   GET  /console/accounts?q=&school=&class=   accounts of my scope by name, login or class
 *   GET  /console/accounts/:id             an account's card
 *   POST /console/accounts/:id/action      an action (action, reason, confirm=yes[, link])
 *   POST /console/accounts/:id/slip        a temporary password, answered as the login slip (PDF)
 *   GET  /console/schools/:id              a school's classes and contact card
 *   POST /console/schools/:id/contact      the contact card
 *   POST /console/schools/:id/slips        the slips of a class's new accounts (PDF)
 *   GET  /console/overview?region=R        a region operator's overview
 *   POST /console/confirm                  a strong sign-in now (a second factor; back here)
 *   POST /console/sign-out                 the console session ends (the diary session stays)
 * Every page first asks `openConsole`: a diary session, then the console's own short session
 * (console/console-access.ts), then the operator's scope; an id outside the scope is a 404 page, never
 * its data. Every form has the CSRF token and the cross-site check (formRoute).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { findAccountById } from '../accounts/account.repository.js'
import { type School, listSchools } from '../accounts/school.repository.js'
import { defaultTimeZone } from '../config/schema.js'
import { decideConsoleAccess } from '../console/console-access.js'
import {
  type AccountCard,
  actOnAccount,
  classesOf,
  type ConsoleAction,
  findAccounts,
  findSchoolOfOperator,
  issueClassPasswords,
  mayAct,
  type Operator,
  readAccountCard,
  schoolsMayChangeState,
  searchLimit,
  setContactCard,
} from '../console/console-actions.js'
import { type LoginSlip, renderLoginSlips } from '../console/login-slips.js'
import { findOperatorScope } from '../console/operator.repository.js'
import { signInsChart, barChart } from '../console/overview-charts.js'
import { readRegionOverview } from '../console/region-overview.js'
import { describeBlock, describeSignIns } from '../console/sign-in-history.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { confirmForConsole } from '../login/console-confirmation.js'
import { currentSession } from '../login/sign-in.js'
import { uuidPattern } from '../db/schema.js'
import {
  accountCardPage,
  type ConsoleChrome,
  confirmPage,
  consoleHomePage,
  consoleWords,
  notOperatorPage,
  overviewPage,
  schoolPage,
  searchResultsPage,
} from './pages/console.js'
import { browserRequest, formRoute, pageContext, pageRoute, sendPage } from './plugins.js'

const text = (maxLength: number) =>
  Type.String({ maxLength, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff\\ufffd]*$' })
const csrf = Type.Optional(Type.String({ maxLength: 256 }))
const IdParams = Type.Object({ id: Type.String({ pattern: uuidPattern }) })
const actions = [
  'temporary_password',
  'unblock',
  'remove_link',
  'end_sessions',
  'reset_factors',
  'deactivate',
  'reactivate',
] as const
const ActionForm = Type.Object({
  _csrf: csrf,
  action: Type.Union(actions.map((action) => Type.Literal(action))),
  reason: text(500),
  confirm: Type.Optional(Type.Literal('yes')),
  link: Type.Optional(Type.String({ pattern: uuidPattern })),
})
const SlipForm = Type.Object({
  _csrf: csrf,
  action: Type.Optional(text(32)),
  reason: text(500),
  confirm: Type.Optional(Type.Literal('yes')),
})
const ClassSlipsForm = Type.Object({
  _csrf: csrf,
  class: text(32),
  reason: text(500),
  confirm: Type.Optional(Type.Literal('yes')),
})
const ContactForm = Type.Object({ _csrf: csrf, name: text(200), room: text(100), phone: text(100), hours: text(200) })
const SearchQuery = Type.Object(
  {
    lang: Type.Optional(text(8)),
    q: Type.Optional(text(200)),
    school: Type.Optional(Type.Union([Type.Literal(''), Type.String({ pattern: uuidPattern })])),
    class: Type.Optional(text(32)),
  },
  { additionalProperties: false },
)
const RegionQuery = Type.Object({ lang: Type.Optional(text(8)), region: text(32) }, { additionalProperties: false })

type Opened = { operator: Operator; chrome: ConsoleChrome }

export const consoleRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  const form = (back: string | ((request: FastifyRequest) => string)) => formRoute(app, context.config, back)

  /** The console for this request, or undefined when the answer (sign in, confirm, not an operator) is sent. */
  async function openConsole(request: FastifyRequest, reply: FastifyReply): Promise<Opened | undefined> {
    const browser = browserRequest(request, context)
    const session = await currentSession(context, browser)
    if (session === undefined) {
      await reply.redirect('/login', 303)
      return undefined
    }
    const scope = await findOperatorScope(context.db, session.accountId)
    if (scope === undefined) {
      await sendPage(reply, notOperatorPage(pageContext(request)), 403)
      return undefined
    }
    const access = decideConsoleAccess(
      { id: session.id, acr: session.acr === 'mfa' ? 'mfa' : 'password', authenticatedAt: session.authenticatedAt },
      request.consoleSession.get('console'),
      context.now(),
    )
    if (access.kind === 'sign_in') {
      await reply.redirect('/login', 303)
      return undefined
    }
    if (access.kind === 'confirm') {
      request.consoleSession.set('console', undefined)
      await sendPage(
        reply,
        confirmPage(pageContext(request), { csrfToken: reply.generateCsrf(), why: access.why }),
        401,
      )
      return undefined
    }
    request.consoleSession.set('console', access.cookie)
    const schools = (
      await Promise.all(
        [...new Set([...scope.schools.map((school) => school.region), ...scope.regions, ...scope.supportRegions])].map(
          (region) => listSchools(context.db, region),
        ),
      )
    )
      .flat()
      .filter(
        (school) =>
          scope.regions.includes(school.region) ||
          scope.supportRegions.includes(school.region) ||
          scope.schools.some((mine) => mine.id === school.id),
      )
    const me = await findAccountById(context.db, session.accountId)
    if (me === undefined) throw new BridgeError('ERR_LOGIN_EXPIRED', 'the account is gone')
    const operator: Operator = {
      account: { id: me.id, login: me.login, region: me.region },
      scope,
      requestId: request.id,
    }
    return { operator, chrome: { csrfToken: reply.generateCsrf(), schools, regionOperator: scope.regions } }
  }

  const timeZoneOf = (region: string) => context.regions.get(region)?.config.timeZone ?? defaultTimeZone
  const notFound = () => new BridgeError('ERR_NOT_FOUND', 'No such page.')

  async function renderCard(
    request: FastifyRequest,
    reply: FastifyReply,
    opened: Opened,
    card: AccountCard,
    shown: { notice?: string; problem?: string; password?: string; status?: number } = {},
  ) {
    const { locale } = request
    const timeZone = timeZoneOf(card.account.region)
    const now = context.now()
    const words = { locale, now, timeZone }
    return sendPage(
      reply,
      accountCardPage(pageContext(request, `/console/accounts/${card.account.id}`), opened.chrome, card, {
        timeZone,
        successes: describeSignIns(card.history.successes, words),
        failures: describeSignIns(card.history.failures, words),
        ...(card.block.until !== undefined && { block: describeBlock(card.block.until, words) }),
        ...(shown.notice !== undefined && { notice: shown.notice }),
        ...(shown.problem !== undefined && { problem: shown.problem }),
        ...(shown.password !== undefined && { password: shown.password }),
        may: {
          change: mayAct(opened.operator, card.account, 'temporary_password'),
          unblock: mayAct(opened.operator, card.account, 'unblock'),
          state:
            mayAct(opened.operator, card.account, 'deactivate') && schoolsMayChangeState(context, card.account.region),
        },
      }),
      shown.status ?? 200,
    )
  }

  /** The card again with why the form was refused (nothing was done). */
  async function renderCardRefusal(
    request: FastifyRequest,
    reply: FastifyReply,
    opened: Opened,
    accountId: string,
    problem: string,
    status: number,
  ) {
    const card = await readAccountCard(context, opened.operator, accountId)
    if (card === undefined) throw notFound()
    return renderCard(request, reply, opened, card, { problem, status })
  }

  async function slipsPdf(
    reply: FastifyReply,
    request: FastifyRequest,
    region: string,
    slips: readonly LoginSlip[],
    name: string,
  ) {
    const loginUrl = `${context.config.publicUrl}/login?region=${encodeURIComponent(region)}`
    const pdf = await renderLoginSlips({
      loginUrl,
      regionName: context.regions.get(region)?.config.name[request.locale] ?? region,
      locale: request.locale,
      issuedAt: context.now(),
      slips,
    })
    return (
      reply
        .code(200)
        .type('application/pdf')
        .header('cache-control', 'no-store')
        // An ASCII name for every browser, the real one (a Cyrillic class) as RFC 6266/5987 allows.
        .header(
          'content-disposition',
          `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}.pdf`,
        )
        .send(pdf)
    )
  }

  const slipOf = (account: AccountCard['account'], password: string): LoginSlip => ({
    school: account.school ?? '',
    name: [account.familyName, account.givenName, account.patronymic].filter(Boolean).join(' '),
    login: account.login,
    temporaryPassword: password,
    className: account.className,
  })

  app.get('/console', pageRoute, async (request, reply) => {
    const opened = await openConsole(request, reply)
    if (opened === undefined) return reply
    const mine = opened.chrome.schools.filter((school) =>
      opened.operator.scope.schools.some((own) => own.id === school.id),
    )
    const listed: School[] = mine.length > 0 ? mine : opened.chrome.schools.slice(0, 50)
    const classes = await Promise.all(
      listed.map(async (school) => ({ school, classes: await classesOf(context, opened.operator, school.id) })),
    )
    return sendPage(reply, consoleHomePage(pageContext(request), opened.chrome, classes))
  })

  app.get('/console/accounts', { ...pageRoute, schema: { querystring: SearchQuery } }, async (request, reply) => {
    const opened = await openConsole(request, reply)
    if (opened === undefined) return reply
    const query = request.query as { q?: string; school?: string; class?: string }
    const search = {
      ...(query.q !== undefined && query.q.trim() !== '' && { text: query.q }),
      ...(query.school !== undefined && query.school !== '' && { schoolId: query.school }),
      ...(query.class !== undefined && query.class.trim() !== '' && { className: query.class.trim() }),
    }
    const accounts = Object.keys(search).length === 0 ? [] : await findAccounts(context, opened.operator, search)
    return sendPage(reply, searchResultsPage(pageContext(request), opened.chrome, query, accounts, searchLimit))
  })

  app.get('/console/accounts/:id', { ...pageRoute, schema: { params: IdParams } }, async (request, reply) => {
    const opened = await openConsole(request, reply)
    if (opened === undefined) return reply
    const card = await readAccountCard(context, opened.operator, (request.params as { id: string }).id)
    if (card === undefined) throw notFound()
    return renderCard(request, reply, opened, card)
  })

  const cardPath = (request: FastifyRequest) => `/console/accounts/${(request.params as { id?: string }).id ?? ''}`

  app.post(
    '/console/accounts/:id/action',
    { ...form(cardPath), schema: { params: IdParams, body: ActionForm } },
    async (request, reply) => {
      const opened = await openConsole(request, reply)
      if (opened === undefined) return reply
      const { id } = request.params as { id: string }
      const body = request.body as { action: ConsoleAction; reason: string; confirm?: 'yes'; link?: string }
      const w = consoleWords(pageContext(request))
      if (body.confirm !== 'yes' || body.reason.trim() === '')
        return renderCardRefusal(request, reply, opened, id, w.needReason, 400)
      const outcome = await actOnAccount(context, opened.operator, {
        accountId: id,
        action: body.action,
        reason: body.reason.trim(),
        ...(body.link !== undefined && { linkId: body.link }),
      })
      if (outcome.kind === 'not_found') throw notFound()
      const card = await readAccountCard(context, opened.operator, id)
      if (card === undefined) throw notFound()
      if (outcome.kind === 'refused')
        return renderCard(request, reply, opened, card, {
          problem: outcome.reason === 'operator_account' ? w.operatorAccount : w.notAllowed,
          status: 403,
        })
      const key = outcome.kind === 'done' ? outcome.action : `${outcome.action}_unchanged`
      return renderCard(request, reply, opened, card, {
        notice: w.done[key] ?? w.done[outcome.action] ?? '',
        ...(outcome.kind === 'done' && outcome.password !== undefined && { password: outcome.password }),
      })
    },
  )

  app.post(
    '/console/accounts/:id/slip',
    { ...form(cardPath), schema: { params: IdParams, body: SlipForm } },
    async (request, reply) => {
      const opened = await openConsole(request, reply)
      if (opened === undefined) return reply
      const { id } = request.params as { id: string }
      const body = request.body as { reason: string; confirm?: 'yes' }
      const w = consoleWords(pageContext(request))
      if (body.confirm !== 'yes' || body.reason.trim() === '')
        return renderCardRefusal(request, reply, opened, id, w.needReason, 400)
      const outcome = await actOnAccount(context, opened.operator, {
        accountId: id,
        action: 'temporary_password',
        reason: body.reason.trim(),
      })
      if (outcome.kind === 'not_found') throw notFound()
      if (outcome.kind !== 'done' || outcome.password === undefined) {
        const problem =
          outcome.kind === 'refused' && outcome.reason === 'operator_account' ? w.operatorAccount : w.notAllowed
        return renderCardRefusal(request, reply, opened, id, problem, 403)
      }
      return slipsPdf(
        reply,
        request,
        outcome.account.region,
        [slipOf(outcome.account, outcome.password)],
        `slip-${outcome.account.login}`,
      )
    },
  )

  const schoolPath = (request: FastifyRequest) => `/console/schools/${(request.params as { id?: string }).id ?? ''}`
  const mayEditSchool = (operator: Operator, school: School) =>
    operator.scope.regions.includes(school.region) || operator.scope.schools.some((own) => own.id === school.id)

  async function renderSchool(
    request: FastifyRequest,
    reply: FastifyReply,
    opened: Opened,
    schoolId: string,
    notice?: string,
  ) {
    const school = await findSchoolOfOperator(context, opened.operator, schoolId)
    const visible = school ?? opened.chrome.schools.find((known) => known.id === schoolId)
    if (visible === undefined) throw notFound()
    const classes = await classesOf(context, opened.operator, visible.id)
    return sendPage(
      reply,
      schoolPage(pageContext(request, `/console/schools/${visible.id}`), opened.chrome, visible, classes, {
        mayEdit: mayEditSchool(opened.operator, visible),
        ...(notice !== undefined && { notice }),
      }),
    )
  }

  app.get('/console/schools/:id', { ...pageRoute, schema: { params: IdParams } }, async (request, reply) => {
    const opened = await openConsole(request, reply)
    if (opened === undefined) return reply
    return renderSchool(request, reply, opened, (request.params as { id: string }).id)
  })

  app.post(
    '/console/schools/:id/contact',
    { ...form(schoolPath), schema: { params: IdParams, body: ContactForm } },
    async (request, reply) => {
      const opened = await openConsole(request, reply)
      if (opened === undefined) return reply
      const { id } = request.params as { id: string }
      const body = request.body as { name: string; room: string; phone: string; hours: string }
      const school = await findSchoolOfOperator(context, opened.operator, id)
      if (school === undefined) throw notFound()
      await setContactCard(context, opened.operator, school.id, {
        name: body.name,
        room: body.room,
        phone: body.phone,
        hours: body.hours,
      })
      return renderSchool(request, reply, opened, school.id, consoleWords(pageContext(request)).saved)
    },
  )

  app.post(
    '/console/schools/:id/slips',
    { ...form(schoolPath), schema: { params: IdParams, body: ClassSlipsForm } },
    async (request, reply) => {
      const opened = await openConsole(request, reply)
      if (opened === undefined) return reply
      const { id } = request.params as { id: string }
      const body = request.body as { class: string; reason: string; confirm?: 'yes' }
      const school = await findSchoolOfOperator(context, opened.operator, id)
      if (school === undefined) throw notFound()
      if (body.confirm !== 'yes' || body.reason.trim() === '')
        return renderSchool(request, reply, opened, school.id, consoleWords(pageContext(request)).needReason)
      const issued = await issueClassPasswords(context, opened.operator, {
        schoolId: school.id,
        className: body.class.trim(),
        reason: body.reason.trim(),
      })
      if (issued === undefined) throw notFound()
      if (issued.length === 0)
        return renderSchool(
          request,
          reply,
          opened,
          school.id,
          request.locale === 'ru'
            ? 'У всех учеников класса уже есть свой пароль: памятки не нужны.'
            : 'Everyone in the class has chosen their own password: no slips are needed.',
        )
      return slipsPdf(
        reply,
        request,
        school.region,
        issued.map(({ account, password }) => slipOf(account, password)),
        `slips-${body.class.trim().replace(/[^\p{L}\p{N}-]/gu, '_')}`,
      )
    },
  )

  app.get('/console/overview', { ...pageRoute, schema: { querystring: RegionQuery } }, async (request, reply) => {
    const opened = await openConsole(request, reply)
    if (opened === undefined) return reply
    const { region } = request.query as { region: string }
    if (!opened.operator.scope.regions.includes(region)) throw notFound()
    const overview = await readRegionOverview(context.db, region, context.now())
    const ru = request.locale === 'ru'
    const charts = [
      signInsChart(overview.signInsPerHour, {
        title: ru ? 'Входы по часам за 7 дней' : 'Sign-ins per hour, last 7 days',
        password: ru ? 'пароль' : 'password',
        stateServices: ru ? 'Госуслуги' : 'State Services',
        secondFactor: ru ? 'второй шаг' : 'second step',
        locale: request.locale,
      }),
      barChart(
        overview.failuresByReason.map((row) => ({ label: row.reason, count: row.count })),
        { title: ru ? 'Неудачные входы по причинам' : 'Failed sign-ins by reason', empty: ru ? 'нет' : 'none' },
      ),
      barChart(
        overview.stateServicesErrorsByCode.map((row) => ({ label: row.code, count: row.count })),
        { title: ru ? 'Ошибки Госуслуг по кодам' : 'State Services errors by code', empty: ru ? 'нет' : 'none' },
      ),
    ]
    const config = context.regions.get(region)?.config
    const policy =
      config === undefined
        ? []
        : [
            `${ru ? 'Вход по паролю' : 'Password sign-in'}: ${config.passwordLogin.enabled ? (ru ? 'включён' : 'on') : ru ? 'выключен' : 'off'}`,
            `${ru ? 'Госуслуги' : 'State Services'}: ${config.stateServices.enabled ? (ru ? 'включены' : 'on') : ru ? 'выключены' : 'off'}`,
            `${ru ? 'Второй шаг обязателен для' : 'Second step required of'}: ${config.secondFactor.required.join(', ') || '—'}${config.secondFactor.from === undefined ? '' : ` (${ru ? 'с' : 'from'} ${String(config.secondFactor.from)})`}`,
          ]
    return sendPage(
      reply,
      overviewPage(pageContext(request), opened.chrome, region, { charts, blockedNow: overview.blockedNow, policy }),
    )
  })

  app.post('/console/confirm', form('/console'), async (request, reply) => {
    const browser = browserRequest(request, context)
    const session = await currentSession(context, browser)
    if (session === undefined) return reply.redirect('/login', 303)
    const confirmation = await confirmForConsole(context, browser, session)
    if (confirmation.kind === 'go') return reply.redirect(confirmation.location, 303)
    return sendPage(
      reply,
      confirmPage(pageContext(request), { csrfToken: reply.generateCsrf(), why: 'sign_in_again' }),
      401,
    )
  })

  app.post('/console/sign-out', form('/console'), async (request, reply) => {
    request.consoleSession.delete()
    return reply.redirect('/account', 303)
  })
}
