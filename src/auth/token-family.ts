import type { JWTPayload } from 'jose'
import type { ResolvedAppConfig } from '../config.ts'
import type { UserContext } from '../telemetry/helpers.ts'

/** Why a Bearer token was refused; `status` says whether it is a 401 or a 403. */
export type TokenRejection =
  | 'malformed'
  | 'invalid'
  | 'expired'
  | 'not_yet_valid'
  | 'no_expiry'
  | 'lifetime_too_long'
  | 'issued_in_future'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_type'
  | 'no_subject'
  | 'no_role'
  | 'unknown_role'

/** A token refused by its family's rules. The message is for the caller: it never quotes the token. */
export class TokenRejected extends Error {
  override name = 'TokenRejected'
  constructor(
    readonly reason: TokenRejection,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }

  /** 403 when the token is genuine but its role grants nothing known; 401 when it proves nothing. */
  get status(): 401 | 403 {
    return this.reason === 'no_role' || this.reason === 'unknown_role' ? 403 : 401
  }
}

/**
 * One kind of token the API accepts, with its own key, claims and rules (src/auth/verify.ts lists
 * them). The project's access tokens are one family; tokens of the original WWMAA login
 * (original-login.ts) are another, with their own rules.
 */
export interface TokenFamily {
  readonly name: string
  /**
   * Whether a token belongs to this family, judged from its unverified claims (`iss`, claim shape).
   * Routing only: `verify` checks everything again under this family's key.
   */
  owns(claims: JWTPayload): boolean
  /** The caller, or TokenRejected. */
  verify(token: string, config: ResolvedAppConfig): Promise<UserContext>
}

/** A claim value fit to repeat in an error message: short and plain, or not at all. */
export function quoteClaim(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.:-]{1,40}$/.test(value) ? `"${value}"` : undefined
}
