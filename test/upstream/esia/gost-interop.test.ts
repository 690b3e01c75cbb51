/*
 * The JavaScript implementation against OpenSSL's GOST engine through the openssl CLI, both ways, on
 * every parameter set a GOST R 34.10-2012 (256) key may name: the engine's keys and certificates are
 * read, its signatures verify and ours verify with `openssl dgst`, the hashes are `openssl dgst`'s;
 * keys made in JavaScript are read by the engine and their certificates pass `openssl verify`.
 * Skipped, with the reason, where the engine or the openssl CLI is missing (CI has both).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { runGostOpenssl } from '../../../demo/gost-keys.js'
import { gostParamSets } from '../../../src/upstream/esia/gost-curves.js'
import { generateGostKeyPair, javascriptGost } from '../../../src/upstream/esia/gost-javascript.js'
import { engineGost, needsEngineCli } from '../../helpers/gost-world.js'

// The engine's `-pkeyopt paramset:` names and the table's names for the same OIDs.
const paramSets: [option: string, name: string][] = [
  ['A', 'CryptoPro-A'],
  ['B', 'CryptoPro-B'],
  ['C', 'CryptoPro-C'],
  ['XA', 'CryptoPro-XchA'],
  ['XB', 'CryptoPro-XchB'],
  ['TCA', 'TC26-256-A'],
  ['TCB', 'TC26-256-B'],
  ['TCC', 'TC26-256-C'],
  ['TCD', 'TC26-256-D'],
]

const verified = (output: string) => /Verified OK/.test(output)

t.test(
  'keys made by the engine, every parameter set: read here, signatures verify both ways, hashes agree',
  { skip: needsEngineCli },
  async (t) => {
    const dir = t.testdir()
    const message = Buffer.from(`DIARY29openid fullname birthdate snils2026.11.29 11:36:11 +0000${'x'.repeat(200)}`)
    writeFileSync(join(dir, 'message'), message)
    for (const [option, name] of paramSets) {
      const key = join(dir, `${option}.key.pem`)
      runGostOpenssl(dir, ['genpkey', '-algorithm', 'gost2012_256', '-pkeyopt', `paramset:${option}`, '-out', key])
      const certificatePem = runGostOpenssl(dir, [
        'req',
        '-new',
        '-x509',
        '-md_gost12_256',
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
        '-key',
        key,
      ])
      writeFileSync(join(dir, `${option}.cert.pem`), certificatePem)
      runGostOpenssl(dir, ['x509', '-in', `${option}.cert.pem`, '-pubkey', '-noout', '-out', `${option}.pub.pem`])
      t.ok(
        Object.values(gostParamSets).some((set) => set.name === name),
        `${name} is in the table`,
      )

      writeFileSync(join(dir, 'ours.sig'), javascriptGost.privateKey(readFileSync(key, 'utf8')).sign(message))
      t.ok(
        verified(
          runGostOpenssl(dir, [
            'dgst',
            '-md_gost12_256',
            '-verify',
            `${option}.pub.pem`,
            '-signature',
            'ours.sig',
            'message',
          ]),
        ),
        `${name}: ours verifies with openssl dgst`,
      )
      runGostOpenssl(dir, ['dgst', '-md_gost12_256', '-sign', key, '-out', 'theirs.sig', 'message'])
      t.ok(
        javascriptGost.certificatePublicKey(certificatePem).verify(message, readFileSync(join(dir, 'theirs.sig'))),
        `${name}: openssl's verifies here`,
      )

      runGostOpenssl(dir, ['x509', '-in', `${option}.cert.pem`, '-outform', 'DER', '-out', `${option}.der`])
      const theirs = /= ([0-9a-f]{64})/.exec(runGostOpenssl(dir, ['dgst', '-md_gost12_256', `${option}.der`]))?.[1]
      t.equal(
        javascriptGost.hash(readFileSync(join(dir, `${option}.der`))).toString('hex'),
        theirs,
        `${name}: the certificate hash is openssl's`,
      )
    }
  },
)

t.test(
  "a key pair made in JavaScript: the engine reads it, openssl verifies the certificate's self-signature",
  { skip: needsEngineCli },
  async (t) => {
    const dir = t.testdir()
    const pair = generateGostKeyPair('Diary bridge 29 (demo)', { days: 3650 })
    writeFileSync(join(dir, 'key.pem'), pair.privateKeyPem)
    writeFileSync(join(dir, 'cert.pem'), pair.certificatePem)
    t.match(
      runGostOpenssl(dir, ['verify', '-CAfile', 'cert.pem', 'cert.pem']),
      /cert\.pem: OK/,
      'the self-signature verifies in openssl',
    )
    t.match(runGostOpenssl(dir, ['x509', '-in', 'cert.pem', '-noout', '-subject']), /CN\s?=\s?Diary bridge 29 \(demo\)/)
    const fromKey = runGostOpenssl(dir, ['pkey', '-in', 'key.pem', '-pubout'])
    t.equal(
      fromKey,
      runGostOpenssl(dir, ['x509', '-in', 'cert.pem', '-pubkey', '-noout']),
      "the key's public half is the certificate's",
    )
    t.match(
      runGostOpenssl(dir, ['pkey', '-in', 'key.pem', '-noout', '-text']),
      /Parameter set: id-GostR3410-2001-CryptoPro-A-ParamSet/,
      'paramset A, as `paramset:A` makes it',
    )
    const engine = engineGost as NonNullable<typeof engineGost>
    const data = Buffer.from('signed in process by the engine with a key made in JavaScript')
    t.ok(
      javascriptGost
        .certificatePublicKey(pair.certificatePem)
        .verify(data, engine.privateKey(pair.privateKeyPem).sign(data)),
      'Node with the engine decodes the key and signs',
    )
  },
)
