/*
 * Errors of the SCIM API as RFC 7644 §3.12 writes them: the status as a string, `scimType` where the RFC
 * has one, a detail that names what failed (never a value). The status and the detail come from the one
 * error table (errors.ts toErrorResponse); a client error of Fastify's own (a body that is not JSON) is
 * invalidSyntax, without the parser's words (they may quote the body).
 */
import { type ErrorResponse, toErrorResponse } from '../errors.js'
import { errorSchema } from './schemas.js'

export interface ScimErrorBody {
  schemas: string[]
  status: string
  scimType?: string
  detail: string
}

export function toScimError(error: unknown, requestId: string): ErrorResponse & { scim: ScimErrorBody } {
  const response = toErrorResponse(error, requestId)
  const scimType = response.scimType ?? (response.status === 400 ? 'invalidSyntax' : undefined)
  // A JSON parser's message may quote the body (a password in it): say only what is wrong.
  const code = (error as { code?: unknown } | null)?.code
  const parseFailure = error instanceof SyntaxError || (typeof code === 'string' && code.startsWith('FST_ERR_CTP'))
  return {
    ...response,
    scim: {
      schemas: [errorSchema],
      status: String(response.status),
      ...(scimType === undefined ? {} : { scimType }),
      detail: parseFailure
        ? 'the body is not a JSON document of an accepted media type'
        : response.body.error_description,
    },
  }
}
