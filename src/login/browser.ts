/*
 * What the login flow sees of one browser request: its id (for the audit), address, browser and
 * language, its two encrypted cookies (the session and the login transaction), and a way to send a
 * message once the answer has left. web/ builds it from the Fastify request; nothing in login/ knows
 * Fastify.
 */
import type { Locale } from '../notify/templates.js'
import type { LoginTransaction } from './transaction.js'

/** A message to send once the answer is on its way; undefined: nothing is sent. */
export type Delivery = (() => Promise<void>) | undefined

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
  /** The language of the pages this person reads (and of the messages sent to them). */
  locale: Locale
  session: SessionCookie
  transaction: LoginTransaction
  /**
   * Sends `delivery` after the answer (its failure is logged and counted under `kind`, never shown).
   * Call it only once what it tells of is committed.
   */
  afterAnswer(kind: string, delivery: Delivery): void
}
