/*
 * Prometheus metrics (prom-client), one registry per app. Labels are closed sets (routes as patterns,
 * region codes, client ids, outcome codes): never a login, a subject or anything personal.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { PasswordHasher } from '../accounts/password-hash.js'

export interface Metrics {
  registry: Registry
  login(
    region: string,
    method: 'password' | 'state_services' | 'binding' | 'confirmation' | 'second_factor' | 'passkey',
    outcome: string,
  ): void
  linkDecision(region: string, outcome: string): void
  /** A message to a person (recovery link or code, contact confirmation): sent or failed. */
  message(kind: string, outcome: 'sent' | 'failed'): void
  /** A back-channel logout attempt: delivered, retry, gave_up, not_registered. */
  backchannelLogout(clientId: string, outcome: string): void
  upstream(region: string, operation: 'start' | 'callback', outcome: string, seconds: number): void
  token(clientId: string, grant: string, outcome: string): void
  /** A request refused by the request limits (ops/request-rate.ts). */
  rateLimited(endpoint: string, kind: 'client' | 'address'): void
  http(method: string, route: string, status: number, seconds: number): void
  /** An account deactivated, reactivated or erased, by whom (operator, import, scim). */
  accountState(region: string, change: 'deactivated' | 'reactivated' | 'erased', by: string): void
  /** One run of the maintenance job: its outcome and, when it ran, the rows it deleted per table. */
  maintenance(outcome: 'done' | 'skipped' | 'failed', deleted?: Readonly<Record<string, number>>): void
}

export function createMetrics(options: { hasher: PasswordHasher }): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'bridge_' })
  const logins = new Counter({
    name: 'bridge_logins_total',
    help: 'Sign-in attempts by region, method (password, state_services, binding, confirmation, second_factor, passkey) and outcome',
    labelNames: ['region', 'method', 'outcome'],
    registers: [registry],
  })
  const links = new Counter({
    name: 'bridge_link_decisions_total',
    help: 'Account-linking decisions by region and outcome (linked, needs_password:<reason>, conflict:<reason>, refused:<reason>)',
    labelNames: ['region', 'outcome'],
    registers: [registry],
  })
  const upstream = new Histogram({
    name: 'bridge_upstream_duration_seconds',
    help: 'Calls to state-services providers by region, operation (start, callback) and outcome',
    labelNames: ['region', 'operation', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  })
  const messages = new Counter({
    name: 'bridge_messages_total',
    help: 'E-mails and SMS to people, by kind (recovery_email, recovery_sms, confirm_email, confirm_phone) and outcome (sent, failed)',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  })
  const backchannel = new Counter({
    name: 'bridge_backchannel_logout_total',
    help: 'Back-channel logout attempts by client and outcome (delivered, retry, gave_up, not_registered)',
    labelNames: ['client_id', 'outcome'],
    registers: [registry],
  })
  const tokens = new Counter({
    name: 'bridge_token_requests_total',
    help:
      'Requests to /token, /revoke and /introspect by client, grant (authorization_code, refresh_token, client_credentials, other_grant, revocation, introspection) ' +
      'and outcome (issued, reissued, the refusal reason, revoked/ignored, active/inactive, or why client authentication failed)',
    labelNames: ['client_id', 'grant', 'outcome'],
    registers: [registry],
  })
  const rateLimited = new Counter({
    name: 'bridge_rate_limited_total',
    help: 'Requests to /token, /revoke and /introspect refused with 429 by the request limits, by endpoint and kind of limit (client, address)',
    labelNames: ['endpoint', 'kind'],
    registers: [registry],
  })
  const http = new Histogram({
    name: 'bridge_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  const accountStates = new Counter({
    name: 'bridge_account_state_changes_total',
    help: 'Accounts deactivated, reactivated or erased, by region, change and who asked (operator, import, scim)',
    labelNames: ['region', 'change', 'by'],
    registers: [registry],
  })
  const maintenanceRuns = new Counter({
    name: 'bridge_maintenance_runs_total',
    help: 'Runs of the maintenance job by outcome (done; skipped: another instance held the lock; failed)',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const maintenanceDeleted = new Counter({
    name: 'bridge_maintenance_deleted_rows_total',
    help: 'Expired rows the maintenance job deleted, by table',
    labelNames: ['table'],
    registers: [registry],
  })
  const httpChildren = new Map<string, ReturnType<typeof http.labels>>()
  const stats = () => options.hasher.stats()
  const poolGauges: [name: string, help: string, read: (stats: ReturnType<PasswordHasher['stats']>) => number][] = [
    ['bridge_password_hash_queue_length', 'Password checks waiting for an argon2id worker', (p) => p.queued],
    [
      'bridge_password_hash_busy_workers',
      'argon2id workers hashing right now (of bridge_password_hash_workers)',
      (p) => p.busy,
    ],
    ['bridge_password_hash_workers', 'argon2id worker threads', (p) => p.workers],
    [
      'bridge_password_hash_refused',
      'Password checks refused (503) because workers and queue were full, since start',
      (p) => p.refused,
    ],
  ]
  for (const [name, help, read] of poolGauges) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()))
      },
    })
  }

  return {
    registry,
    login: (region, method, outcome) => logins.inc({ region, method, outcome }),
    linkDecision: (region, outcome) => links.inc({ region, outcome }),
    message: (kind, outcome) => messages.inc({ kind, outcome }),
    backchannelLogout: (clientId, outcome) => backchannel.inc({ client_id: clientId, outcome }),
    upstream: (region, operation, outcome, seconds) => upstream.observe({ region, operation, outcome }, seconds),
    token: (clientId, grant, outcome) => tokens.inc({ client_id: clientId, grant, outcome }),
    rateLimited: (endpoint, kind) => rateLimited.inc({ endpoint, kind }),
    accountState: (region, change, by) => accountStates.inc({ region, change, by }),
    maintenance: (outcome, deleted = {}) => {
      maintenanceRuns.inc({ outcome })
      for (const [table, rows] of Object.entries(deleted)) maintenanceDeleted.inc({ table }, rows)
    },
    http: (method, route, status, seconds) => {
      // A child per label set, found by one string key: this runs on every request.
      const key = `${method} ${route} ${status}`
      let child = httpChildren.get(key)
      if (child === undefined) {
        child = http.labels({ method, route, status_code: String(status) })
        httpChildren.set(key, child)
      }
      child.observe(seconds)
    },
  }
}
