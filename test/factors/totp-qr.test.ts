import QRCode from 'qrcode'
import t from 'tap'
import { renderTotpQr } from '../../src/factors/totp-qr.js'
import { createTotpSecret, totpUri } from '../../src/factors/totp.js'

t.test('renderTotpQr: an SVG of exactly the QR code of the URI', async (t) => {
  const uri = totpUri({ secret: createTotpSecret(), issuer: 'Дневник', label: 'ivanova.m' })
  const svg = await renderTotpQr(uri)
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* viewBox="0 0 (\d+) \1"/)
  t.notMatch(svg, /<script|href=|otpauth/i, 'no script, no link, the URI is not in the text')
  // The modules of the code qrcode makes for the URI at level M, plus the 4-module quiet zone on each side.
  const { modules } = QRCode.create(uri, { errorCorrectionLevel: 'M' })
  t.match(svg, new RegExp(`viewBox="0 0 ${modules.size + 8} ${modules.size + 8}"`))
  t.match(svg, /fill="#ffffff"/)
  t.match(svg, /stroke="#000000"/)
  t.not(await renderTotpQr(totpUri({ secret: createTotpSecret(), issuer: 'Дневник', label: 'ivanova.m' })), svg)
})
