/*
 * What the login flow sees of one browser request: its id (for the audit), address and browser, and
 * its two encrypted cookies, the session and the login transaction. web/ builds it from the Fastify
 * request; nothing in login/ knows Fastify.
 */
import type { LoginTransaction } from './transaction.js'

/** The `__Host-bridge-session` cookie: only the server-side session id (@fastify/secure-session fits). */
export interface SessionCookie {
  get(key: 'sid'): string | undefined
  set(key: 'sid', value: string | undefined): void
  /** A fresh cookie at every sign-in: nothing from before survives (no fixation). */
  regenerate(): void
  delete(): void
}

export interface BrowserRequest {
  requestId: string
  ip: string
  userAgent: string | undefined
  session: SessionCookie
  transaction: LoginTransaction
}
