import t from 'tap'
import type { RegionConfig } from '../../src/config/load.js'
import { loginMethods, upcomingChange } from '../../src/regions/policy.js'

const provider = { type: 'oidc', issuer: 'https://esia.example' } as NonNullable<
  RegionConfig['stateServices']['provider']
>
const region = (
  overrides: Partial<Pick<RegionConfig, 'passwordLogin' | 'stateServices' | 'noticeDays'>>,
): RegionConfig => ({
  code: '29',
  name: { ru: 'Р', en: 'R' },
  passwordLogin: { enabled: true },
  stateServices: { enabled: true, provider },
  linking: { autoLinkBySnils: true, allowMissingPatronymic: false },
  secondFactor: { required: [], stateServicesCounts: true, graceSignIns: 0 },
  console: { schoolsMayDeactivate: false },
  timeZone: 'Europe/Moscow',
  noticeDays: 14,
  ...overrides,
})

const at = (iso: string) => new Date(iso)

t.test('shown, hidden, required, with windows', async (t) => {
  const cases: [string, RegionConfig, string, { password: boolean; stateServices: boolean }][] = [
    ['shown', region({}), '2027-01-01', { password: true, stateServices: true }],
    ['hidden', region({ stateServices: { enabled: false } }), '2027-01-01', { password: true, stateServices: false }],
    [
      'hidden without a provider',
      region({ stateServices: { enabled: true } }),
      '2027-01-01',
      { password: true, stateServices: false },
    ],
    [
      'required (password off)',
      region({ passwordLogin: { enabled: false } }),
      '2027-01-01',
      { password: false, stateServices: true },
    ],
    [
      'state services only from April',
      region({ passwordLogin: { enabled: true, until: '2027-04-01' } }),
      '2027-03-31T23:59:59Z',
      { password: true, stateServices: true },
    ],
    [
      'state services only from April (after)',
      region({ passwordLogin: { enabled: true, until: '2027-04-01' } }),
      '2027-04-01T00:00:00Z',
      { password: false, stateServices: true },
    ],
    [
      'button from September',
      region({ stateServices: { enabled: true, from: '2027-09-01', provider } }),
      '2027-08-31',
      { password: true, stateServices: false },
    ],
  ]
  for (const [name, config, when, expected] of cases) t.same(loginMethods(config, at(when)), expected, name)
})

t.test('a change within the notice period is announced', async (t) => {
  const switching = region({ passwordLogin: { enabled: true, until: '2027-04-01' } })
  t.equal(upcomingChange(switching, at('2027-03-01')), undefined, 'a month before: too early for a 14-day notice')
  t.same(upcomingChange(switching, at('2027-03-20')), {
    at: at('2027-04-01'),
    methods: { password: false, stateServices: true },
  })
  t.equal(upcomingChange(switching, at('2027-04-02')), undefined, 'after the switch: nothing to announce')
  t.equal(upcomingChange({ ...switching, noticeDays: 0 }, at('2027-03-31')), undefined, 'noticeDays 0: no banner')
  const noChange = region({ stateServices: { enabled: false, from: '2027-04-01', provider } })
  t.equal(upcomingChange(noChange, at('2027-03-25')), undefined, 'a boundary that changes nothing is not announced')
})
