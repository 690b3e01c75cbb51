/*
 * A local state-services provider for the demo and the integration tests, built on oidc-provider:
 * standard OIDC (discovery, PKCE, RS256 ID tokens, userinfo, `iss` in the authorization response),
 * and instead of a password a page where you pick one of the test persons below (or cancel).
 * Claims are ESIA-like: family_name, given_name, middle_name, birthdate, snils, trusted.
 * - the person page comes at every login, also while the simulator remembers a session: a login
 *   abandoned half-way (say, at the bridge's binding page) never makes the next one silently reuse
 *   its person, so the demo can try another person at once
 * - RP-initiated logout signs out at once and returns to the relying party: no "sign out?" page
 *   (the form oidc-provider needs is submitted by the page itself; without scripts, one button)
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider, { type Interaction, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider'
import { escapeHtml } from '../src/web/html.js'

export interface SimulatorPerson {
  id: string
  /** What the test person demonstrates. */
  label: string
  claims: {
    family_name: string
    given_name: string
    middle_name?: string
    birthdate?: string
    snils?: string
    trusted: boolean
  }
}

export const simulatorPersons: readonly SimulatorPerson[] = [
  {
    id: 'maria',
    label: 'verified, with SNILS: linked automatically (pupil ivanova.m)',
    claims: {
      family_name: 'Иванова',
      given_name: 'Мария',
      middle_name: 'Петровна',
      birthdate: '2012-03-14',
      snils: '112-233-445 95',
      trusted: true,
    },
  },
  {
    id: 'petr',
    label: 'a parent whose name is written without ё: linked automatically (ivanov.p, "Пётр")',
    claims: {
      family_name: 'Иванов',
      given_name: 'Петр',
      middle_name: 'Сергеевич',
      birthdate: '1984-07-02',
      snils: '123 456 789 64',
      trusted: true,
    },
  },
  {
    id: 'alexey',
    label: 'no patronymic on either side: linked automatically (smirnov.a)',
    claims: {
      family_name: 'Смирнов',
      given_name: 'Алексей',
      birthdate: '2011-11-30',
      snils: '14567891208',
      trusted: true,
    },
  },
  {
    id: 'elena',
    label: 'account not verified: binding with the diary password (kuznetsova.e)',
    claims: {
      family_name: 'Кузнецова',
      given_name: 'Елена',
      middle_name: 'Викторовна',
      snils: '987-654-321 83',
      trusted: false,
    },
  },
  {
    id: 'elena-verified',
    label:
      'the same name, verified, SNILS matches: linked automatically to kuznetsova.e, replacing a password binding by an unverified account',
    claims: {
      family_name: 'Кузнецова',
      given_name: 'Елена',
      middle_name: 'Викторовна',
      birthdate: '1979-01-20',
      snils: '987-654-321 83',
      trusted: true,
    },
  },
  {
    id: 'tatiana',
    label:
      'verified, SNILS matches, the diary misspells her patronymic: binding with the diary password despite the typo (morozova.t)',
    claims: {
      family_name: 'Морозова',
      given_name: 'Татьяна',
      middle_name: 'Николаевна',
      birthdate: '2011-04-02',
      snils: '345-678-912 26',
      trusted: true,
    },
  },
  {
    id: 'anna',
    label:
      'a mother without SNILS: binding her child’s diary (ivanova.m) is refused, parents use their own diary login',
    claims: {
      family_name: 'Иванова',
      given_name: 'Анна',
      middle_name: 'Викторовна',
      birthdate: '1986-10-11',
      trusted: true,
    },
  },
  {
    id: 'olga',
    label: 'verified, no SNILS: binding with the diary password (novikova.o)',
    claims: {
      family_name: 'Новикова',
      given_name: 'Ольга',
      middle_name: 'Андреевна',
      birthdate: '1990-05-05',
      trusted: true,
    },
  },
  {
    id: 'sergey',
    label: 'verified, SNILS not in any diary: binding with the diary password',
    claims: {
      family_name: 'Соколов',
      given_name: 'Сергей',
      middle_name: 'Олегович',
      snils: '301-402-503 84',
      trusted: true,
    },
  },
]

export interface SimulatorClient {
  clientId: string
  clientSecret: string
  redirectUris: string[]
  postLogoutRedirectUris?: string[]
}

export interface RunningSimulator {
  issuer: string
  close(): Promise<void>
}

/** The urlencoded body of a simulator form. */
export function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (body += chunk))
    request.on('end', () => resolve(new URLSearchParams(body)))
    request.on('error', reject)
  })
}

