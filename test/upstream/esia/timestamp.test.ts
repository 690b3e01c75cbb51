import t from 'tap'
import { esiaTimestamp } from '../../../src/upstream/esia/timestamp.js'

t.test('the timestamp is yyyy.MM.dd HH:mm:ss Z in UTC', async (t) => {
  t.equal(esiaTimestamp(new Date('2026-11-29T11:36:11.999Z')), '2026.11.29 11:36:11 +0000')
  t.equal(esiaTimestamp(new Date('2027-01-05T03:04:05Z')), '2027.01.05 03:04:05 +0000')
})
