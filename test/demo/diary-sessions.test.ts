import t from 'tap'
import { type DiarySession, endSessions, isEndedBy } from '../../demo/diary-sessions.js'

const session = (sub: string, sid?: string): DiarySession => ({
  sid,
  claims: { sub, sid },
  userinfo: { sub },
  tokens: { idToken: '', accessTokenExpiresAt: 0 },
})

// [session, logout, ended?, why]
const rows: [DiarySession, { sub?: string; sid?: string }, boolean, string][] = [
  [session('a1', 's1'), { sub: 'a1', sid: 's1' }, true, 'the session the logout names'],
  [session('a1', 's2'), { sub: 'a1', sid: 's1' }, false, 'another session of the same person stays'],
  [session('a1', 's1'), { sid: 's1' }, true, 'a sid alone is enough'],
  [session('a2', 's1'), { sub: 'a1', sid: 's1' }, false, 'a sid never signs out another person'],
  [session('a1', undefined), { sub: 'a1', sid: 's1' }, false, 'a session without sid is not named by a sid'],
  [session('a1', 's1'), { sub: 'a1' }, true, 'without sid: every session of the sub'],
  [session('a1', undefined), { sub: 'a1' }, true, 'without sid: sessions without sid too'],
  [session('a2', 's1'), { sub: 'a1' }, false, 'without sid: not another person'],
  [session('a1', 's1'), {}, false, 'a logout naming nothing ends nothing'],
]

t.test('which sessions a back-channel logout ends', async (t) => {
  for (const [diarySession, logout, ended, why] of rows) t.equal(isEndedBy(diarySession, logout), ended, why)
})

t.test('endSessions deletes exactly those', async (t) => {
  const sessions = new Map([
    ['c1', session('a1', 's1')],
    ['c2', session('a1', 's2')],
    ['c3', session('a2', 's3')],
  ])
  t.equal(endSessions(sessions, { sub: 'a1', sid: 's1' }), 1)
  t.same([...sessions.keys()], ['c2', 'c3'])
  t.equal(endSessions(sessions, { sub: 'a1' }), 1)
  t.same([...sessions.keys()], ['c3'])
})
