/*
 * Login slips read back by Debian's poppler-utils (pdftotext, pdfinfo, pdfimages, pdftoppm), as a printer
 * or a teacher would see them: the text of every field, pages of 8 slips, generic metadata, every word
 * inside its own slip, one embedded QR image of the login address. Page images go to test-results/.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import QRCode from 'qrcode'
import t from 'tap'
import { type LoginSlip, type SlipSheet, renderLoginSlips } from '../../src/console/login-slips.js'
import { BridgeError } from '../../src/errors.js'

const poppler = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()
const skip = poppler ? false : 'pdftotext (poppler-utils) is not installed: apt-get install -y poppler-utils'

const dir = 'test-results/login-slips'
mkdirSync(dir, { recursive: true })

const ivanova: LoginSlip = {
  school: 'Школа № 5',
  name: 'Иванова Мария',
  login: 'ivanova.m',
  temporaryPassword: 'Xk7-0Ol1-Ib8q',
  className: '5А',
}

function sheetOf(slips: LoginSlip[], overrides: Partial<SlipSheet> = {}): SlipSheet {
  return {
    loginUrl: 'https://id.example.ru/login/78',
    regionName: 'Санкт-Петербург',
    locale: 'ru',
    issuedAt: new Date('2026-12-08T09:00:00Z'),
    slips,
    ...overrides,
  }
}

async function pdfFile(name: string, sheet: SlipSheet): Promise<string> {
  const path = `${dir}/${name}.pdf`
  writeFileSync(path, await renderLoginSlips(sheet))
  return path
}

const run = (command: string, args: string[]) => execFileSync(command, args, { encoding: 'utf8' })
const textOf = (path: string, page?: number) =>
  run('pdftotext', [...(page === undefined ? [] : ['-f', `${page}`, '-l', `${page}`]), path, '-'])
const pagesOf = (path: string) => Number(/^Pages:\s+(\d+)$/m.exec(run('pdfinfo', [path]))?.[1])

t.test('one slip: one page, and every field can be read back', { skip }, async (t) => {
  const path = await pdfFile('one', sheetOf([ivanova]))
  t.equal(pagesOf(path), 1)
  const fonts = run('pdffonts', [path])
    .split('\n')
    .slice(2)
    .filter((line) => line.trim() !== '')
  t.same(
    fonts.map((line) => /\+(DejaVu\S+)\s.*\syes\s+yes\s+yes\s/.exec(line)?.[1]).sort(),
    ['DejaVuSans', 'DejaVuSans-Bold', 'DejaVuSansMono', 'DejaVuSansMono-Bold'],
    'only the DejaVu fonts, embedded as subsets with a Unicode map',
  )
  const text = textOf(path)
  for (const expected of [
    'Вход в электронный дневник',
    'Школа № 5',
    'Иванова Мария',
    'Класс: 5А',
    'ivanova.m',
    'Xk7-0Ol1-Ib8q',
    'https://id.example.ru/login/78',
    'Введите логин и временный пароль',
    'Санкт-Петербург · Выдан 08.12.2026',
  ]) {
    t.ok(text.includes(expected), `"${expected}" is in the text`)
  }
})

t.test('English slips', { skip }, async (t) => {
  const text = textOf(await pdfFile('english', sheetOf([{ ...ivanova, className: null }], { locale: 'en' })))
  t.ok(text.includes('Signing in to the school diary'))
  t.ok(text.includes('Temporary password'))
  t.ok(text.includes('Issued 2026-12-08'))
  t.notOk(text.includes('Class'), 'no class line without a class')
})

t.test('9 slips make 2 pages: 8 on the first, the ninth alone on the second', { skip }, async (t) => {
  const slips = Array.from({ length: 9 }, (_, i) => ({ ...ivanova, login: `pupil.${i + 1}` }))
  const path = await pdfFile('nine', sheetOf(slips))
  t.equal(pagesOf(path), 2)
  const first = textOf(path, 1)
  const second = textOf(path, 2)
  t.same(
    slips.map((slip) => first.includes(slip.login)),
    [true, true, true, true, true, true, true, true, false],
  )
  t.same(first.match(/Xk7-0Ol1-Ib8q/g)?.length, 8)
  t.ok(second.includes('pupil.9'))
  t.same(second.match(/Xk7-0Ol1-Ib8q/g)?.length, 1)
})

t.test('the metadata holds no password, login or name', { skip }, async (t) => {
  const path = await pdfFile('metadata', sheetOf([ivanova]))
  const info = run('pdfinfo', ['-isodates', path])
  t.match(info, /^Title:\s+Листки для входа в электронный дневник$/m)
  t.match(info, /^CreationDate:\s+2026-12-08T09:00:00Z$/m, 'the issue time, not the render time')
  t.notMatch(info, /^Author:/m)
  t.notMatch(run('pdfinfo', ['-meta', path]), /\S/, 'no XMP metadata stream')
  for (const secret of ['Xk7-0Ol1-Ib8q', 'ivanova', 'Иванова', 'Мария']) {
    t.notOk(info.includes(secret), `"${secret}" is not in the metadata`)
  }
})

t.test('the QR code is the login address, embedded once for all slips of the file', { skip }, async (t) => {
  const path = await pdfFile('qr', sheetOf(Array.from({ length: 9 }, () => ivanova)))
  const rows = run('pdfimages', ['-list', path])
    .split('\n')
    .slice(2)
    .filter((line) => line.trim() !== '')
    .map((line) => line.trim().split(/\s+/))
    .filter((row) => row[2] === 'image') // not the PNG's alpha channel, its `smask`
  t.equal(rows.length, 9, 'one image placed on each slip')
  t.same(new Set(rows.map((row) => `${row[10]} ${row[11]}`)).size, 1, 'every slip shows the same image object')
  // qrcode's PNG at level M: the modules plus a 2-module margin on each side, 8 pixels a module.
  const { modules } = QRCode.create('https://id.example.ru/login/78', { errorCorrectionLevel: 'M' })
  t.equal(Number(rows[0]?.[3]), (modules.size + 4) * 8, 'the width of the code of this address')
})

interface Word {
  text: string
  xMin: number
  yMin: number
  xMax: number
  yMax: number
}

function wordsOf(path: string, page: number): Word[] {
  const html = run('pdftotext', ['-bbox', '-f', `${page}`, '-l', `${page}`, path, '-'])
  return [
    ...html.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g),
  ].map((match) => ({
    xMin: Number(match[1]),
    yMin: Number(match[2]),
    xMax: Number(match[3]),
    yMax: Number(match[4]),
    text: match[5] as string,
  }))
}

t.test('long names, schools and logins stay inside their own slip', { skip }, async (t) => {
  const family = 'Константинопольская-Преображенская-Ивано'
  t.equal(family.length, 40)
  const long: LoginSlip = {
    school:
      'Государственное бюджетное общеобразовательное учреждение средняя общеобразовательная школа № 123 с углублённым изучением английского языка Приморского района Санкт-Петербурга',
    name: `${family} Мария-Антуанетта Александровна`,
    login: 'konstantinopolskaya-preobrazhenskaya.maria.2026',
    temporaryPassword: 'Xk7-0Ol1-Ib8q',
    className: '11 «Б» физико-математический профиль',
  }
  const slips = Array.from({ length: 8 }, () => long)
  const path = await pdfFile('long', sheetOf(slips))
  execFileSync('pdftoppm', ['-png', '-r', '100', '-f', '1', '-l', '1', path, `${dir}/long`])

  const words = wordsOf(path, 1)
  t.ok(words.length > 8 * 30, 'the words were read')
  // The slip grid of login-slips.ts: A4, 24 pt margins, 2 columns × 4 rows.
  const width = (595.28 - 48) / 2
  const height = (841.89 - 48) / 4
  const cellOf = (word: Word) => ({
    column: Math.floor(((word.xMin + word.xMax) / 2 - 24) / width),
    row: Math.floor(((word.yMin + word.yMax) / 2 - 24) / height),
  })
  const outside = words.filter((word) => {
    const { column, row } = cellOf(word)
    const [left, top] = [24 + column * width, 24 + row * height]
    return word.xMin < left || word.xMax > left + width || word.yMin < top || word.yMax > top + height
  })
  t.same(outside, [], 'no word crosses a cut line')
  // Eight equal slips: a text that ran down into the next slip would make that slip's words differ.
  const cells = new Map<string, string[]>()
  for (const word of words) {
    const { column, row } = cellOf(word)
    cells.set(`${column} ${row}`, [...(cells.get(`${column} ${row}`) ?? []), word.text])
  }
  t.equal(cells.size, 8)
  t.equal(new Set([...cells.values()].map((cell) => cell.join(' '))).size, 1, 'every slip holds the same words')
  const familyWords = words.filter((word) => /Константинопольская|Преображенская/.test(word.text))
  t.ok(familyWords.length >= 8, 'the family name is printed on every slip')
  t.ok(
    familyWords.every((word) => word.xMin >= 24 + 12 - 0.5 && word.xMax <= 24 + 2 * width - 12 + 0.5),
    'the family name keeps to the printable area',
  )
  t.ok(
    familyWords.every((word) => word.xMin < 24 + width === word.xMax <= 24 + width),
    'no family name runs from the left column into the right one',
  )
  t.ok(textOf(path, 1).includes('Xk7-0Ol1-Ib8q'), 'the password is still printed whole')
})

t.test('page 1 as an image', { skip }, async (t) => {
  const path = await pdfFile('page', sheetOf(Array.from({ length: 8 }, (_, i) => ({ ...ivanova, login: `p${i}` }))))
  execFileSync('pdftoppm', ['-png', '-r', '100', '-f', '1', '-l', '1', '-singlefile', path, `${dir}/page-1`])
  const png = readFileSync(`${dir}/page-1.png`)
  t.same([...png.subarray(1, 4)], [...Buffer.from('PNG')], 'a PNG')
  t.ok(statSync(`${dir}/page-1.png`).size > 30_000, 'not a blank page')
})

const cases: [string, SlipSheet, RegExp][] = [
  ['no slips', sheetOf([]), /between 1 and 1000 slips, not 0/],
  ['more than 1,000 slips', sheetOf(Array.from({ length: 1001 }, () => ivanova)), /not 1001/],
  ['a login address that is not http(s)', sheetOf([ivanova], { loginUrl: 'javascript:alert(1)' }), /http\(s\)/],
  ['a login address that is not a URL', sheetOf([ivanova], { loginUrl: 'id.example.ru' }), /http\(s\)/],
  ['a blank password', sheetOf([ivanova, { ...ivanova, temporaryPassword: '  ' }]), /slip 2 has no temporaryPassword/],
  ['an empty name', sheetOf([{ ...ivanova, name: '' }]), /slip 1 has no name/],
]

for (const [why, sheet, message] of cases) {
  t.test(`refused: ${why}`, async (t) => {
    await t.rejects(renderLoginSlips(sheet), { constructor: BridgeError, code: 'ERR_INVALID_REQUEST', message })
  })
}

t.test('the refusal names no person and no password', async (t) => {
  const error = await renderLoginSlips(sheetOf([{ ...ivanova, login: '' }])).catch((error: unknown) => error)
  t.type(error, BridgeError)
  t.notMatch(String((error as Error).message), /Иванова|Xk7/)
})
