/*
 * The schema of the configuration: bridge.json, regions/<code>.json, clients/<client_id>.json and the
 * environment. Every type of `Config` is derived from these schemas. A region's provider is the one
 * exception: each login protocol's schema lives with its connector (upstream/<type>/config.ts) and
 * reaches a region file's schema through the table handed to the loader (provider-kind.ts).
 * - objects are closed: an unknown key is an error, not ignored (a typo must not silently disable a rule)
 * - secrets never appear in files: a file names the environment variable that holds the secret
 * - defaults live here, next to the key they belong to
 */
import Type, { type TSchema } from 'typebox'
import type { ProviderKinds } from './provider-kind.js'

export const closed = { additionalProperties: false } as const

export const EnvName = Type.String({ pattern: '^[A-Z][A-Z0-9_]*$', description: 'name of an environment variable' })
const DateOrDateTime = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2})?(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})?)?$',
  description: 'ISO 8601 date or date-time',
})
const Seconds = (def: number, min: number, max: number) => Type.Integer({ minimum: min, maximum: max, default: def })

const MailSchema = Type.Object(
  {
    /** The From header: `address@host` or `Display name <address@host>`. */
    from: Type.String({ minLength: 3 }),
    smtp: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
        /** Implicit TLS from the first byte (usually port 465); false: plain connection, upgraded by STARTTLS. */
        secure: Type.Boolean({ default: false }),
        /** Without `secure`: refuse to send unless the server upgrades the connection with STARTTLS. */
        requireTls: Type.Boolean({ default: true }),
        user: Type.Optional(Type.String({ minLength: 1 })),
        passwordEnv: Type.Optional(EnvName),
        timeoutMs: Type.Integer({ minimum: 1000, maximum: 120_000, default: 10_000 }),
      },
      closed,
    ),
  },
  closed,
)

const SmsSchema = Type.Object(
  {
    /** Where the bridge POSTs `{"to","text","sender"}` as JSON (notify/http-sms.ts). */
    gatewayUrl: Type.String({ minLength: 1 }),
    /** The variable holding the whole Authorization header value (`Bearer …`, `Basic …`). */
    authorizationEnv: Type.Optional(EnvName),
    /** The sender name or number shown on the phone, if the provider lets the bridge choose it. */
    sender: Type.Optional(Type.String({ minLength: 1, maxLength: 15 })),
    timeoutMs: Type.Integer({ minimum: 500, maximum: 60_000, default: 5000 }),
  },
  closed,
)

/** The ways a forgotten diary password can be recovered; a region may allow fewer (or none: only the school helps). */
export const recoveryMethods = ['state_services', 'email', 'sms'] as const

/** Where pages show dates and times unless a region says otherwise. */
export const defaultTimeZone = 'Europe/Moscow'

