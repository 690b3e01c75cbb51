/* The readable log format of development (LOG_FORMAT=pretty): one line per entry. */
import t from 'tap'
import { prettyLine } from '../src/logger.js'

const at = new Date(2026, 10, 29, 12, 3, 4).getTime()

t.test('pino entries as readable lines', async (t) => {
  const cases: [entry: Record<string, unknown>, line: string, why: string][] = [
    [
      {
        level: 30,
        time: at,
        pid: 1,
        hostname: 'h',
        reqId: 'r1',
        req: { method: 'GET', url: '/login?region=29' },
        res: { statusCode: 200 },
        ms: 4.2,
        msg: 'request',
      },
      '12:03:04 INFO  GET /login?region=29 → 200 (4.2 ms)\n',
      'a request: method, URL, status and time; ids and host left out',
    ],
    [
      { level: 40, time: at, msg: '!!! development secrets' },
      '12:03:04 WARN  !!! development secrets\n',
      'a plain message',
    ],
    [
      { level: 30, time: at, msg: 'migration applied', migration: '0001-initial' },
      '12:03:04 INFO  migration applied {"migration":"0001-initial"}\n',
      'other keys as JSON after the message',
    ],
    [
      { level: 50, time: at, msg: 'request failed', err: { message: 'boom', stack: 'Error: boom\n    at x' } },
      '12:03:04 ERROR request failed\nError: boom\n    at x\n',
      'an error with its stack below',
    ],
    [{ level: 20, time: at }, '12:03:04 DEBUG \n', 'no message'],
  ]
  for (const [entry, line, why] of cases) t.equal(prettyLine(entry), line, why)
})
