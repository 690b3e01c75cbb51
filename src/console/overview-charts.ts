/*
 * The region overview's pictures as SVG text, drawn on the server: no script, no style sheet, no inline
 * `style` (the console's CSP allows neither), so the page can put them in as they are.
 * - every text placed in the SVG is escaped; sizes come from the viewBox, so the page scales them
 * - each picture is `role="img"` with a <title> (its name) and a <desc> (its numbers in words)
 * - sign-ins: one line per way of signing in over the 168 hours, one point per hour; the day labels
 *   mark midnights in `timeZone` (UTC unless given); the scale starts at zero
 * - bars: one horizontal bar per row, in the order given, longest = the largest count; no rows, the
 *   `empty` text instead
 */
import type { RegionOverview } from './region-overview.js'

export interface SignInsChartLabels {
  title: string
  password: string
  stateServices: string
  secondFactor: string
  locale: 'ru' | 'en'
  /** An IANA time zone for the day labels; UTC unless given. */
  timeZone?: string
}

const colours = { password: '#1f5fbf', stateServices: '#0b7a4b', secondFactor: '#c0561a' } as const
const ink = '#1f2328'
const faint = '#d0d7de'
const font = 'font-family="system-ui, sans-serif"'

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

function svg(width: number, height: number, title: string, desc: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" ${font} font-size="12" fill="${ink}">`,
    `<title>${escapeXml(title)}</title>`,
    `<desc>${escapeXml(desc)}</desc>`,
    ...body,
    '</svg>',
  ].join('\n')
}

/** The top of the scale: the maximum rounded up to 1, 2 or 5 times a power of ten (at least 1). */
export function scaleTop(max: number): number {
  if (max <= 1) return 1
  const power = 10 ** Math.floor(Math.log10(max))
  return ([1, 2, 5, 10].find((step) => step * power >= max) ?? 10) * power
}

const round = (value: number) => Math.round(value * 10) / 10

export function signInsChart(data: RegionOverview['signInsPerHour'], labels: SignInsChartLabels): string {
  const [width, height, left, right, top, bottom] = [760, 300, 48, 16, 36, 64]
  const plotWidth = width - left - right
  const plotHeight = height - top - bottom
  const series = ['password', 'stateServices', 'secondFactor'] as const
  const max = scaleTop(Math.max(0, ...data.flatMap((hour) => series.map((name) => hour[name]))))
  const x = (index: number) => round(left + (data.length > 1 ? (index * plotWidth) / (data.length - 1) : 0))
  const y = (value: number) => round(top + plotHeight - (value * plotHeight) / max)
  const number = new Intl.NumberFormat(labels.locale)
  const body = [`<text x="${left}" y="20" font-size="15" font-weight="bold">${escapeXml(labels.title)}</text>`]
  for (const value of [0, max / 2, max]) {
    body.push(`<line x1="${left}" y1="${y(value)}" x2="${width - right}" y2="${y(value)}" stroke="${faint}"/>`)
    body.push(`<text x="${left - 6}" y="${y(value) + 4}" text-anchor="end">${number.format(value)}</text>`)
  }
  const timeZone = labels.timeZone ?? 'UTC'
  const hourOf = new Intl.DateTimeFormat('en', { hour: 'numeric', hourCycle: 'h23', timeZone })
  const dayOf = new Intl.DateTimeFormat(labels.locale, { weekday: 'short', day: 'numeric', timeZone })
  data.forEach((hour, index) => {
    if (Number(hourOf.format(hour.hour)) !== 0) return
    body.push(`<line x1="${x(index)}" y1="${top}" x2="${x(index)}" y2="${top + plotHeight + 4}" stroke="${faint}"/>`)
    body.push(`<text x="${x(index) + 3}" y="${top + plotHeight + 16}">${escapeXml(dayOf.format(hour.hour))}</text>`)
  })
  for (const name of series) {
    const points = data.map((hour, index) => `${x(index)},${y(hour[name])}`).join(' ')
    body.push(`<polyline points="${points}" fill="none" stroke="${colours[name]}" stroke-width="1.5"/>`)
  }
  const legendY = height - 14
  series.forEach((name, index) => {
    const legendX = left + index * 220
    body.push(`<rect x="${legendX}" y="${legendY - 9}" width="14" height="10" fill="${colours[name]}"/>`)
    body.push(`<text x="${legendX + 20}" y="${legendY}">${escapeXml(labels[name])}</text>`)
  })
  const totals = series.map(
    (name) => `${labels[name]}: ${number.format(data.reduce((sum, hour) => sum + hour[name], 0))}`,
  )
  return svg(width, height, labels.title, totals.join('; '), body)
}

const maxLabel = 36

function shorten(label: string): string {
  const chars = [...label]
  return chars.length <= maxLabel ? label : `${chars.slice(0, maxLabel - 1).join('')}…`
}

export function barChart(rows: { label: string; count: number }[], labels: { title: string; empty: string }): string {
  const [width, top, rowHeight, labelWidth, countWidth] = [640, 36, 26, 250, 60]
  const height = top + Math.max(rows.length, 1) * rowHeight + 8
  const body = [`<text x="0" y="20" font-size="15" font-weight="bold">${escapeXml(labels.title)}</text>`]
  if (rows.length === 0) {
    body.push(`<text x="0" y="${top + 16}" fill="#57606a">${escapeXml(labels.empty)}</text>`)
    return svg(width, height, labels.title, labels.empty, body)
  }
  const max = Math.max(1, ...rows.map((row) => row.count))
  const barSpace = width - labelWidth - countWidth
  rows.forEach((row, index) => {
    const rowTop = top + index * rowHeight
    const barWidth = round((Math.max(0, row.count) * barSpace) / max)
    body.push(
      `<text x="${labelWidth - 8}" y="${rowTop + 15}" text-anchor="end">${escapeXml(shorten(row.label))}</text>`,
    )
    body.push(
      `<rect x="${labelWidth}" y="${rowTop + 3}" width="${barWidth}" height="${rowHeight - 8}" fill="${colours.password}"/>`,
    )
    body.push(`<text x="${labelWidth + barWidth + 6}" y="${rowTop + 15}">${row.count}</text>`)
  })
  const desc = rows.map((row) => `${row.label}: ${row.count}`).join('; ')
  return svg(width, height, labels.title, desc, body)
}
