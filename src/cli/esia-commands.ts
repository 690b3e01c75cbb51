/*
 * The operator's checks of a region's ESIA connection (docs/state-services.md, "Connecting a region to ESIA").
 */
import { isEsiaProvider } from '../upstream/esia/config.js'
import { chooseGost, describeGostChoice } from '../upstream/esia/gost.js'
import { checkSigner } from '../upstream/esia/signer.js'
import { type CliCommand, regionOption, requiredValue } from './command.js'

const checkSignerCommand: CliCommand = {
  name: 'esia check-signer',
  synopsis: '--region R',
  summary:
    "Signs a test string with the region's ESIA signer and verifies it with the system certificate; prints the certificate hash to register at ESIA.",
  options: { region: regionOption.replace('of the login', 'whose ESIA signer to check') },
  required: { region: 'each region has its own ESIA system and signer' },
  run: async (context, input) => {
    const code = requiredValue(input, 'region')
    const provider = context.config.regions.get(code)?.stateServices.provider
    if (!isEsiaProvider(provider)) {
      context.err(`region ${code} does not log in through ESIA (its provider type is ${provider?.type ?? 'not set'})`)
      return 1
    }
    let check: Awaited<ReturnType<typeof checkSigner>>
    try {
      const gost = chooseGost(context.config.bridge.gostImplementation)
      context.out(describeGostChoice(gost))
      check = await checkSigner(provider, { gost: gost.crypto, now: context.now() })
    } catch (error) {
      const cause = (error as { cause?: { message?: unknown } }).cause?.message
      context.err(
        `signer ${provider.signer.type}: ${(error as Error).message}${typeof cause === 'string' ? ` (${cause})` : ''}`,
      )
      return 1
    }
    context.out(`certificate: ${check.subject}, valid to ${check.validTo}`)
    context.out(`client_certificate_hash: ${check.certificateHash}`)
    if (check.verifies) {
      context.out(`signer ${provider.signer.type}: the signature verifies with the certificate`)
      return 0
    }
    context.err(
      check.keyProblem !== undefined
        ? `signer ${provider.signer.type}: ${check.keyProblem}`
        : check.verifiesReversed
          ? `signer ${provider.signer.type}: the signature verifies only reversed: set signer.reversed to ${String(!(provider.signer.type === 'http' && provider.signer.reversed))}`
          : `signer ${provider.signer.type}: the signature does NOT verify with the certificate: the private key and the certificate do not belong together`,
    )
    return 1
  },
}

export const esiaCommands: readonly CliCommand[] = [checkSignerCommand]