/** The person page at every login: the login prompt is requested until this very interaction answered it. */
function pickAPersonEveryTime(): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base()
  policy
    .get('login')
    ?.checks.add(
      new interactionPolicy.Check('pick_a_person', 'the simulator asks for the person at every login', (ctx) =>
        ctx.oidc.result?.login === undefined
          ? interactionPolicy.Check.REQUEST_PROMPT
          : interactionPolicy.Check.NO_NEED_TO_PROMPT,
      ),
    )
  return policy
}

/**
 * oidc-provider's logout form (its xsrf field), answered "yes" and submitted by the page itself. Its
 * inline script is fine here: the simulator sets no Content-Security-Policy.
 */
function logoutAtOncePage(form: string): string {
  const answered = form.replace(
    '</form>',
    '<input type="hidden" name="logout" value="yes"/><noscript><button type="submit">Выйти</button></noscript></form>',
  )
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Госуслуги (симулятор)</title></head><body>
<p>Выход из Госуслуг…</p>${answered}
<script>document.getElementById('op.logoutForm').submit()</script></body></html>`
}

/**
 * The person picked now replaces the one the simulator's session remembers, in the session and in
 * this interaction's copy of it. (oidc-provider would otherwise detour through its own scripted
 * "switch account" logout page before answering.)
 */
async function forgetOtherPerson(provider: Provider, interaction: Interaction, accountId: string): Promise<void> {
  const uid = interaction.session?.uid
  const session = uid === undefined ? undefined : await provider.Session.findByUid(uid)
  if (session?.accountId === undefined || session.accountId === accountId) return
  session.accountId = undefined
  session.authorizations = undefined
  await session.persist()
  interaction.session = undefined
  await interaction.persist()
}

function choosePage(uid: string): string {
  const people = simulatorPersons
    .map(
      (person) =>
        `<li><button name="person" value="${person.id}">${escapeHtml(
          [person.claims.family_name, person.claims.given_name, person.claims.middle_name].filter(Boolean).join(' '),
        )}</button> <small>${escapeHtml(person.label)}</small></li>`,
    )
    .join('\n')
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Госуслуги (симулятор)</title></head><body>
<h1>Госуслуги — симулятор</h1><p>Выберите тестового человека:</p>
<form method="post" action="/interaction/${uid}/login"><ul>${people}</ul></form>
<form method="post" action="/interaction/${uid}/abort"><button>Отменить вход</button></form>
</body></html>`
}

export async function startSimulator(options: {
  port: number
  host?: string
  /** The issuer URL; defaults to http://localhost:<port>. */
  issuer?: string
  clients: SimulatorClient[]
}): Promise<RunningSimulator> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const issuer = options.issuer ?? `http://localhost:${port}`

  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'simulator-1', alg: 'RS256', use: 'sig' }
  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64')] },
    claims: {
      openid: ['sub', 'trusted'],
      profile: ['family_name', 'given_name', 'middle_name', 'birthdate'],
      birthdate: ['birthdate'],
      snils: ['snils'],
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.body = logoutAtOncePage(form)
        },
      },
    },
    interactions: { policy: pickAPersonEveryTime(), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    findAccount: (_ctx, id) => {
      const person = simulatorPersons.find((candidate) => candidate.id === id)
      return person && { accountId: id, claims: () => ({ sub: id, ...person.claims }) }
    },
    // The simulator has no consent screen: every requested scope of a known client is granted.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { client, session, params } = ctx.oidc
      if (client === undefined || session?.accountId === undefined) return undefined
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId })
      grant.addOIDCScope(typeof params?.scope === 'string' ? params.scope : 'openid')
      await grant.save()
      return grant
    },
  })
  const callback = provider.callback()

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const match = /^\/interaction\/([^/]+)(\/login|\/abort)?$/.exec(new URL(request.url ?? '/', issuer).pathname)
    if (match === null) {
      void callback(request, response)
      return
    }
    const handle = async () => {
      const details = await provider.interactionDetails(request, response)
      if (match[2] === undefined) {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(choosePage(details.uid))
        return
      }
      const form = await readForm(request)
      const person = simulatorPersons.find((candidate) => candidate.id === form.get('person'))
      const chosen = match[2] === '/login' ? person : undefined
      if (chosen !== undefined) await forgetOtherPerson(provider, details, chosen.id)
      const result =
        chosen !== undefined
          ? { login: { accountId: chosen.id } }
          : { error: 'access_denied', error_description: 'the person cancelled' }
      await provider.interactionFinished(request, response, result, { mergeWithLastSubmission: false })
    }
    handle().catch((error: unknown) => {
      response
        .writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`simulator: ${(error as Error).message}`)
    })
  })

  return {
    issuer,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
