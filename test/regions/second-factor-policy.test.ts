import t from 'tap'
import type { Role } from '../../src/db/schema.js'
import {
  decideSecondFactor,
  inForce,
  type SecondFactorAnswer,
  type SecondFactorQuestion,
} from '../../src/regions/second-factor-policy.js'

const teachers = { required: ['teacher', 'staff'] as Role[], stateServicesCounts: true, graceSignIns: 0 }
const now = new Date('2027-09-01T08:00:00Z')
const ask = (overrides: Partial<SecondFactorQuestion>): SecondFactorQuestion => ({
  policy: teachers,
  role: 'teacher',
  hasFactor: false,
  first: { method: 'password' },
  wantsStrong: false,
  skipsUsed: 0,
  now,
  ...overrides,
})
const password = { method: 'password' } as const
const verified = { method: 'state_services', verified: true } as const
const unverified = { method: 'state_services', verified: false } as const

t.test('what a sign-in needs, and why', async (t) => {
  const cases: [string, SecondFactorQuestion, SecondFactorAnswer][] = [
    ['a pupil without a policy for pupils signs in', ask({ role: 'pupil' }), { kind: 'none', acr: 'password' }],
    ['a teacher without a factor must enrol (policy in force, no grace)', ask({}), { kind: 'enrol', skippable: false }],
    ['a teacher with a factor gives it', ask({ hasFactor: true }), { kind: 'ask' }],
    ['a parent who chose a factor gives it too', ask({ role: 'parent', hasFactor: true }), { kind: 'ask' }],
    [
      'a verified State Services sign-in counts (default)',
      ask({ first: verified, hasFactor: true }),
      { kind: 'none', acr: 'mfa' },
    ],
    [
      'a verified State Services sign-in of a pupil is strong as well',
      ask({ role: 'pupil', first: verified }),
      { kind: 'none', acr: 'mfa' },
    ],
    [
      'an unverified State Services person is treated like a password',
      ask({ first: unverified }),
      { kind: 'enrol', skippable: false },
    ],
    [
      'State Services does not count where the region says so',
      ask({ first: verified, hasFactor: true, policy: { ...teachers, stateServicesCounts: false } }),
      { kind: 'ask' },
    ],
    [
      'a module asking for mfa of a parent without a factor leads to enrolment',
      ask({ role: 'parent', wantsStrong: true }),
      { kind: 'enrol', skippable: false },
    ],
    [
      'a module asking for mfa of a person with a factor: the factor',
      ask({ role: 'parent', wantsStrong: true, hasFactor: true }),
      { kind: 'ask' },
    ],
    [
      'before `from` enrolment is offered with the date',
      ask({ policy: { ...teachers, from: '2027-10-01' } }),
      { kind: 'enrol', skippable: true, from: new Date('2027-10-01'), skipsLeft: undefined },
    ],
    [
      'from `from` on, the grace counts down',
      ask({ policy: { ...teachers, from: '2027-09-01', graceSignIns: 3 }, skipsUsed: 1 }),
      { kind: 'enrol', skippable: true, from: undefined, skipsLeft: 2 },
    ],
    [
      'a used-up grace is the end of skipping',
      ask({ policy: { ...teachers, graceSignIns: 3 }, skipsUsed: 3 }),
      { kind: 'enrol', skippable: false },
    ],
    [
      'a password sign-in stays at the password level even where State Services would count',
      ask({ role: 'staff', first: password, hasFactor: true }),
      { kind: 'ask' },
    ],
  ]
  for (const [why, question, expected] of cases) t.same(decideSecondFactor(question), expected, why)
})

t.test('in force from `from` (inclusive), or always without one', async (t) => {
  t.equal(inForce(teachers, now), true, 'no date: in force')
  t.equal(inForce({ ...teachers, from: '2027-09-01T08:00:00Z' }, now), true, 'the very moment')
  t.equal(inForce({ ...teachers, from: '2027-09-01T08:00:01Z' }, now), false, 'a second before')
})
