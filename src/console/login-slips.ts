/*
 * Printable login slips for the school console (pure: input in, PDF bytes out; nothing is stored).
 * - A4 portrait, 8 slips a page (2 columns × 4 rows), dashed cut lines around and between them
 * - a slip: title, school, name (and class), login, temporary password in DejaVu Sans Mono (0/O and
 *   1/l/I differ), the region's login address as text and as a QR code, three first-login steps
 * - every text sits in a fixed box of its slip: it shrinks to a minimum size, then wraps, then is cut
 *   with "…"; nothing reaches the next slip
 * - the PDF's metadata is generic (title, creator, issue date): no password, no name
 * - 1 to 1,000 slips, a login address of http(s), and non-empty school, name, login and password;
 *   anything else is ERR_INVALID_REQUEST
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { BridgeError } from '../errors.js'
import { normaliseText } from '../person/text.js'
import { slipTexts } from './slip-texts.js'

export interface LoginSlip {
  school: string
  name: string
  login: string
  temporaryPassword: string
  className?: string | null
}

export interface SlipSheet {
  loginUrl: string
  regionName: string
  locale: 'ru' | 'en'
  issuedAt: Date
  slips: readonly LoginSlip[]
}

export const maxSlips = 1000

// @types/pdfkit 0.17 lacks pdfkit's openImage, which embeds the QR code once for every slip of the file.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- @types/pdfkit declares PDFKit as a global namespace
  namespace PDFKit {
    interface OpenedImage {
      readonly width: number
      readonly height: number
    }
    interface PDFDocument {
      openImage(src: Buffer): OpenedImage
      image(src: OpenedImage, x?: number, y?: number, options?: Mixins.ImageOption): this
    }
  }
}

const fontDir = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf')
const fonts = {
  sans: join(fontDir, 'DejaVuSans.ttf'),
  bold: join(fontDir, 'DejaVuSans-Bold.ttf'),
  mono: join(fontDir, 'DejaVuSansMono.ttf'),
  monoBold: join(fontDir, 'DejaVuSansMono-Bold.ttf'),
}
type Font = keyof typeof fonts

const page = { width: 595.28, height: 841.89, margin: 24, columns: 2, rows: 4 }
const slip = {
  width: (page.width - 2 * page.margin) / page.columns,
  height: (page.height - 2 * page.margin) / page.rows,
  padding: 12,
}
const inner = slip.width - 2 * slip.padding
const qrSize = 68

interface Box {
  x: number
  y: number
  width: number
  height: number
}

/** Draws text in its box at the largest size from `max` down to `min` that fits; at `min`, cut with "…". */
function fitText(doc: PDFKit.PDFDocument, text: string, font: Font, box: Box, max: number, min: number): void {
  // By path, not a registered name: pdfkit caches a font under its first key and would parse the file again.
  doc.font(fonts[font])
  let size = max
  while (size > min && doc.fontSize(size).heightOfString(text, { width: box.width }) > box.height) size -= 0.5
  doc.fontSize(size).text(text, box.x, box.y, { width: box.width, height: box.height, ellipsis: true })
}

function issuedDate(date: Date, locale: 'ru' | 'en'): string {
  const [year, month, day] = date.toISOString().slice(0, 10).split('-')
  return locale === 'ru' ? `${day}.${month}.${year}` : `${year}-${month}-${day}`
}

function checkSheet(sheet: SlipSheet): void {
  if (sheet.slips.length === 0 || sheet.slips.length > maxSlips) {
    throw new BridgeError(
      'ERR_INVALID_REQUEST',
      `login slips: between 1 and ${maxSlips} slips, not ${sheet.slips.length}`,
    )
  }
  if (!URL.canParse(sheet.loginUrl) || !/^https?:$/.test(new URL(sheet.loginUrl).protocol)) {
    throw new BridgeError('ERR_INVALID_REQUEST', 'login slips: the login address is not an http(s) URL')
  }
  sheet.slips.forEach((entry, index) => {
    for (const field of ['school', 'name', 'login', 'temporaryPassword'] as const) {
      if (normaliseText(entry[field]) === undefined) {
        throw new BridgeError('ERR_INVALID_REQUEST', `login slips: slip ${index + 1} has no ${field}`)
      }
    }
  })
}

