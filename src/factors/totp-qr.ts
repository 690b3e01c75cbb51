/*
 * The QR code of an otpauth:// URI, rendered on the server as SVG (no script and no third party sees the
 * secret): error correction M, a 4-module quiet zone, black on white as authenticator apps read best.
 * The page inlines it; the secret is also shown as text for typing it in by hand.
 */
import QRCode from 'qrcode'

export function renderTotpQr(uri: string): Promise<string> {
  return QRCode.toString(uri, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 4,
    color: { dark: '#000000', light: '#ffffff' },
  })
}