export const BridgeFileSchema = Type.Object(
  {
    publicUrl: Type.Optional(Type.String({ minLength: 1 })),
    defaultLocale: Type.Enum(['ru', 'en'], { default: 'ru' }),
    trustProxy: Type.Union([Type.Boolean(), Type.Array(Type.String({ minLength: 1 }))], { default: false }),
    loginTransactionTtlSeconds: Seconds(600, 60, 3600),
    /**
     * ESIA's GOST R 34.10/34.11-2012: "auto" takes OpenSSL's GOST engine when it loads and falls back to
     * JavaScript (with a warning in production); "openssl-engine" refuses to start without the engine;
     * "javascript" never uses it (docs/state-services.md, "Which GOST implementation").
     */
    gostImplementation: Type.Enum(['auto', 'openssl-engine', 'javascript'], { default: 'auto' }),
    tokens: Type.Object(
      {
        signingAlgorithm: Type.Enum(['ES256', 'EdDSA', 'RS256'], { default: 'ES256' }),
        accessTokenTtlSeconds: Seconds(600, 60, 3600),
        idTokenTtlSeconds: Seconds(600, 60, 3600),
        refreshTokenTtlSeconds: Seconds(30 * 24 * 3600, 300, 180 * 24 * 3600),
        /** The preceding refresh token of a family, presented again this soon, gets the same successor (0: off). */
        refreshReuseGraceSeconds: Seconds(10, 0, 60),
        authorizationCodeTtlSeconds: Seconds(60, 10, 600),
        jwksMaxAgeSeconds: Seconds(300, 0, 86_400),
        keyPublishSeconds: Seconds(600, 60, 7 * 86_400),
        keyRotationDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90 }),
      },
      { ...closed, default: {} },
    ),
    session: Type.Object(
      {
        idleTimeoutSeconds: Seconds(30 * 60, 60, 24 * 3600),
        absoluteLifetimeSeconds: Seconds(12 * 3600, 300, 30 * 24 * 3600),
      },
      { ...closed, default: {} },
    ),
    throttling: Type.Object(
      {
        accountFailures: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
        ipFailures: Type.Integer({ minimum: 1, maximum: 100_000, default: 100 }),
        windowSeconds: Seconds(900, 60, 86_400),
        blockSeconds: Seconds(900, 10, 86_400),
      },
      { ...closed, default: {} },
    ),
    /**
     * Requests to POST /token, /revoke and /introspect per fixed window, shared by all instances
     * (ops/request-rate.ts): per client and per client address; 0 turns that limit off.
     */
    rateLimits: Type.Object(
      {
        windowSeconds: Seconds(60, 2, 3600),
        syncSeconds: Seconds(1, 1, 60),
        perClient: Type.Integer({ minimum: 0, maximum: 100_000_000, default: 60_000 }),
        perAddress: Type.Integer({ minimum: 0, maximum: 100_000_000, default: 60_000 }),
      },
      { ...closed, default: {} },
    ),
    passwordHashing: Type.Object(
      {
        workers: Type.Integer({
          minimum: 0,
          maximum: 64,
          default: 0,
          description: '0: one less than the cores, at least 1',
        }),
        maxQueue: Type.Integer({ minimum: 0, maximum: 10_000, default: 8 }),
      },
      { ...closed, default: {} },
    ),
    database: Type.Object(
      {
        migrateOnStart: Type.Boolean({ default: true }),
        /** Production without DATABASE_URL only with this: the embedded database in DATA_DIR (which must exist). */
        embedded: Type.Boolean({ default: false }),
        poolSize: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
        statementTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
        /** Off behind a pooler in transaction mode that does not keep named prepared statements (PgBouncer before 1.21 or without max_prepared_statements). */
        preparedStatements: Type.Boolean({ default: true }),
      },
      { ...closed, default: {} },
    ),
    /** Slow clients: how long a connection may take to send its request, and stay open between requests. */
    http: Type.Object(
      {
        headersTimeoutSeconds: Seconds(10, 1, 600),
        requestTimeoutSeconds: Seconds(30, 1, 600),
        connectionTimeoutSeconds: Seconds(60, 1, 3600),
        keepAliveTimeoutSeconds: Seconds(72, 1, 600),
      },
      { ...closed, default: {} },
    ),
    audit: Type.Object(
      {
        /** Days; a fraction is allowed for tests and benchmarks (0.01 ≈ 15 minutes). */
        retentionDays: Type.Number({ exclusiveMinimum: 0, maximum: 36_500, default: 365 }),
      },
      { ...closed, default: {} },
    ),
    /** E-mail (password recovery links, confirming an address) through an SMTP server; absent: the bridge sends no mail. */
    mail: Type.Optional(MailSchema),
    /** SMS (recovery and confirmation codes) through an HTTP gateway (notify/http-sms.ts); absent: the bridge sends no SMS. */
    sms: Type.Optional(SmsSchema),
    /** The job that deletes expired rows (ops/maintenance.ts). */
    maintenance: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        intervalSeconds: Seconds(3600, 60, 86_400),
        marginSeconds: Seconds(3600, 0, 30 * 86_400),
      },
      { ...closed, default: {} },
    ),
    /** Back-channel logout deliveries (oauth/backchannel-logout.ts), run by every instance. */
    backchannelLogout: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        intervalMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000 }),
        timeoutMs: Type.Integer({ minimum: 500, maximum: 30_000, default: 5000 }),
        giveUpAfterSeconds: Seconds(86_400, 60, 7 * 86_400),
        batchSize: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
      },
      { ...closed, default: {} },
    ),
  },
  closed,
)

