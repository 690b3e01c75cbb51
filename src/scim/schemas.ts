/*
 * What the SCIM API says about itself (RFC 7643 §5–7, RFC 7644 §4): the service provider's features,
 * the one resource type (User) and its two schemas, the core User and our diary extension.
 * - attribute names compare case-insensitively (RFC 7643 §2.1); `urn` names compare the same way
 * - the extension's `region` is read-only but for the create of a client of several regions, which names
 *   one; `snils` is write-only and reads back as `snilsLast4`
 * - `consoleRoles` lists the account's console roles (scim/console-roles.ts), a school-admin's with its school
 */

export const coreUserSchema = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const diaryUserSchema = 'urn:ietf:params:scim:schemas:extension:diary:2.0:User'
export const listResponseSchema = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const errorSchema = 'urn:ietf:params:scim:api:messages:2.0:Error'
export const patchOpSchema = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
export const searchRequestSchema = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
export const bulkRequestSchema = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
export const bulkResponseSchema = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse'

export const limits = {
  maxResults: 200,
  bulkMaxOperations: 1000,
  /** Bytes of a Bulk request body (1,000 accounts of about 1 KiB each, and room). */
  bulkMaxPayloadSize: 2 * 1024 * 1024,
} as const

export function serviceProviderConfig(baseUrl: string, documentationUri: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri,
    patch: { supported: true },
    bulk: { supported: true, maxOperations: limits.bulkMaxOperations, maxPayloadSize: limits.bulkMaxPayloadSize },
    filter: { supported: true, maxResults: limits.maxResults },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'An access token of the client_credentials grant at POST /token, with the scim scopes',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  }
}

export function resourceTypes(baseUrl: string) {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'A diary account',
      schema: coreUserSchema,
      schemaExtensions: [{ schema: diaryUserSchema, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
  ]
}

type Mutability = 'readOnly' | 'readWrite' | 'writeOnly' | 'immutable'

interface Attribute {
  name: string
  type: string
  multiValued: boolean
  description: string
  required: boolean
  caseExact: boolean
  mutability: Mutability
  returned: 'default' | 'never'
  uniqueness: 'none' | 'server'
  canonicalValues?: string[]
  subAttributes?: Attribute[]
}

function attribute(
  name: string,
  options: {
    type?: string
    required?: boolean
    mutability?: Mutability
    caseExact?: boolean
    uniqueness?: 'none' | 'server'
    multiValued?: boolean
    canonicalValues?: string[]
    subAttributes?: Attribute[]
    description?: string
  } = {},
): Attribute {
  const mutability = options.mutability ?? 'readWrite'
  return {
    name,
    type: options.type ?? 'string',
    multiValued: options.multiValued ?? false,
    description: options.description ?? name,
    required: options.required ?? false,
    caseExact: options.caseExact ?? false,
    mutability,
    returned: mutability === 'writeOnly' ? 'never' : 'default',
    uniqueness: options.uniqueness ?? 'none',
    ...(options.canonicalValues ? { canonicalValues: options.canonicalValues } : {}),
    ...(options.subAttributes ? { subAttributes: options.subAttributes } : {}),
  }
}

const contact = (name: string, description: string) =>
  attribute(name, {
    type: 'complex',
    multiValued: true,
    description,
    subAttributes: [attribute('value'), attribute('type'), attribute('primary', { type: 'boolean' })],
  })

export function schemas(baseUrl: string) {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: coreUserSchema,
      name: 'User',
      description: 'A diary account',
      attributes: [
        attribute('userName', { required: true, uniqueness: 'server', description: 'The diary login' }),
        attribute('name', {
          type: 'complex',
          required: true,
          subAttributes: [
            attribute('formatted', { mutability: 'readOnly' }),
            attribute('familyName', { required: true }),
            attribute('givenName', { required: true }),
            attribute('middleName', { description: 'The patronymic' }),
          ],
        }),
        attribute('active', { type: 'boolean' }),
        attribute('password', {
          mutability: 'writeOnly',
          description: 'An initial password, changed at first sign-in',
        }),
        contact('emails', 'One e-mail address, stored unverified'),
        contact('phoneNumbers', 'One phone number, stored unverified'),
      ],
      meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${coreUserSchema}` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: diaryUserSchema,
      name: 'DiaryUser',
      description: 'What the diary knows of an account',
      attributes: [
        attribute('region', { mutability: 'readOnly', caseExact: true }),
        attribute('school', { description: "The school's name" }),
        attribute('schoolId', { caseExact: true, description: "The diary's own id of the school" }),
        attribute('class'),
        attribute('role', { required: true, canonicalValues: ['pupil', 'parent', 'teacher', 'staff'] }),
        attribute('birthDate', { description: 'YYYY-MM-DD' }),
        attribute('snils', { mutability: 'writeOnly', caseExact: true }),
        attribute('snilsLast4', { mutability: 'readOnly', caseExact: true }),
        attribute('consoleRoles', {
          type: 'complex',
          multiValued: true,
          description:
            "The account's console roles (teacher or staff accounts only); a PUT without it takes them all away",
          subAttributes: [
            attribute('value', { required: true, canonicalValues: ['school-admin', 'region-operator', 'support'] }),
            attribute('school', { caseExact: true, description: "A school-admin's school: the diary's own id of it" }),
          ],
        }),
      ],
      meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${diaryUserSchema}` },
    },
  ]
}
