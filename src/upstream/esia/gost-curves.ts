/*
 * The curves a GOST R 34.10-2012 (256) key may name, by the OID of its parameter set: CryptoPro A, B,
 * C, XchA, XchB (RFC 4357 §11.4) and TC26 256 A–D (RFC 7836 Appendix A.2). XchA is CryptoPro A,
 * XchB is CryptoPro C, TC26 B–D are CryptoPro A–C; TC26 A is a twisted Edwards curve, given here in
 * its Weierstrass form. The tests check every base point is on its curve and sign with the engine on
 * each set.
 */

/** y² = x³ + ax + b over GF(p); the base point (x, y) has prime order q. */
export interface GostCurve {
  p: bigint
  a: bigint
  b: bigint
  q: bigint
  x: bigint
  y: bigint
}

const cryptoProA: GostCurve = {
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97n,
  a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd94n,
  b: 166n,
  q: 0xffffffffffffffffffffffffffffffff6c611070995ad10045841b09b761b893n,
  x: 1n,
  y: 0x8d91e471e0989cda27df505a453f2b7635294f2ddf23e3b122acc99c9e9f1e14n,
}
const cryptoProB: GostCurve = {
  p: 0x8000000000000000000000000000000000000000000000000000000000000c99n,
  a: 0x8000000000000000000000000000000000000000000000000000000000000c96n,
  b: 0x3e1af419a269a5f866a7d3c25c3df80ae979259373ff2b182f49d4ce7e1bbc8bn,
  q: 0x800000000000000000000000000000015f700cfff1a624e5e497161bcc8a198fn,
  x: 1n,
  y: 0x3fa8124359f96680b83d1c3eb2c070e5c545c9858d03ecfb744bf8d717717efcn,
}
const cryptoProC: GostCurve = {
  p: 0x9b9f605f5a858107ab1ec85e6b41c8aacf846e86789051d37998f7b9022d759bn,
  a: 0x9b9f605f5a858107ab1ec85e6b41c8aacf846e86789051d37998f7b9022d7598n,
  b: 32858n,
  q: 0x9b9f605f5a858107ab1ec85e6b41c8aa582ca3511eddfb74f02f3a6598980bb9n,
  x: 0n,
  y: 0x41ece55743711a8c3cbf3783cd08c0ee4d4dc440d4641a8f366e550dfdb3bb67n,
}
const tc26A: GostCurve = {
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97n,
  a: 0xc2173f1513981673af4892c23035a27ce25e2013bf95aa33b22c656f277e7335n,
  b: 0x295f9bae7428ed9ccc20e7c359a9d41a22fccd9108e17bf7ba9337a6f8ae9513n,
  q: 0x400000000000000000000000000000000fd8cddfc87b6635c115af556c360c67n,
  x: 0x91e38443a5e82c0d880923425712b2bb658b9196932e02c78b2582fe742daa28n,
  y: 0x32879423ab1a0375895786c4bb46e9565fde0b5344766740af268adb32322e5cn,
}

/** The parameter sets by OID. */
export const gostParamSets: Readonly<Record<string, { name: string; curve: GostCurve }>> = {
  '1.2.643.2.2.35.1': { name: 'CryptoPro-A', curve: cryptoProA },
  '1.2.643.2.2.35.2': { name: 'CryptoPro-B', curve: cryptoProB },
  '1.2.643.2.2.35.3': { name: 'CryptoPro-C', curve: cryptoProC },
  '1.2.643.2.2.36.0': { name: 'CryptoPro-XchA', curve: cryptoProA },
  '1.2.643.2.2.36.1': { name: 'CryptoPro-XchB', curve: cryptoProC },
  '1.2.643.7.1.2.1.1.1': { name: 'TC26-256-A', curve: tc26A },
  '1.2.643.7.1.2.1.1.2': { name: 'TC26-256-B', curve: cryptoProA },
  '1.2.643.7.1.2.1.1.3': { name: 'TC26-256-C', curve: cryptoProB },
  '1.2.643.7.1.2.1.1.4': { name: 'TC26-256-D', curve: cryptoProC },
}

export function curveOf(paramSet: string): GostCurve {
  const entry = gostParamSets[paramSet]
  if (entry === undefined) throw new Error(`the GOST key's parameter set ${paramSet} is not supported`)
  return entry.curve
}

/** The paramset OID the JavaScript implementation gives the keys it makes (the engine's `paramset:A`). */
export const defaultParamSet = '1.2.643.2.2.35.1'
