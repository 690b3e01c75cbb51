/*
 * The app with three SCIM clients of the diary (client_credentials, scopes scim.read scim.write): one of
 * region 29, one of region 78, one of both; real tokens from POST /token, and a request helper for
 * /scim/v2 that sends application/scim+json.
 */
import type { LightMyRequestResponse } from 'fastify'
import { snilsCheckNumber } from '../../src/person/snils.js'
import { publicUrl } from './demo-world.js'
import { startOAuthWorld } from './oauth-world.js'

type Teardown = Parameters<typeof startOAuthWorld>[0]

export const scimBase = `${publicUrl}/scim/v2`
export const diarySchema = 'urn:ietf:params:scim:schemas:extension:diary:2.0:User'
export const coreSchema = 'urn:ietf:params:scim:schemas:core:2.0:User'

const machineClient = (regions: string[], secretEnv: string, scopes = ['scim.read', 'scim.write']) => ({
  name: 'Diary of the region',
  grantTypes: ['client_credentials'],
  tokenEndpointAuthMethod: 'client_secret_basic',
  clientSecretEnv: secretEnv,
  scopes,
  audience: 'https://diary.example',
  regions,
})

export const scimClients = {
  'diary-29': 'secret-of-diary-29',
  'diary-78': 'secret-of-diary-78',
  'diary-both': 'secret-of-diary-both',
  'diary-reader': 'secret-of-diary-reader',
} as const

export async function startScimWorld(t: Teardown, options: { bridge?: Record<string, unknown> } = {}) {
  const world = await startOAuthWorld(t, {
    ...options,
    moreClients: {
      'diary-29': machineClient(['29'], 'DIARY_29_SECRET'),
      'diary-78': machineClient(['78'], 'DIARY_78_SECRET'),
      'diary-both': machineClient(['29', '78'], 'DIARY_BOTH_SECRET'),
      'diary-reader': machineClient(['29'], 'DIARY_READER_SECRET', ['scim.read']),
    },
    env: {
      DIARY_29_SECRET: scimClients['diary-29'],
      DIARY_78_SECRET: scimClients['diary-78'],
      DIARY_BOTH_SECRET: scimClients['diary-both'],
      DIARY_READER_SECRET: scimClients['diary-reader'],
    },
  })
  const { app } = world

  /** A machine access token of the client, from POST /token (client_credentials). */
  async function tokenOf(clientId: keyof typeof scimClients): Promise<string> {
    const response = await app.inject({
      method: 'POST',
      url: '/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${scimClients[clientId]}`).toString('base64')}`,
      },
      payload: 'grant_type=client_credentials',
    })
    if (response.statusCode !== 200) throw new Error(`no token: ${response.body}`)
    return response.json<{ access_token: string }>().access_token
  }

  const tokens = {
    29: await tokenOf('diary-29'),
    78: await tokenOf('diary-78'),
    both: await tokenOf('diary-both'),
    reader: await tokenOf('diary-reader'),
  }

  /** A request to /scim/v2 + path with the token (region 29's unless given). */
  function scim(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    options: { token?: string; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    return app.inject({
      method,
      url: `/scim/v2${path}`,
      headers: {
        authorization: `Bearer ${options.token ?? tokens[29]}`,
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
        ...options.headers,
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    })
  }

  return { ...world, tokens, tokenOf, scim }
}

/** A User as the API answers it (the fields the tests read). */
export type UserBody = { id: string; userName: string } & Record<string, unknown>

/** A ListResponse. */
export interface ListBody {
  schemas: string[]
  totalResults: number
  startIndex: number
  itemsPerPage: number
  Resources: UserBody[]
}

/** A User resource of the core schema and our extension. */
export function userResource(
  userName: string,
  extension: Record<string, unknown> = { role: 'pupil' },
  more: Record<string, unknown> = {},
) {
  return {
    schemas: [coreSchema, diarySchema],
    userName,
    name: { familyName: 'Иванова', givenName: 'Мария', middleName: 'Петровна' },
    active: true,
    [diarySchema]: extension,
    ...more,
  }
}

/** A valid SNILS (check number included) made of `n`, formatted as people write it. */
export function snilsOf(n: number): string {
  const nine = String(100_000_000 + n).slice(-9)
  const check = String(snilsCheckNumber(nine)).padStart(2, '0')
  return `${nine.slice(0, 3)}-${nine.slice(3, 6)}-${nine.slice(6, 9)} ${check}`
}
