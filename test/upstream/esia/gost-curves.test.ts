import t from 'tap'
import { curveOf, defaultParamSet, gostParamSets } from '../../../src/upstream/esia/gost-curves.js'

t.test('every curve of the table: the base point is on the curve, q is below p·2 and odd', async (t) => {
  for (const [oid, { name, curve }] of Object.entries(gostParamSets)) {
    const mod = (value: bigint) => ((value % curve.p) + curve.p) % curve.p
    t.equal(mod(curve.y * curve.y), mod(curve.x ** 3n + curve.a * curve.x + curve.b), `${name} (${oid})`)
    t.ok(curve.q % 2n === 1n && curve.q < 2n * curve.p, `${name}: q`)
  }
  t.same(
    Object.values(gostParamSets)
      .map((set) => set.name)
      .sort(),
    [
      'CryptoPro-A',
      'CryptoPro-B',
      'CryptoPro-C',
      'CryptoPro-XchA',
      'CryptoPro-XchB',
      'TC26-256-A',
      'TC26-256-B',
      'TC26-256-C',
      'TC26-256-D',
    ],
  )
})

t.test('curveOf: a set of the table, or an error naming the OID', async (t) => {
  t.equal(curveOf(defaultParamSet), gostParamSets['1.2.643.2.2.35.1']?.curve, 'the default is CryptoPro-A')
  t.equal(curveOf('1.2.643.2.2.36.0'), curveOf('1.2.643.2.2.35.1'), 'XchA is CryptoPro-A')
  t.equal(curveOf('1.2.643.7.1.2.1.1.4'), curveOf('1.2.643.2.2.35.3'), 'TC26-256-D is CryptoPro-C')
  t.throws(
    () => curveOf('1.2.643.7.1.2.1.2.1'),
    /parameter set 1\.2\.643\.7\.1\.2\.1\.2\.1 is not supported/,
    'a 512-bit set',
  )
})
