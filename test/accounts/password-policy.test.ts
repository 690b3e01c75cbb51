import t from 'tap'
import { checkNewPassword } from '../../src/accounts/password-policy.js'

const account = { login: 'ivanova.m', birthDate: '2012-03-14' }

t.test('new passwords follow the rules', async (t) => {
  const cases: [string, string | undefined][] = [
    ['Лето-в-Архангельске', undefined],
    ['correct horse battery', undefined],
    ['short1!', 'too_short'],
    ['x'.repeat(129), 'too_long'],
    ['ivanova.m', 'same_as_login'],
    ['IVANOVA.M2024', 'same_as_login'],
    ['mary14.03.2012', 'contains_birth_date'],
    ['pass14032012', 'contains_birth_date'],
    ['20120314abc', 'contains_birth_date'],
    ['qwertyuiop', 'too_common'],
    ['Password1', 'too_common'],
    ['йцукенгшщз', 'too_common'],
    ['пароль123', 'too_common'],
    ['aaaaaaaaaa', 'too_common'],
    ['3456789012', 'too_common'],
  ]
  for (const [password, problem] of cases) t.equal(checkNewPassword(password, password, account), problem, password)
  t.equal(checkNewPassword('Лето-в-Архангельске', 'Лето-в-Архангельск', account), 'mismatch')
  t.equal(checkNewPassword('Лето-в-Архангельске', 'Лето-в-Архангельске', { login: 'ab', birthDate: null }), undefined)
})
