/*
 * Table types. `XTable` describes the columns as Kysely sees them; `XRow` is what a
 * select returns. Dates without time (birth_date) are 'YYYY-MM-DD' strings in both drivers.
 */
import type { ColumnType, Generated, Insertable, Kysely, Selectable, Transaction } from 'kysely'

export type Role = 'pupil' | 'parent' | 'teacher' | 'staff'

type CreatedAt = ColumnType<Date, never, never>
type UpdatedAt = ColumnType<Date, never, Date>

export interface DiaryAccountTable {
  id: Generated<string>
  region: string
  /** Trimmed and lower-cased: logins compare case-insensitively. */
  login: string
  password_hash: string | null
  must_change_password: Generated<boolean>
  role: Role
  family_name: string
  given_name: string
  patronymic: string | null
  birth_date: string | null
  /** HMAC-SHA256 with SNILS_PEPPER over the 11 digits, hex. The SNILS itself is never stored. */
  snils_hmac: string | null
  snils_last4: string | null
  school_id: string | null
  class_name: string | null
  /** The diary's own id of the account (SCIM `externalId`), unique in the region. */
  external_id: ColumnType<string | null, string | null | undefined, string | null>
  state: ColumnType<AccountState, AccountState | undefined, AccountState>
  deactivated_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  /** Free text from the school or the diary system (never personal data of the account). */
  deactivated_reason: ColumnType<string | null, string | null | undefined, string | null>
  /** `operator:<name>`, `import`, `scim:<client_id>` */
  deactivated_by: ColumnType<string | null, string | null | undefined, string | null>
  /** Counted by the database at every update (migration 0015): SCIM's meta.version. */
  version: ColumnType<string, never, never>
  created_at: CreatedAt
  updated_at: UpdatedAt
  password_changed_at: ColumnType<Date | null, never, Date | null>
  /** Lower-cased and trimmed (person/contact.ts). */
  email: ColumnType<string | null, string | null | undefined, string | null>
  email_verified_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  /** `+` and 8–15 digits (person/contact.ts). */
  phone: ColumnType<string | null, string | null | undefined, string | null>
  phone_verified_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

export type AccountState = 'active' | 'deactivated' | 'erased'

/** A school of a region (accounts/school.repository.ts). */
export interface SchoolTable {
  id: Generated<string>
  region: string
  /** The diary's own id of the school; unique in the region when given. */
  diary_id: string | null
  name: string
  short_name: string | null
  /** The school's responsible employee, as parents are told to ask them. */
  contact_name: ColumnType<string | null, string | null | undefined, string | null>
  contact_room: ColumnType<string | null, string | null | undefined, string | null>
  contact_phone: ColumnType<string | null, string | null | undefined, string | null>
  contact_hours: ColumnType<string | null, string | null | undefined, string | null>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export type LinkMethod = 'auto_snils' | 'password'

export interface IdentityLinkTable {
  id: Generated<string>
  issuer: string
  subject: string
  account_id: string
  method: LinkMethod
  /** What the decision rested on, e.g. { snils: 'match', name: 'match' }. Never values. */
  evidence: ColumnType<Record<string, unknown>, string, string>
  /** The provider vouched for the person (a confirmed account) when the link was made; always for `auto_snils`. */
  verified: boolean
  created_at: CreatedAt
  /** When the person last chose this account on the chooser page (it is then listed first). */
  last_chosen_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

export interface AuditEventTable {
  id: Generated<number>
  at: CreatedAt
  type: string
  outcome: string
  account_id: string | null
  region: string | null
  client_id: string | null
  request_id: string | null
  /** Ids, counts and reasons only: no SNILS, passwords, tokens or names. */
  details: ColumnType<Record<string, unknown>, string | undefined, never>
}

export type SessionMethod = 'password' | 'state_services' | 'passkey'

/** The authentication levels the bridge vouches for (tokens/acr.ts maps them to acr URNs). */
export type AcrLevel = 'password' | 'mfa'

export interface LoginSessionTable {
  id: Generated<string>
  account_id: string
  method: SessionMethod
  upstream_issuer: string | null
  /** The State Services subject of a State Services sign-in (the account page lists that person's diaries). */
  upstream_subject: ColumnType<string | null, string | null | undefined, string | null>
  created_at: CreatedAt
  /** The last time the person proved who they are: the sign-in, or a later confirmation. */
  authenticated_at: ColumnType<Date, Date | undefined, Date>
  /** The last request of this session (idle expiry slides from here; updated at most once a minute). */
  last_seen_at: ColumnType<Date, Date | undefined, Date>
  /** Browser family and system ("Chrome · Android"), never the full User-Agent. */
  browser: string | null
  expires_at: Date
  ended_at: Date | null
  ended_reason: string | null
  /** RFC 8176 values, space separated, once a second factor was used; null: what `method` alone says. */
  amr: ColumnType<string | null, string | null | undefined, string | null>
  /** The level the bridge vouches for; null: 'password'. */
  acr: ColumnType<AcrLevel | null, AcrLevel | null | undefined, AcrLevel | null>
}

export interface LoginTransactionUseTable {
  id: string
  used_at: CreatedAt
}

export type SigningAlgorithm = 'ES256' | 'EdDSA' | 'RS256'

export interface SigningKeyTable {
  kid: string
  alg: SigningAlgorithm
  public_jwk: ColumnType<Record<string, unknown>, string, never>
  private_jwk_encrypted: string
  created_at: CreatedAt
  signs_from: Date
  retires_at: Date | null
}

export interface AuthorizationCodeTable {
  code_hash: string
  client_id: string
  account_id: string
  session_id: string | null
  redirect_uri: string
  scope: string
  nonce: string | null
  code_challenge: string
  auth_time: Date
  amr: string
  acr: ColumnType<AcrLevel, AcrLevel | undefined, AcrLevel>
  expires_at: Date
  used_at: Date | null
  family_id: string | null
  access_jti: string | null
  access_expires_at: Date | null
}

export interface TokenFamilyTable {
  id: Generated<string>
  client_id: string
  account_id: string
  session_id: string | null
  scope: string
  auth_time: Date
  amr: string
  acr: ColumnType<AcrLevel, AcrLevel | undefined, AcrLevel>
  created_at: CreatedAt
  revoked_at: Date | null
  revoked_reason: string | null
  /** Until when the latest access token issued in this family is valid; null for families from before migration 0012. */
  access_expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

export interface RefreshTokenTable {
  token_hash: string
  family_id: string
  created_at: CreatedAt
  expires_at: Date
  used_at: Date | null
  /** The successor, sealed with a key derived from this token's value (refresh-successor.ts). */
  successor_sealed: ColumnType<string | null, string | null | undefined, string | null>
}

/** A private_key_jwt client assertion already used, kept until it expires. */
export interface ClientAssertionUseTable {
  client_id: string
  jti: string
  expires_at: Date
}

export interface RevokedAccessTokenTable {
  jti: string
  expires_at: Date
}

export type FactorKind = 'passkey' | 'totp'

/** A second factor of an account (factors/factor.repository.ts). */
export interface AccountFactorTable {
  id: Generated<string>
  account_id: string
  kind: FactorKind
  name: string
  created_at: CreatedAt
  /** A TOTP factor counts once its first code was right; a passkey is confirmed when made. */
  confirmed_at: Date | null
  last_used_at: Date | null
  credential_id: Buffer | null
  public_key: Buffer | null
  sign_count: ColumnType<string | null, number | string | null | undefined, number | string | null>
  transports: string[] | null
  multi_device: boolean | null
  backed_up: boolean | null
  totp_secret_encrypted: string | null
  /** The time step of the last code accepted: a code counts only for a later one. */
  totp_last_step: ColumnType<string | null, number | string | null | undefined, number | string | null>
}

/** One of an account's single-use recovery codes, as a keyed hash. */
export interface AccountRecoveryCodeTable {
  account_id: string
  code_hash: string
  created_at: CreatedAt
  used_at: Date | null
}

export interface LoginThrottleTable {
  key: string
  failures: number
  window_started_at: Date
  blocked_until: Date | null
}

export type RecoveryPurpose = 'reset_email' | 'reset_sms' | 'verify_email' | 'verify_phone'

/** A one-time secret sent to a contact (accounts/recovery-secret.repository.ts); only its hash is kept. */
export interface RecoverySecretTable {
  id: Generated<string>
  /** Whose secret this is (a keyed hash of the typed login, or of the account). */
  lookup_key: string
  /** Null: a stand-in for a login without such a contact, which nobody can ever meet. */
  account_id: string | null
  purpose: RecoveryPurpose
  secret_hash: string
  /** The new contact that a `verify_*` secret confirms; null for resets. */
  destination: string | null
  attempts: Generated<number>
  /** Unique per key and purpose: 0 or 1 for recovery (two live: the newest and the one before), 0 for confirmations. */
  slot: Generated<number>
  created_at: CreatedAt
  expires_at: Date
}

/** A back-channel logout to deliver to a diary module (sessions/logout-notice.repository.ts). */
export interface LogoutNoticeTable {
  id: Generated<string>
  client_id: string
  account_id: string
  session_id: string | null
  reason: string
  created_at: CreatedAt
  attempts: Generated<number>
  next_attempt_at: Generated<Date>
  delivered_at: Date | null
  gave_up_at: Date | null
  /** ok, not_registered, http_<status>, timeout, unreachable */
  last_outcome: string | null
}

/** Requests counted per key ('client:<id>', 'address:<ip>') and fixed window, by all instances (ops/request-rate.ts). */
export interface RequestRateTable {
  key: string
  window_start: Date
  count: number
}

/** A console role of a teacher's or staff account (console/operator.repository.ts). */
export interface OperatorRoleTable {
  id: Generated<string>
  account_id: string
  role: 'school-admin' | 'region-operator' | 'support'
  region: string
  /** The school of a school-admin; null for the other roles. */
  school_id: string | null
  /** `operator:<name>` */
  granted_by: string
  reason: string | null
  granted_at: CreatedAt
}

/** The hours whose events audit_hourly_count holds (audit/hourly-counts.ts). */
export interface AuditHourRolledTable {
  hour: Date
}

/** A region's events of one hour, type, outcome and recorded reason ('' for none), counted once the hour was over. */
export interface AuditHourlyCountTable {
  region: string
  hour: Date
  type: string
  outcome: string
  reason: string
  count: ColumnType<number, number, number>
}

export interface Database {
  diary_account: DiaryAccountTable
  school: SchoolTable
  identity_link: IdentityLinkTable
  audit_event: AuditEventTable
  audit_hour_rolled: AuditHourRolledTable
  audit_hourly_count: AuditHourlyCountTable
  login_session: LoginSessionTable
  login_transaction_use: LoginTransactionUseTable
  signing_key: SigningKeyTable
  authorization_code: AuthorizationCodeTable
  token_family: TokenFamilyTable
  refresh_token: RefreshTokenTable
  revoked_access_token: RevokedAccessTokenTable
  client_assertion_use: ClientAssertionUseTable
  login_throttle: LoginThrottleTable
  request_rate: RequestRateTable
  recovery_secret: RecoverySecretTable
  logout_notice: LogoutNoticeTable
  account_factor: AccountFactorTable
  account_recovery_code: AccountRecoveryCodeTable
  operator_role: OperatorRoleTable
}

export type DiaryAccountRow = Selectable<DiaryAccountTable>
export type NewDiaryAccount = Insertable<DiaryAccountTable>

/** What repository functions run on: the pool, or the caller's transaction. */
export type Executor = Kysely<Database> | Transaction<Database>

export const uuidPattern = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
const uuid = new RegExp(uuidPattern, 'i')

/** Whether `value` can be a uuid column value (a malformed one would be a database error, not "not found"). */
export function isUuid(value: string): boolean {
  return uuid.test(value)
}
