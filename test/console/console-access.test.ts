/*
 * Who may use the console now (console/console-access.ts): a table of diary sessions, console cookies
 * and moments.
 */
import t from 'tap'
import { type ConsoleCookie, decideConsoleAccess, type DiarySession } from '../../src/console/console-access.js'

const now = new Date('2026-12-07T12:00:00Z')
const ago = (minutes: number) => now.getTime() - minutes * 60_000
const session = (acr: DiarySession['acr'], signedInMinutesAgo: number, id = 's1'): DiarySession => ({
  id,
  acr,
  authenticatedAt: new Date(ago(signedInMinutesAgo)),
})
const cookie = (startedMinutesAgo: number, seenMinutesAgo: number, sid = 's1'): ConsoleCookie => ({
  sid,
  startedAt: ago(startedMinutesAgo),
  seenAt: ago(seenMinutesAgo),
})

const cases: [string, DiarySession | undefined, ConsoleCookie | undefined, string][] = [
  ['no diary session', undefined, undefined, 'sign_in'],
  ['no diary session, an old console cookie', undefined, cookie(1, 1), 'sign_in'],
  ['a password sign-in of now', session('password', 0), undefined, 'confirm:weak'],
  [
    'a password session with a console cookie (cannot be: still refused)',
    session('password', 0),
    cookie(1, 1),
    'confirm:weak',
  ],
  ['a strong sign-in of now: the console starts', session('mfa', 0), undefined, 'open:started'],
  ['a strong sign-in 5 minutes ago', session('mfa', 5), undefined, 'open:started'],
  ['a strong sign-in 6 minutes ago, no console yet', session('mfa', 6), undefined, 'confirm:new'],
  ['a console of another diary session', session('mfa', 60), cookie(10, 1, 'other'), 'confirm:new'],
  ['a console seen 14 minutes ago', session('mfa', 60), cookie(30, 14), 'open:kept'],
  ['a console seen 16 minutes ago', session('mfa', 60), cookie(30, 16), 'confirm:idle'],
  ['a console started 8 h 1 min ago, seen now', session('mfa', 600), cookie(481, 0), 'confirm:over'],
  ['a console started 8 h ago', session('mfa', 600), cookie(480, 0), 'open:kept'],
  ['idle, but the diary session was just made strong again', session('mfa', 1), cookie(30, 20), 'open:started'],
  ['a console cookie from the future', session('mfa', 60), cookie(-120, 0), 'confirm:idle'],
]

for (const [name, diary, consoleCookie, expected] of cases) {
  const access = decideConsoleAccess(diary, consoleCookie, now)
  const got =
    access.kind === 'open'
      ? `open:${access.started ? 'started' : 'kept'}`
      : access.kind === 'confirm'
        ? `confirm:${access.why}`
        : access.kind
  t.equal(got, expected, name)
  if (access.kind === 'open') {
    t.equal(access.cookie.seenAt, now.getTime(), `${name}: seen now`)
    t.equal(access.cookie.sid, diary?.id, `${name}: bound to the diary session`)
  }
}
