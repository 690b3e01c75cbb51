import t from 'tap'
import { newOpaqueToken } from '../../src/oauth/grants.js'
import { openSuccessor, sealSuccessor } from '../../src/oauth/refresh-successor.js'

const token = newOpaqueToken()
const successor = newOpaqueToken()
const sealed = sealSuccessor(token, successor)

t.test('only the token it was sealed for opens a successor', async (t) => {
  const flipped = Buffer.from(sealed, 'base64url')
  flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1
  const cases: [string, string, string | null, string | undefined][] = [
    ['the token it was sealed for', token, sealed, successor],
    ['another token', newOpaqueToken(), sealed, undefined],
    ['a tampered seal', token, flipped.toString('base64url'), undefined],
    ['a truncated seal', token, sealed.slice(0, 20), undefined],
    ['no seal (rotated before the grace period existed)', token, null, undefined],
  ]
  for (const [why, presented, seal, expected] of cases) t.equal(openSuccessor(presented, seal), expected, why)
})

t.test('the seal holds neither token and differs every time', async (t) => {
  t.notOk(sealed.includes(successor) || sealed.includes(token))
  t.not(sealSuccessor(token, successor), sealed, 'a random IV per seal')
})
