import t from 'tap'
import {
  type AccountChoice,
  type ChoiceRequest,
  type ChoosableAccount,
  decideAccountChoice,
} from '../../src/linking/account-choice.js'

const school1: ChoosableAccount = { accountId: 'a1', region: '29' }
const school2: ChoosableAccount = { accountId: 'a2', region: '29' }
const spb: ChoosableAccount = { accountId: 'b1', region: '78' }
const both: ChoiceRequest = { clientRegions: ['29', '78'], prompt: undefined }

t.test('which account a State Services login goes into', async (t) => {
  const cases: [why: string, accounts: ChoosableAccount[], request: ChoiceRequest, expected: AccountChoice][] = [
    ['one account: straight in', [school1], both, { kind: 'sign_in', accountId: 'a1' }],
    [
      'two usable accounts: the person chooses, in the given order',
      [school2, school1],
      both,
      { kind: 'choose', accountIds: ['a2', 'a1'] },
    ],
    [
      'prompt=select_account asks even for one',
      [school1],
      { ...both, prompt: 'select_account' },
      { kind: 'choose', accountIds: ['a1'] },
    ],
    ['prompt=login does not ask', [school1], { ...both, prompt: 'login' }, { kind: 'sign_in', accountId: 'a1' }],
    [
      'only one of two is in a region the module serves: straight into it',
      [school1, spb],
      { clientRegions: ['78'], prompt: undefined },
      { kind: 'sign_in', accountId: 'b1' },
    ],
    [
      'prompt=select_account lists only the usable ones',
      [school1, spb],
      { clientRegions: ['78'], prompt: 'select_account' },
      { kind: 'choose', accountIds: ['b1'] },
    ],
    [
      'none usable: the last chosen, the module answers access_denied',
      [school2, school1],
      { clientRegions: ['78'], prompt: undefined },
      { kind: 'sign_in', accountId: 'a2' },
    ],
    [
      'none usable, even with the prompt: nothing to choose',
      [school1],
      { clientRegions: ['78'], prompt: 'select_account' },
      { kind: 'sign_in', accountId: 'a1' },
    ],
    [
      'no module waiting (the account page): every account is usable',
      [school1, school2],
      { clientRegions: undefined, prompt: undefined },
      { kind: 'choose', accountIds: ['a1', 'a2'] },
    ],
  ]
  for (const [why, accounts, request, expected] of cases) t.same(decideAccountChoice(accounts, request), expected, why)
  t.throws(() => decideAccountChoice([], both), 'no account is a caller error')
})