const Schedule = {
  from: Type.Optional(DateOrDateTime),
  until: Type.Optional(DateOrDateTime),
}

/** A file named in the configuration (keys, certificates). */
export const FilePath = Type.String({
  minLength: 1,
  description: 'a file path; a relative one is read from the configuration directory',
})

/** The questions of the help page (web/pages/help.ts), in the order it shows them. */
export const helpQuestions = [
  'getLogin',
  'firstSignIn',
  'forgotPassword',
  'stateServicesMismatch',
  'parentAndChild',
  'accessClosed',
] as const
export type HelpQuestion = (typeof helpQuestions)[number]

/** A region's own answer to one question of the help page: plain text paragraphs (shown escaped, never as HTML). */
const HelpAnswer = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    answer: Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { minItems: 1, maxItems: 20 }),
  },
  closed,
)
const optionalAnswer = Type.Optional(HelpAnswer)
const HelpTexts = Type.Object(
  {
    getLogin: optionalAnswer,
    firstSignIn: optionalAnswer,
    forgotPassword: optionalAnswer,
    stateServicesMismatch: optionalAnswer,
    parentAndChild: optionalAnswer,
    accessClosed: optionalAnswer,
  },
  closed,
)

function regionSchema<P extends TSchema>(provider: P) {
  return Type.Object(
    {
      name: Type.Object({ ru: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) }, closed),
      passwordLogin: Type.Object({ enabled: Type.Boolean({ default: true }), ...Schedule }, { ...closed, default: {} }),
      stateServices: Type.Object(
        { enabled: Type.Boolean({ default: false }), ...Schedule, provider: Type.Optional(provider) },
        { ...closed, default: {} },
      ),
      noticeDays: Type.Integer({
        minimum: 0,
        maximum: 365,
        default: 14,
        description: 'days before a scheduled change during which a banner announces it',
      }),
      timeZone: Type.String({
        minLength: 1,
        default: defaultTimeZone,
        description: 'IANA time zone in which pages show dates and times',
      }),
      passwordRecovery: Type.Array(Type.Enum([...recoveryMethods]), {
        uniqueItems: true,
        default: [...recoveryMethods],
      }),
      linking: Type.Object(
        {
          autoLinkBySnils: Type.Boolean({ default: true }),
          allowMissingPatronymic: Type.Boolean({ default: false }),
        },
        { ...closed, default: {} },
      ),
      /** The region's answers on the help page, per language and question, instead of the shipped ones. */
      help: Type.Optional(Type.Object({ ru: Type.Optional(HelpTexts), en: Type.Optional(HelpTexts) }, closed)),
      /** Who must sign in with a second factor, and from when (regions/second-factor-policy.ts). */
      secondFactor: Type.Object(
        {
          required: Type.Array(Type.Enum(['pupil', 'parent', 'teacher', 'staff']), { uniqueItems: true, default: [] }),
          from: Type.Optional(DateOrDateTime),
          stateServicesCounts: Type.Boolean({
            default: true,
            description: 'a State Services sign-in of a person the provider verified counts as a strong sign-in',
          }),
          graceSignIns: Type.Integer({
            minimum: 0,
            maximum: 100,
            default: 0,
            description: 'sign-ins without a factor allowed after `from` to a person who must enrol one',
          }),
        },
        { ...closed, default: {} },
      ),
      /** What the school console lets the region's schools do (console/console-actions.ts). */
      console: Type.Object(
        {
          schoolsMayDeactivate: Type.Boolean({
            default: false,
            description:
              'school admins may deactivate and reactivate accounts at the console (SCIM stays the normal path)',
          }),
        },
        { ...closed, default: {} },
      ),
    },
    closed,
  )
}

/** A region file as its provider's kind receives it: a provider is an object with a `type` (provider-kind.ts). */
export const RegionFileSchema = regionSchema(Type.Object({ type: Type.String() }))

/**
 * The schema to validate one region file with, for a table of provider kinds: its provider is the
 * variant of the table chosen by `type` (the union of the table's schemas, decided before validating),
 * so that a mistake is reported against that variant in one line, not against every variant. An unknown
 * `type` is reported as one of the table's types.
 */
