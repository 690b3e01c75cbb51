import t from 'tap'
import { identityFromClaims } from '../../../src/upstream/oidc/claims.js'

const mapping = {
  familyName: 'family_name',
  givenName: 'given_name',
  patronymic: 'middle_name',
  birthDate: 'birthdate',
  snils: 'esia.snils',
  verified: 'trusted',
}

t.test('claims come from userinfo first, then the ID token; SNILS and dates normalise', async (t) => {
  const identity = identityFromClaims(
    'https://esia.example',
    mapping,
    {
      sub: 'oid-1',
      family_name: 'Из-токена',
      given_name: ' Мария ',
      trusted: 'true',
      birthdate: '2012-03-14T00:00:00Z',
    },
    { sub: 'oid-1', family_name: 'Иванова', esia: { snils: '112 233 445 95' }, middle_name: '' },
    '2026-11-29',
  )
  t.same(identity, {
    issuer: 'https://esia.example',
    subject: 'oid-1',
    verified: true,
    familyName: 'Иванова',
    givenName: 'Мария',
    patronymic: undefined,
    birthDate: '2012-03-14',
    snils: '11223344595',
    snilsInvalid: false,
  })
})

t.test('an invalid SNILS counts as absent; only true means verified', async (t) => {
  const cases: [Record<string, unknown>, { snils?: string; snilsInvalid: boolean; verified: boolean }][] = [
    [
      { esia: { snils: '112-233-445 96' }, trusted: 1 },
      { snils: undefined, snilsInvalid: true, verified: false },
    ],
    [
      { esia: { snils: 11223344595 }, trusted: true },
      { snils: '11223344595', snilsInvalid: false, verified: true },
    ],
    [
      { esia: 'flat', trusted: 'yes' },
      { snils: undefined, snilsInvalid: false, verified: false },
    ],
    [{ trusted: false }, { snils: undefined, snilsInvalid: false, verified: false }],
  ]
  for (const [userinfo, expected] of cases) {
    t.match(
      identityFromClaims('https://esia.example', mapping, { sub: 's' }, { sub: 's', ...userinfo }, '2026-11-29'),
      expected,
      JSON.stringify(userinfo),
    )
  }
})
