import { errors, type JWTPayload, jwtVerify } from 'jose'
import type { JwtPolicy } from '../config.ts'
import type { UserContext } from '../telemetry/helpers.ts'
import { isRole } from './roles.ts'
import { quoteClaim, type TokenFamily, TokenRejected } from './token-family.ts'

/**
 * The project's own access tokens (`npm run token`, `npm run dev`, the server-side clients):
 * HS256 under JWT_SECRET, `sub` the user, `role` one of ROLES, `exp` required and at most
 * JWT_MAX_TTL_SECONDS ahead, `iss`/`aud` checked when JWT_ISSUER/JWT_AUDIENCE are set, and a
 * `type` claim that says `access`. README "Tokens" states the same rules.
 */

/** The `type` claim of an access token; `refresh`, `id` or anything else is refused. */
export const ACCESS_TOKEN_TYPE = 'access'
/** Seconds of clock skew forgiven between the signer and this Worker (exp, nbf, iat, the cap). */
export const CLOCK_TOLERANCE_S = 30

const keys = new Map<string, Uint8Array>()

function keyFor(secret: string): Uint8Array {
  let key = keys.get(secret)
  if (!key) {
    key = new TextEncoder().encode(secret)
    keys.set(secret, key)
  }
  return key
}

export const accessTokens: TokenFamily = {
  name: 'access',
  owns: () => true,
  verify: (token, config) => verifyAccessToken(token, config.jwt),
}

export async function verifyAccessToken(token: string, policy: JwtPolicy): Promise<UserContext> {
  const payload = await verifySignedAccess(token, policy, {
    issuer: policy.issuers,
    audience: policy.audiences,
  })
  if (typeof payload.sub !== 'string' || payload.sub === '')
    throw new TokenRejected('no_subject', 'Token has no subject')
  // Stricter than a default: a token that names no role was not issued for this API's roles.
  if (payload.role === undefined) throw new TokenRejected('no_role', 'Token has no role claim')
  if (!isRole(payload.role)) {
    const role = quoteClaim(payload.role)
    throw new TokenRejected(
      'unknown_role',
      role ? `Role ${role} is not known here` : 'Token role is not known here',
    )
  }
  return { id: payload.sub, role: payload.role }
}

/**
 * What every token family shares (src/auth/original-login.ts too): the HS256 signature under
 * JWT_SECRET, a required `exp` within JWT_MAX_TTL_SECONDS, and `type: "access"`. `claims` adds the
 * family's own `iss`/`aud` demands. The payload, or TokenRejected.
 */
export async function verifySignedAccess(
  token: string,
  policy: JwtPolicy,
  claims: { issuer?: string[]; audience?: string[] } = {},
): Promise<JWTPayload> {
  let payload: JWTPayload
  try {
    // Pinning the algorithm list is what rejects `alg: none` and key-confusion tokens.
    ;({ payload } = await jwtVerify(token, keyFor(policy.secret), {
      algorithms: ['HS256'],
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp'],
      ...claims,
    }))
  } catch (error: unknown) {
    throw rejection(error)
  }
  checkLifetime(payload, policy.maxTtlSeconds)
  // Required, not only checked when present: a token another service signed with a shared secret
  // (an id token, a refresh token, a token with no type at all) is not an access token for this API.
  if (payload.type !== ACCESS_TOKEN_TYPE) {
    const type = quoteClaim(payload.type)
    throw new TokenRejected(
      'wrong_type',
      type
        ? `Token type ${type} is not an access token`
        : 'Token is not an access token (type must be "access")',
    )
  }
  return payload
}

/**
 * The cap holds against both clocks: `exp` no further than maxTtl from now, so a token minted
 * without `iat` (or with an old one) cannot outlive it, and no further than maxTtl from `iat`, so
 * a long-lived token is refused from its first use, not only until it has aged into the window.
 * jose's `maxTokenAge` measures now − iat instead, which bounds neither when `iat` is absent.
 */
function checkLifetime(payload: JWTPayload, maxTtlSeconds: number): void {
  const now = Math.floor(Date.now() / 1000)
  // jose has checked that exp (required) and iat (when present) are numbers.
  const exp = payload.exp as number
  const { iat } = payload
  if (iat !== undefined && iat > now + CLOCK_TOLERANCE_S)
    throw new TokenRejected('issued_in_future', 'Token was issued in the future (iat)')
  if (exp - now > maxTtlSeconds + CLOCK_TOLERANCE_S || (iat !== undefined && exp - iat > maxTtlSeconds)) {
    throw new TokenRejected(
      'lifetime_too_long',
      `Token lives too long: exp may be at most ${maxTtlSeconds} seconds after it is issued`,
    )
  }
}

function rejection(error: unknown): TokenRejected {
  if (error instanceof errors.JWTExpired)
    return new TokenRejected('expired', 'Token has expired', { cause: error })
  if (error instanceof errors.JWTClaimValidationFailed) {
    const cause = { cause: error }
    if (error.claim === 'exp' && error.reason === 'missing')
      return new TokenRejected('no_expiry', 'Token has no expiry (exp)', cause)
    if (error.claim === 'iss')
      return new TokenRejected('wrong_issuer', 'Token was not issued by an accepted issuer (iss)', cause)
    if (error.claim === 'aud')
      return new TokenRejected('wrong_audience', 'Token is not meant for this API (aud)', cause)
    if (error.claim === 'nbf')
      return new TokenRejected('not_yet_valid', 'Token is not valid yet (nbf)', cause)
  }
  return new TokenRejected('invalid', 'Token is invalid', { cause: error })
}
