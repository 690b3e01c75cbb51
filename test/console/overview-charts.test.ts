import t from 'tap'
import { barChart, escapeXml, scaleTop, signInsChart } from '../../src/console/overview-charts.js'

/** The elements of `text` as a tree check: every tag closed in order, every `<` a tag, every `&` an entity. */
function checkWellFormed(text: string): { ok: true; elements: string[] } | { ok: false; why: string } {
  const stack: string[] = []
  const elements: string[] = []
  const token = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?:#\d+|amp|lt|gt|quot|apos);|&/g
  for (const match of text.matchAll(token)) {
    const [whole, closing, name, , selfClosing] = match
    if (whole === '<') return { ok: false, why: `a bare < at ${match.index}` }
    if (whole === '&') return { ok: false, why: `a bare & at ${match.index}` }
    if (name === undefined) continue
    if (closing === '/') {
      if (stack.pop() !== name) return { ok: false, why: `</${name}> closes nothing open` }
    } else {
      elements.push(name)
      if (selfClosing !== '/') stack.push(name)
    }
  }
  return stack.length === 0 ? { ok: true, elements } : { ok: false, why: `unclosed ${stack.join(', ')}` }
}

const from = Date.parse('2026-11-30T11:00:00Z')
const week = Array.from({ length: 168 }, (_, index) => ({
  hour: new Date(from + index * 3_600_000),
  password: index % 24,
  stateServices: index === 100 ? 57 : 0,
  secondFactor: 1,
}))
const labels = {
  title: 'Входы за неделю <script>alert(1)</script>',
  password: 'Пароль & логин',
  stateServices: 'Госуслуги "ЕСИА"',
  secondFactor: "Второй фактор's",
  locale: 'ru' as const,
}

t.test('the checker itself refuses what is not well-formed', async (t) => {
  for (const [text, why] of [
    ['<svg><g></svg>', 'a closing tag out of order'],
    ['<svg>a < b</svg>', 'a bare <'],
    ['<svg>a & b</svg>', 'a bare &'],
    ['<svg><text>x</text>', 'unclosed'],
  ] as const) {
    t.equal(checkWellFormed(text).ok, false, why)
  }
  t.same(checkWellFormed('<svg><rect x="1"/><text>&amp;&#60;</text></svg>'), {
    ok: true,
    elements: ['svg', 'rect', 'text'],
  })
})

t.test('the sign-ins chart: well-formed, an image with a title, one point per hour per way', async (t) => {
  const chart = signInsChart(week, labels)
  const checked = checkWellFormed(chart)
  t.same(checked.ok, true, checked.ok ? 'well-formed' : checked.why)
  t.match(chart, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 760 300" role="img"/)
  t.match(chart, '<title>Входы за неделю &#60;script&#62;alert(1)&#60;/script&#62;</title>')
  t.notMatch(chart, /<script|style=|<style/, 'no script, no style')
  const polylines = [...chart.matchAll(/<polyline points="([^"]*)" fill="none" stroke="(#[0-9a-f]{6})"/g)]
  t.equal(polylines.length, 3, 'three ways')
  t.same(
    polylines.map((line) => (line[1] as string).split(' ').length),
    [168, 168, 168],
    '168 points each',
  )
  t.equal(new Set(polylines.map((line) => line[2])).size, 3, 'three colours')
  t.match(chart, '>Пароль &#38; логин</text>')
  t.match(chart, '>Госуслуги &#34;ЕСИА&#34;</text>')
  t.match(chart, '<desc>Пароль &#38; логин: 1\u00a0932; Госуслуги &#34;ЕСИА&#34;: 57; Второй фактор&#39;s: 168</desc>')
  t.match(chart, '>100</text>', 'the scale tops at 100 for a maximum of 57')
})

t.test('day labels mark the midnights of the time zone', async (t) => {
  const days = (timeZone?: string) =>
    [...signInsChart(week, { ...labels, locale: 'en', timeZone }).matchAll(/<text x="[\d.]+" y="252">([^<]*)</g)].map(
      (match) => match[1],
    )
  t.same(days(), ['1 Tue', '2 Wed', '3 Thu', '4 Fri', '5 Sat', '6 Sun', '7 Mon'], 'UTC: midnights from Dec 1')
  t.same(
    days('Europe/Moscow'),
    ['1 Tue', '2 Wed', '3 Thu', '4 Fri', '5 Sat', '6 Sun', '7 Mon'],
    'Moscow, 3 hours earlier',
  )
  t.same(days('Asia/Vladivostok').length, 7)
  t.match(signInsChart(week, labels), />вт, 1</, 'Russian day names')
})

t.test('an empty week draws flat lines at zero', async (t) => {
  const empty = week.map((hour) => ({ ...hour, password: 0, stateServices: 0, secondFactor: 0 }))
  const chart = signInsChart(empty, labels)
  t.equal(checkWellFormed(chart).ok, true)
  const points = [...chart.matchAll(/<polyline points="([^"]*)"/g)].flatMap((line) => (line[1] as string).split(' '))
  t.equal(points.length, 3 * 168)
  t.ok(
    points.every((point) => point.endsWith(',236')),
    'every point on the zero line',
  )
})

t.test('bars: one per row, the largest the widest, every label escaped', async (t) => {
  const chart = barChart(
    [
      { label: 'wrong_password', count: 40 },
      { label: '<script>alert("x")</script>', count: 10 },
      { label: 'Неверный код & ещё очень длинное объяснение причины отказа', count: 0 },
    ],
    { title: 'Отказы <7 дней>', empty: 'нет' },
  )
  const checked = checkWellFormed(chart)
  t.same(checked.ok, true, checked.ok ? 'well-formed' : checked.why)
  t.match(chart, /role="img"/)
  t.match(chart, '<title>Отказы &#60;7 дней&#62;</title>')
  t.notMatch(chart, /<script/)
  t.match(chart, '>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</text>')
  t.match(chart, '>Неверный код &#38; ещё очень длинное об…</text>', 'a long label is shortened')
  t.match(chart, '<desc>wrong_password: 40; &#60;script&#62;', 'the description names every row in full')
  const widths = [...chart.matchAll(/<rect x="250" y="[\d.]+" width="([\d.]+)"/g)].map((match) => Number(match[1]))
  t.same(widths, [330, 82.5, 0])
})

t.test('bars with no rows say the empty text', async (t) => {
  const chart = barChart([], { title: 'Ошибки Госуслуг', empty: 'Нет ошибок <за неделю>' })
  t.equal(checkWellFormed(chart).ok, true)
  t.match(chart, '>Нет ошибок &#60;за неделю&#62;</text>')
  t.notMatch(chart, /<rect/)
  t.match(chart, /viewBox="0 0 640 70"/)
})

t.test('scale tops and escaping, row by row', async (t) => {
  for (const [max, top, why] of [
    [0, 1, 'nothing: a scale of 1'],
    [1, 1, 'one'],
    [3, 5, '3 → 5'],
    [57, 100, '57 → 100'],
    [100, 100, 'a round maximum stays'],
    [1001, 2000, '1001 → 2000'],
  ] as const) {
    t.equal(scaleTop(max), top, why)
  }
  t.equal(escapeXml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;')
})
