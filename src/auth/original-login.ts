import type { JwtPolicy } from '../config.ts'
import type { UserContext } from '../telemetry/helpers.ts'
import { verifySignedAccess } from './access-token.ts'
import type { Role } from './roles.ts'
import { quoteClaim, type TokenFamily, TokenRejected } from './token-family.ts'

/**
 * Access tokens of the original WWMAA login (AINative-Studio/wwmaa, backend/services/auth_service.py
 * `create_access_token`): `{user_id, role, exp, iat, type: "access", email?}`, HS256 under the
 * JWT_SECRET both services share, no `sub`, `iss` or `aud`. Rules (README "Tokens"): the same
 * signature and algorithm pin as the project's tokens; `exp` required and capped by
 * JWT_MAX_TTL_SECONDS (the original caps its own lifetime at 1440 minutes, the same 24 h as our
 * default, so a genuine token passes); `type` must be `access` (its refresh tokens carry
 * `user_id` too); `user_id` is the subject; no `iss`/`aud` demanded; the role through ROLE_MAP.
 */

/** What a role of the original login is here. `null`: signed in but not a member, served as anonymous. */
type Mapped = Role | null

/**
 * The one table from the original roles (backend/models/schemas.py `UserRole`) to this API's.
 * - `public`: a registered account without a membership. Every role of this API is a member's
 *   (members-only sources, counting toward an answer's retirement, writing the similarity index),
 *   so it gets none of them: it is served as an anonymous caller, after its token was verified.
 * - `board_member`: governance, not administration (the original ranks it between instructor and
 *   admin); `staff` is this API's non-admin organisation role. Only `admin` reaches the admin API.
 */
export const ROLE_MAP: Readonly<Record<string, Mapped>> = {
  public: null,
  member: 'member',
  instructor: 'instructor',
  board_member: 'staff',
  admin: 'admin',
}

const SERVED_AS_ANONYMOUS: UserContext = { id: 'anonymous', role: 'anonymous' }

export const originalLoginTokens: TokenFamily = {
  name: 'original-login',
  /**
   * A token naming its user by `user_id` and carrying no `sub`, `iss` or `aud`: the original login
   * never sets those three. A token with `sub` stays with the project's family (whose rules it
   * must then meet in full), and one naming an issuer or audience is not the original login's, so
   * JWT_ISSUER/JWT_AUDIENCE still hold for it.
   */
  owns: (claims) =>
    claims.sub === undefined &&
    claims.iss === undefined &&
    claims.aud === undefined &&
    (claims as { user_id?: unknown }).user_id !== undefined,
  verify: (token, config) => verifyOriginalLoginToken(token, config.jwt),
}

export async function verifyOriginalLoginToken(token: string, policy: JwtPolicy): Promise<UserContext> {
  // The same signature, lifetime and type rules as the project's tokens; no iss/aud demanded.
  const payload = await verifySignedAccess(token, policy)
  const userId = payload.user_id
  if (typeof userId !== 'string' || userId === '')
    throw new TokenRejected('no_subject', 'Token has no user_id')
  if (payload.role === undefined) throw new TokenRejected('no_role', 'Token has no role claim')
  const role = typeof payload.role === 'string' && Object.hasOwn(ROLE_MAP, payload.role) ? payload.role : null
  if (role === null) {
    const quoted = quoteClaim(payload.role)
    throw new TokenRejected(
      'unknown_role',
      quoted ? `Role ${quoted} is not known here` : 'Token role is not known here',
    )
  }
  const mapped = ROLE_MAP[role] ?? null
  return mapped === null ? SERVED_AS_ANONYMOUS : { id: userId, role: mapped }
}