export function regionFileSchemaFor(kinds: ProviderKinds): (raw: unknown) => TSchema {
  const types = Object.keys(kinds)
  const defaultType = types.find((type) => {
    const property = kinds[type]?.schema.properties.type
    return property !== undefined && 'default' in property && property.default === type
  })
  return (raw) => {
    const type =
      (raw as { stateServices?: { provider?: { type?: unknown } } } | null)?.stateServices?.provider?.type ??
      defaultType
    const kind = typeof type === 'string' && Object.hasOwn(kinds, type) ? kinds[type] : undefined
    return regionSchema(kind?.schema ?? Type.Object({ type: Type.Enum(types) }))
  }
}

/** The OAuth grants a client may be allowed (RFC 6749 §4.1, §6, §4.4). */
export const grantTypes = ['authorization_code', 'refresh_token', 'client_credentials'] as const

const ClientName = Type.String({ minLength: 1 })
const LocalizedClientName = Type.Object(
  { ru: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) },
  closed,
)

function clientSchema<N extends TSchema>(name: N) {
  return Type.Object(
    {
      /** The diary module's name as people read it ("back to …"): one for both languages, or `{ ru, en }`. */
      name,
      /** Required (at least one) unless the client's only grant is client_credentials (checks.ts). */
      redirectUris: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
      postLogoutRedirectUris: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
      tokenEndpointAuthMethod: Type.Enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']),
      clientSecretEnv: Type.Optional(EnvName),
      jwksUri: Type.Optional(Type.String({ minLength: 1 })),
      scopes: Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), {
        minItems: 1,
        default: ['openid'],
      }),
      audience: Type.String({ minLength: 1 }),
      /** The grants this client may use at POST /token; client_credentials: a machine client (docs/provider.md). */
      grantTypes: Type.Array(Type.Enum([...grantTypes]), {
        minItems: 1,
        uniqueItems: true,
        default: ['authorization_code', 'refresh_token'],
      }),
      /** The regions whose diaries the client serves; for client_credentials also the regions its SCIM calls see. */
      regions: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
      /** Where "back to <name>" on the bridge's account page leads; default: the origin of the first web redirect URI. */
      homeUrl: Type.Optional(Type.String({ minLength: 1 })),
      /** Back-channel logout (OpenID Connect Back-Channel Logout 1.0): where logout tokens are POSTed when sessions end. */
      backchannelLogoutUri: Type.Optional(Type.String({ minLength: 1 })),
      /** This module's access-token lifetime; default: the bridge's `tokens.accessTokenTtlSeconds`. */
      accessTokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 3600 })),
    },
    closed,
  )
}

export const ClientFileSchema = clientSchema(Type.Union([ClientName, LocalizedClientName]))

/** The client schema for one file: its `name`'s own shape (a string, or an object) picks which, so a mistake is named plainly. */
export function clientFileSchemaFor(raw: unknown) {
  const name = (raw as { name?: unknown } | null)?.name
  return clientSchema(typeof name === 'object' && name !== null ? LocalizedClientName : ClientName)
}

/** Only the variables the bridge reads; everything else in the environment is ignored. */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.String()),
  BRIDGE_CONFIG_DIR: Type.Optional(Type.String({ minLength: 1 })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  PORT: Type.Optional(Type.String({ pattern: '^\\d{1,5}$' })),
  PUBLIC_URL: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Optional(Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  LOG_FORMAT: Type.Optional(Type.Enum(['json', 'pretty'])),
  SESSION_KEYS: Type.Optional(Type.String()),
  SNILS_PEPPER: Type.Optional(Type.String()),
  KEY_ENCRYPTION_KEY: Type.Optional(Type.String()),
})

export type BridgeFile = Type.Static<typeof BridgeFileSchema>
export type RegionFile = Type.Static<typeof RegionFileSchema>
export type ClientFile = Type.Static<typeof ClientFileSchema>
export type MailFile = Type.Static<typeof MailSchema>
export type SmsFile = Type.Static<typeof SmsSchema>
export type RecoveryMethod = (typeof recoveryMethods)[number]
export type GrantType = (typeof grantTypes)[number]
export type Env = Type.Static<typeof EnvSchema>

/** The process environment as handed to the loader (`process.env` in the entry points only). */
export type EnvironmentVariables = Readonly<Record<string, string | undefined>>
