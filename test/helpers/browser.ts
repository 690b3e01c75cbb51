/*
 * A small browser for flow tests: one cookie jar per origin, redirects followed by hand (303 → GET).
 * Requests to the bridge's public origin go through `app.inject`; every other origin (the simulator,
 * a fake provider) over real HTTP.
 */
import type { FastifyInstance } from 'fastify'

export interface Page {
  status: number
  url: URL
  headers: Record<string, string | string[] | undefined>
  body: string
}

export class Browser {
  readonly jars = new Map<string, Map<string, string>>()
  readonly visited: URL[] = []

  constructor(
    private readonly app: FastifyInstance,
    private readonly bridgeOrigin: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  private jar(origin: string): Map<string, string> {
    let jar = this.jars.get(origin)
    if (jar === undefined) this.jars.set(origin, (jar = new Map()))
    return jar
  }

  private remember(origin: string, setCookie: string | string[] | undefined): void {
    for (const header of [setCookie ?? []].flat()) {
      const pair = header.split(';', 1)[0] ?? ''
      const name = pair.slice(0, pair.indexOf('='))
      const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(header) || pair.endsWith('=')
      if (expired) this.jar(origin).delete(name)
      else this.jar(origin).set(name, pair.slice(name.length + 1))
    }
  }

  cookieHeader(origin: string): string {
    return [...this.jar(origin)].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  async request(method: 'GET' | 'POST', target: string | URL, form?: Record<string, string>): Promise<Page> {
    const url = new URL(target, this.bridgeOrigin)
    this.visited.push(url)
    const headers: Record<string, string> = { accept: 'text/html', ...this.headers }
    const cookie = this.cookieHeader(url.origin)
    if (cookie) headers.cookie = cookie
    const body = form && new URLSearchParams(form).toString()
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    if (url.origin === this.bridgeOrigin) {
      const response = await this.app.inject({ method, url: `${url.pathname}${url.search}`, headers, payload: body })
      this.remember(url.origin, response.headers['set-cookie'])
      return { status: response.statusCode, url, headers: response.headers as Page['headers'], body: response.body }
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' })
    this.remember(url.origin, response.headers.getSetCookie())
    return { status: response.status, url, headers: Object.fromEntries(response.headers), body: await response.text() }
  }

  /**
   * Requests, then follows redirects until a page that is not a redirect, or until a redirect to a
   * diary module (a non-http scheme, or an origin passed to `stopAt`): that redirect is returned as is.
   */
  async go(method: 'GET' | 'POST', target: string | URL, form?: Record<string, string>): Promise<Page> {
    let page = await this.request(method, target, form)
    for (let hops = 0; page.status >= 300 && page.status < 400; hops++) {
      if (hops > 20) throw new Error('too many redirects')
      const next = new URL(String(page.headers.location), page.url)
      if (!next.protocol.startsWith('http') || this.stopOrigins.has(next.origin)) return page
      page = await this.request('GET', next)
    }
    return page
  }

  /** Origins whose redirects are not followed (the diary modules under test). */
  readonly stopOrigins = new Set<string>()

  stopAt(...origins: string[]): this {
    for (const origin of origins) this.stopOrigins.add(origin)
    return this
  }
}

export function csrfToken(page: Page): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page.body)
  if (match?.[1] === undefined) throw new Error(`no CSRF token on ${page.url.href}`)
  return match[1]
}