function drawCutLines(doc: PDFKit.PDFDocument): void {
  const { margin, columns, rows } = page
  doc.save().lineWidth(0.5).strokeColor('#888888').dash(4, { space: 3 })
  for (let column = 0; column <= columns; column++) {
    const x = margin + column * slip.width
    doc.moveTo(x, margin).lineTo(x, margin + rows * slip.height)
  }
  for (let row = 0; row <= rows; row++) {
    const y = margin + row * slip.height
    doc.moveTo(margin, y).lineTo(margin + columns * slip.width, y)
  }
  doc.stroke().undash().restore()
}

function drawSlip(doc: PDFKit.PDFDocument, sheet: SlipSheet, entry: LoginSlip, qr: PDFKit.OpenedImage, at: Box): void {
  const texts = slipTexts[sheet.locale]
  const x = at.x + slip.padding
  const top = at.y + slip.padding
  const left = inner - qrSize - 8
  const line = (dy: number, height: number, width = inner): Box => ({ x, y: top + dy, width, height })
  const className = normaliseText(entry.className)

  doc.fillColor('#000000')
  fitText(doc, texts.title, 'bold', line(0, 11), 9, 7)
  fitText(doc, normaliseText(entry.school) ?? '', 'sans', line(12, 18), 8, 6)
  fitText(doc, normaliseText(entry.name) ?? '', 'bold', line(31, 28), 13, 8)
  if (className !== undefined) fitText(doc, `${texts.className}: ${className}`, 'sans', line(60, 10), 8, 6)

  doc.fillColor('#555555')
  fitText(doc, texts.login, 'sans', line(73, 8, left), 6.5, 6.5)
  fitText(doc, texts.temporaryPassword, 'sans', line(96, 8, left), 6.5, 6.5)
  fitText(doc, texts.address, 'sans', line(120, 8, left), 6.5, 6.5)
  doc.fillColor('#000000')
  fitText(doc, entry.login.trim(), 'mono', line(81, 14, left), 11, 6)
  fitText(doc, entry.temporaryPassword.trim(), 'monoBold', line(104, 15, left), 12, 6)
  fitText(doc, sheet.loginUrl, 'sans', line(128, 16, left), 7.5, 5.5)
  doc.image(qr, x + inner - qrSize, top + 73, { width: qrSize, height: qrSize })

  fitText(doc, texts.firstTime.join('\n'), 'sans', line(146, 21), 6, 5)
  doc.fillColor('#555555')
  const footer = `${normaliseText(sheet.regionName) ?? ''} · ${texts.issued(issuedDate(sheet.issuedAt, sheet.locale))}`
  fitText(doc, footer, 'sans', line(167, 8), 5.5, 5)
}

/** The PDF of a sheet of login slips; throws ERR_INVALID_REQUEST for a sheet it cannot print. */
export async function renderLoginSlips(sheet: SlipSheet): Promise<Buffer> {
  checkSheet(sheet)
  const texts = slipTexts[sheet.locale]
  const { default: QRCode } = await import('qrcode')
  const qrPng = await QRCode.toBuffer(sheet.loginUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 8 })
  // pdfkit and its font engine load with the first slip (some 10 MiB an instance that prints none keeps free).
  const { default: PDFDocument } = await import('pdfkit')
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    autoFirstPage: false,
    font: fonts.sans,
    lang: sheet.locale,
    info: {
      Title: texts.documentTitle,
      Creator: 'diary-identity-bridge',
      Producer: 'diary-identity-bridge',
      CreationDate: sheet.issuedAt,
      ModDate: sheet.issuedAt,
    },
  })
  const chunks: Buffer[] = []
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  const qr = doc.openImage(qrPng)
  const perPage = page.columns * page.rows
  sheet.slips.forEach((entry, index) => {
    const cell = index % perPage
    if (cell === 0) {
      doc.addPage()
      drawCutLines(doc)
    }
    const x = page.margin + (cell % page.columns) * slip.width
    const y = page.margin + Math.floor(cell / page.columns) * slip.height
    drawSlip(doc, sheet, entry, qr, { x, y, width: slip.width, height: slip.height })
  })
  doc.end()
  return done
}
