/*
 * A `fetch` that delivers requests for the bridge's public origin to `app.inject`, so that real client
 * libraries (openid-client, jose's remote JWKS, the verifier) talk to the app without a listener.
 */
import type { FastifyInstance } from 'fastify'

export function injectFetch(app: FastifyInstance, origin: string): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init)
    const url = new URL(request.url)
    if (url.origin !== origin) return fetch(input, init)
    const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer())
    const response = await app.inject({
      method: request.method as 'GET',
      url: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(request.headers),
      payload: body,
    })
    const headers = new Headers()
    for (const [name, value] of Object.entries(response.headers)) {
      for (const item of [value ?? []].flat()) headers.append(name, String(item))
    }
    return new Response([204, 304].includes(response.statusCode) ? null : response.rawPayload, {
      status: response.statusCode,
      headers,
    })
  }
}
