import { decodeJwt, type JWTPayload } from 'jose'
import type { ResolvedAppConfig } from '../config.ts'
import type { UserContext } from '../telemetry/helpers.ts'
import { accessTokens } from './access-token.ts'
import { originalLoginTokens } from './original-login.ts'
import { type TokenFamily, TokenRejected } from './token-family.ts'

/**
 * Every token family the API accepts, most specific first: the first that owns a token verifies it.
 * The original WWMAA login's tokens (`user_id`, no `sub`/`iss`/`aud`) come first; the project's
 * access tokens own whatever no family before them claimed.
 */
const FAMILIES: readonly TokenFamily[] = [originalLoginTokens, accessTokens]

/** A Bearer token to the user it names, under its family's rules; TokenRejected otherwise. */
export async function verifyBearerToken(token: string, config: ResolvedAppConfig): Promise<UserContext> {
  let claims: JWTPayload
  try {
    claims = decodeJwt(token)
  } catch (error: unknown) {
    throw new TokenRejected('malformed', 'Token is invalid', { cause: error })
  }
  const family = FAMILIES.find((f) => f.owns(claims))
  if (!family) throw new TokenRejected('invalid', 'Token is invalid')
  return family.verify(token, config)
}
