/*
 * GET /help: the help page (pages/help.ts says what it shows and which pages link to it with a school).
 *   /help                      the regions, each to its help page
 *   /help?region=R             the region's answers and the chooser of its schools
 *   /help?region=R&school=ID   the same with the contact card of school ID, when it is a school of R
 * An unknown region is ERR_REGION_UNKNOWN, as at /login?region=….
 */
import type { FastifyPluginAsync } from 'fastify'
import type { RouteContext } from '../context.js'
import { helpSchools } from '../login/help.js'
import { regionOf } from '../regions/registry.js'
import { HelpQuery } from './forms.js'
import { helpAnswers, helpPage, helpPath, helpRegionsPage } from './pages/help.js'
import { pageContext, pageRoute, sendPage } from './plugins.js'

export const helpRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  app.get<{ Querystring: HelpQuery }>(
    '/help',
    { ...pageRoute, schema: { querystring: HelpQuery } },
    async (request, reply) => {
      const { locale } = request
      const code = request.query.region
      if (code === undefined || code === '') {
        const regions = [...context.regions.values()].map((region) => ({
          code: region.config.code,
          name: region.config.name[locale],
        }))
        regions.sort((a, b) => a.name.localeCompare(b.name, locale))
        return sendPage(reply, helpRegionsPage(pageContext(request), regions))
      }
      const region = regionOf(context.regions, code).config
      const { schools, school } = await helpSchools(context, region.code, request.query.school)
      const page = pageContext(request)
      return sendPage(
        reply,
        helpPage(
          { ...page, help: helpPath(region.code) },
          {
            region: { code: region.code, name: region.name[locale] },
            answers: helpAnswers(page, region.help),
            schools,
            ...(school && { school: { id: school.id, name: school.name, contact: school.contact } }),
          },
        ),
      )
    },
  )
}
