import t from 'tap'
import {
  type AcrLevel,
  acrOf,
  acrUri,
  amrOf,
  levelSatisfies,
  parseAcrValues,
  parseAmr,
  type SessionAssurance,
  type SessionVerdict,
  sessionSatisfies,
} from '../../src/tokens/acr.js'
import { acrUris as verifierAcrUris } from '../../src/verify/acr.js'

const password = 'urn:diary-bridge:acr:password'
const mfa = 'urn:diary-bridge:acr:mfa'

t.test('acrUri: one URN of ours per level, the same the verifier library knows', async (t) => {
  t.equal(acrUri('password'), password)
  t.equal(acrUri('mfa'), mfa)
  t.same(verifierAcrUris, { password, mfa }, 'verify/ imports nothing from the bridge: its copy must agree')
})

t.test('parseAcrValues: known levels in the order asked, each once; unknown ignored', async (t) => {
  const cases: [text: string | undefined, levels: AcrLevel[], why: string][] = [
    [undefined, [], 'not asked'],
    ['', [], 'empty'],
    [mfa, ['mfa'], 'one level'],
    [`${mfa} ${password}`, ['mfa', 'password'], 'order of preference kept'],
    [`${password} ${mfa}`, ['password', 'mfa'], 'the other order'],
    [`urn:other:loa:3 ${mfa}`, ['mfa'], 'an unknown value is ignored (acr is a voluntary claim)'],
    ['urn:other:loa:3', [], 'nothing known: as if not asked'],
    [`${mfa} ${mfa}`, ['mfa'], 'a level given twice counts once'],
    [`${mfa}  ${password}`, ['mfa', 'password'], 'two spaces'],
    ['mfa', [], 'the bare level name is not one of our values'],
    [`${mfa.toUpperCase()}`, [], 'values compare exactly'],
  ]
  for (const [text, levels, why] of cases) t.same(parseAcrValues(text), levels, why)
})

t.test('levelSatisfies: mfa satisfies password, not the other way round', async (t) => {
  const cases: [have: AcrLevel, wanted: AcrLevel, ok: boolean][] = [
    ['password', 'password', true],
    ['mfa', 'password', true],
    ['mfa', 'mfa', true],
    ['password', 'mfa', false],
  ]
  for (const [have, wanted, ok] of cases) t.equal(levelSatisfies(have, wanted), ok, `${have} for ${wanted}`)
})

t.test('amrOf and acrOf: the session columns, or what the method alone says', async (t) => {
  const cases: [session: SessionAssurance, amr: string, acr: AcrLevel, why: string][] = [
    [{ method: 'password', amr: null, acr: null }, 'pwd', 'password', 'a password sign-in before any factor'],
    [{ method: 'state_services', amr: null, acr: null }, 'fed', 'password', 'State Services'],
    [{ method: 'password', amr: 'pwd otp mfa', acr: 'mfa' }, 'pwd otp mfa', 'mfa', 'password and a one-time code'],
    [{ method: 'state_services', amr: 'fed hwk mfa', acr: 'mfa' }, 'fed hwk mfa', 'mfa', 'federated then a passkey'],
    [{ method: 'password', amr: 'pwd', acr: null }, 'pwd', 'password', 'amr set, acr not: password'],
  ]
  for (const [session, amr, acr, why] of cases) {
    t.equal(amrOf(session), amr, `amr: ${why}`)
    t.equal(acrOf(session), acr, `acr: ${why}`)
  }
})

t.test('parseAmr: the stored text as a list; old single values stay valid', async (t) => {
  const cases: [stored: string, list: string[], why: string][] = [
    ['pwd', ['pwd'], 'a code or family from before migration 0016'],
    ['fed', ['fed'], 'State Services'],
    ['pwd otp mfa', ['pwd', 'otp', 'mfa'], 'several, in order'],
    ['pwd  hwk', ['pwd', 'hwk'], 'extra space'],
  ]
  for (const [stored, list, why] of cases) t.same(parseAmr(stored), list, why)
})

t.test('sessionSatisfies: max_age first, then the level asked', async (t) => {
  const now = new Date('2026-12-07T12:00:00Z')
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000)
  const ok: SessionVerdict = { kind: 'ok' }
  const again: SessionVerdict = { kind: 'reauthenticate' }
  const stepUp: SessionVerdict = { kind: 'step_up', level: 'mfa' }
  const cases: [
    session: { acr: AcrLevel; authTime: Date },
    request: { acrValues?: AcrLevel[]; maxAge?: number },
    verdict: SessionVerdict,
    why: string,
  ][] = [
    [{ acr: 'password', authTime: ago(3600) }, {}, ok, 'nothing asked'],
    [{ acr: 'password', authTime: ago(300) }, { maxAge: 300 }, ok, 'exactly max_age ago still counts'],
    [{ acr: 'password', authTime: ago(301) }, { maxAge: 300 }, again, 'older than max_age: sign in again'],
    [{ acr: 'password', authTime: ago(1) }, { maxAge: 0 }, again, 'max_age=0: always sign in again'],
    [{ acr: 'mfa', authTime: ago(301) }, { maxAge: 300, acrValues: ['mfa'] }, again, 'max_age wins over a level held'],
    [{ acr: 'password', authTime: ago(10) }, { acrValues: ['mfa'] }, stepUp, 'mfa asked, password held'],
    [{ acr: 'password', authTime: ago(10) }, { acrValues: ['password'] }, ok, 'password asked and held'],
    [{ acr: 'mfa', authTime: ago(10) }, { acrValues: ['password'] }, ok, 'mfa satisfies password'],
    [{ acr: 'mfa', authTime: ago(10) }, { acrValues: ['mfa'] }, ok, 'mfa asked and held'],
    [{ acr: 'password', authTime: ago(10) }, { acrValues: ['mfa', 'password'] }, ok, 'password is acceptable too'],
    [{ acr: 'password', authTime: ago(10) }, { acrValues: [] }, ok, 'only unknown values asked'],
    [{ acr: 'password', authTime: ago(301) }, { maxAge: 300, acrValues: ['mfa'] }, again, 'both: a full sign-in'],
  ]
  for (const [session, request, verdict, why] of cases) t.same(sessionSatisfies(session, request, now), verdict, why)
})
