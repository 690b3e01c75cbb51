import t from 'tap'
import { esiaErrorFromBody, esiaErrors } from '../../../src/upstream/esia/esia-errors.js'

t.test('each ESIA code the issue names leads to a page with a next step', async (t) => {
  const cases: [string, string][] = [
    ['007004', 'ERR_UPSTREAM_CANCELLED'],
    ['007008', 'ERR_UPSTREAM_UNAVAILABLE'],
    ['007011', 'ERR_LOGIN_EXPIRED'],
    ['007014', 'ERR_UPSTREAM_REJECTED'],
    ['007015', 'ERR_UPSTREAM_REJECTED'],
    ['007019', 'ERR_UPSTREAM_REJECTED'],
    ['007023', 'ERR_UPSTREAM_REJECTED'],
    ['007053', 'ERR_UPSTREAM_REJECTED'],
    ['007055', 'ERR_UPSTREAM_ACCOUNT_UNCONFIRMED'],
  ]
  for (const [esia, code] of cases) {
    t.equal(esiaErrors[esia]?.code, code, esia)
    const error = esiaErrorFromBody(
      { error: 'invalid_request', error_description: `ESIA-${esia}: OAuthErrorEnum.something` },
      'the token request',
    )
    t.equal(error.code, code, `${esia} from a body`)
    t.match(error.message, `ESIA-${esia}`, 'the code is in the message that is logged')
    t.match((error.cause as { code: string }).code, `ESIA-${esia}`)
  }
})

t.test('bodies without a known code', async (t) => {
  const cases: [string, Record<string, unknown>, number | undefined, string][] = [
    [
      'an unknown ESIA code',
      { error: 'invalid_request', error_description: 'ESIA-007999: new' },
      400,
      'ERR_UPSTREAM_REJECTED',
    ],
    ['access_denied without a code', { error: 'access_denied' }, undefined, 'ERR_UPSTREAM_CANCELLED'],
    ['a 5xx without a code', { error: 'server_error' }, 503, 'ERR_UPSTREAM_UNAVAILABLE'],
    [
      'a 4xx without a code (an expired access token at rs/prns)',
      { error: 'invalid_token' },
      401,
      'ERR_UPSTREAM_INVALID_RESPONSE',
    ],
    ['a 4xx without anything', {}, 400, 'ERR_UPSTREAM_INVALID_RESPONSE'],
  ]
  for (const [name, body, status, code] of cases) {
    const error = esiaErrorFromBody(body, 'the token request', status)
    t.equal(error.code, code, name)
    t.notMatch(error.message, /ESIA-(?!\d{6})/, `${name}: no empty ESIA code in the message`)
  }
  const long = esiaErrorFromBody({ error_description: `ESIA-007053: ${'x'.repeat(1000)}` }, 'x')
  t.equal((long.cause as Error).message.length, 300, 'a long description is cut')
})
