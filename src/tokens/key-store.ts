/*
 * One instance's view of the signing keys: loaded from the database, kept for `reloadMs` (the JWKS and
 * every token signature are served from memory), reloaded when stale or when asked for an unknown kid.
 * `reloadMs` must stay below `keyPublishSeconds`, so that a staged key is known before it signs.
 * With no signing key at all (first start), it runs key maintenance, which creates one.
 */
import { createPrivateKey, type JsonWebKey, type KeyObject as NodeKeyObject } from 'node:crypto'
import { type CryptoKey, importJWK, type JWK, type JWTHeaderParameters, type KeyObject } from 'jose'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { assertKeyFits } from './jws.js'
import { decryptPrivateKey } from './key-encryption.js'
import {
  isPublished,
  type KeyPolicy,
  type KeyRow,
  listKeys,
  maintainSigningKeys,
  signingKeyOf,
} from './signing-keys.js'

type SigningKeyMaterial = CryptoKey | KeyObject | Uint8Array

export interface KeyStore {
  /** The key to sign with now (a node:crypto key: tokens/jws.ts signs in the calling thread). */
  signingKey(): Promise<{ kid: string; alg: string; key: NodeKeyObject }>
  /** The public keys to publish now. */
  jwks(): Promise<{ keys: JWK[] }>
  /** For jwtVerify: the published key named by the token's `kid`. */
  verificationKey(header: JWTHeaderParameters): Promise<SigningKeyMaterial>
}

export function createKeyStore(
  db: Kysely<Database>,
  options: { kek: Buffer; policy: KeyPolicy; now: () => Date; reloadMs?: number },
): KeyStore {
  const reloadMs = options.reloadMs ?? 60_000
  let loaded: { keys: KeyRow[]; at: number } | undefined
  let loading: Promise<KeyRow[]> | undefined
  const privateKeys = new Map<string, NodeKeyObject>()
  const publicKeys = new Map<string, Promise<SigningKeyMaterial>>()
  let publishedCache: { kids: string; rows: KeyRow[] | undefined; value: { keys: JWK[] } } | undefined

  function reload(): Promise<KeyRow[]> {
    loading ??= listKeys(db)
      .then((keys) => {
        loaded = { keys, at: options.now().getTime() }
        return keys
      })
      .finally(() => (loading = undefined))
    return loading
  }

  async function keys(): Promise<KeyRow[]> {
    if (loaded !== undefined && options.now().getTime() - loaded.at < reloadMs) return loaded.keys
    return reload()
  }

  async function signing(): Promise<KeyRow> {
    const now = options.now()
    let key = signingKeyOf(await keys(), now)
    if (key === undefined) {
      await maintainSigningKeys(db, options.kek, options.policy, now)
      key = signingKeyOf(await reload(), now)
    }
    if (key === undefined) throw new Error('no signing key is available')
    return key
  }

  return {
    async signingKey() {
      const key = await signing()
      let material = privateKeys.get(key.kid)
      if (material === undefined) {
        const jwk = JSON.parse(decryptPrivateKey(options.kek, key.kid, key.private_jwk_encrypted)) as JWK
        material = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })
        assertKeyFits(key.alg, material)
        privateKeys.set(key.kid, material)
      }
      return { kid: key.kid, alg: key.alg, key: material }
    },

    async jwks() {
      await signing()
      const now = options.now()
      const published = (await keys()).filter((key) => isPublished(key, now))
      const kids = published.map((key) => key.kid).join(' ')
      // The same object while nothing changed, so that callers can cache what they derive from it.
      if (publishedCache?.kids !== kids || publishedCache.rows !== loaded?.keys) {
        publishedCache = { kids, rows: loaded?.keys, value: { keys: published.map((key) => key.public_jwk as JWK) } }
      }
      return publishedCache.value
    },

    async verificationKey(header) {
      const now = options.now()
      const find = (rows: KeyRow[]) =>
        rows.find((key) => key.kid === header.kid && key.alg === header.alg && isPublished(key, now))
      const key =
        find(await keys()) ??
        (loaded !== undefined && now.getTime() - loaded.at > 1000 ? find(await reload()) : undefined)
      if (key === undefined) throw new Error('no such signing key')
      let material = publicKeys.get(key.kid)
      if (material === undefined) {
        material = importJWK(key.public_jwk as JWK, key.alg)
        publicKeys.set(key.kid, material)
      }
      return material
    },
  }
}
