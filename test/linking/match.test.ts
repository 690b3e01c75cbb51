import t from 'tap'
import { type Candidate, decideAutoLink, type MatchInput } from '../../src/linking/match.js'

const person: MatchInput = {
  verified: true,
  hasSnils: true,
  familyName: 'Иванова',
  givenName: 'Мария',
  patronymic: 'Петровна',
  birthDate: '2012-03-14',
}
const account: Candidate = {
  id: 'a1',
  familyName: 'Иванова',
  givenName: 'Мария',
  patronymic: 'Петровна',
  birthDate: '2012-03-14',
}
const policy = { autoLinkBySnils: true, allowMissingPatronymic: false }

t.test('automatic linking decisions', async (t) => {
  const cases: [name: string, identity: MatchInput, candidates: Candidate[], p: typeof policy, expected: object][] = [
    [
      'verified, one match',
      person,
      [account],
      policy,
      {
        kind: 'link',
        accountId: 'a1',
        evidence: { verified: true, snils: 'match', name: 'exact', birthDate: 'match' },
      },
    ],
    [
      'no birth date at the provider',
      { ...person, birthDate: undefined },
      [account],
      policy,
      { kind: 'link', evidence: { birthDate: 'absent' } },
    ],
    [
      'no birth date in the diary',
      person,
      [{ ...account, birthDate: null }],
      policy,
      { kind: 'link', evidence: { birthDate: 'absent' } },
    ],
    [
      'policy off',
      person,
      [account],
      { ...policy, autoLinkBySnils: false },
      { kind: 'needs_password', reason: 'auto_link_disabled' },
    ],
    [
      'not verified',
      { ...person, verified: false },
      [account],
      policy,
      { kind: 'needs_password', reason: 'not_verified' },
    ],
    ['no SNILS', { ...person, hasSnils: false }, [], policy, { kind: 'needs_password', reason: 'no_snils' }],
    ['no diary with the SNILS', person, [], policy, { kind: 'needs_password', reason: 'no_match' }],
    [
      'two diaries with the SNILS',
      person,
      [account, { ...account, id: 'a2' }],
      policy,
      { kind: 'needs_password', reason: 'ambiguous' },
    ],
    [
      'another name',
      { ...person, givenName: 'Марина' },
      [account],
      policy,
      { kind: 'needs_password', reason: 'name_mismatch' },
    ],
    [
      'another birth date',
      { ...person, birthDate: '2012-03-15' },
      [account],
      policy,
      { kind: 'needs_password', reason: 'birth_date_mismatch' },
    ],
    [
      'patronymic missing, policy strict',
      { ...person, patronymic: undefined },
      [account],
      policy,
      { kind: 'needs_password', reason: 'name_mismatch' },
    ],
    [
      'patronymic missing, policy lenient',
      { ...person, patronymic: undefined },
      [account],
      { ...policy, allowMissingPatronymic: true },
      { kind: 'link' },
    ],
  ]
  for (const [name, identity, candidates, p, expected] of cases)
    t.match(decideAutoLink(identity, candidates, p), expected, name)
})
