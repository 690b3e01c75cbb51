/*
 * The QR code of an otpauth:// URI, rendered on the server as SVG (no script and no third party sees the
 * secret): error correction M, a 4-module quiet zone, black on white as authenticator apps read best.
 * The page inlines it; the secret is also shown as text for typing it in by hand. `qrcode` loads with the
 * first code drawn (an enrolment or a login slip), not with the service: most instances rarely draw one.
 */
export async function renderTotpQr(uri: string): Promise<string> {
  const { default: QRCode } = await import('qrcode')
  return QRCode.toString(uri, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 4,
    color: { dark: '#000000', light: '#ffffff' },
  })
}
