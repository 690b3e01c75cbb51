/*
 * private_key_jwt client assertions are single use (RFC 7523 §3, OIDC Core §9): each jti is kept per
 * client until the assertion could no longer be accepted anyway, in PostgreSQL, so a copied assertion
 * is refused on every instance. The maintenance job deletes rows past `expires_at`.
 */
import { sql } from 'kysely'
import type { Executor } from '../db/schema.js'

/**
 * True the first time this client presents this jti, false on every later presentation while the
 * first is kept; a kept row already past its expiry counts as gone.
 */
export async function spendClientAssertion(
  db: Executor,
  assertion: { clientId: string; jti: string; expiresAt: Date; now: Date },
): Promise<boolean> {
  const { rows } = await sql<{ jti: string }>`
    insert into client_assertion_use (client_id, jti, expires_at)
    values (${assertion.clientId}, ${assertion.jti}, ${assertion.expiresAt})
    on conflict (client_id, jti) do update set expires_at = excluded.expires_at
      where client_assertion_use.expires_at <= ${assertion.now}
    returning jti`.execute(db)
  return rows.length === 1
}
