/* An authorization URL as a diary module builds it with openid-client: PKCE S256 from `verifier`. */
import * as client from 'openid-client'

export async function pkceAuthorizationUrl(
  configuration: client.Configuration,
  verifier: string,
  parameters: Record<string, string> & { redirect_uri: string },
): Promise<URL> {
  return client.buildAuthorizationUrl(configuration, {
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...parameters,
  })
}
