import { createMiddleware } from 'hono/factory'
import { TokenRejected } from '../auth/token-family.ts'
import { verifyBearerToken } from '../auth/verify.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { addUserContext, type UserContext } from '../telemetry/helpers.ts'

export const ANONYMOUS: UserContext = { id: 'anonymous', role: 'anonymous' }

function unauthorized(message: string, cause?: unknown): ApiError {
  const headers = { 'WWW-Authenticate': 'Bearer error="invalid_token"' }
  return new ApiError(401, 'unauthorized', message, headers, { cause })
}

/**
 * `Authorization: Bearer <JWT>` → `user` on the context and `user.id` / `user.role` on the request
 * span. No header: anonymous. A token its family's rules refuse (src/auth/): 401, or 403 for a
 * genuine token whose role is missing or unknown.
 */
export const auth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization')
  let user = ANONYMOUS
  if (header !== undefined) {
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header)
    if (!match?.[1]) throw unauthorized('Authorization must be "Bearer <token>"')
    const state = c.get('config')
    if (!state.ok) throw new ApiError(503, 'not_configured', 'Authentication is not configured (JWT_SECRET)')
    try {
      user = await verifyBearerToken(match[1], state.config)
    } catch (error: unknown) {
      if (!(error instanceof TokenRejected)) throw unauthorized('Token is invalid', error)
      if (error.status === 403) throw new ApiError(403, 'forbidden', error.message, {}, { cause: error })
      throw unauthorized(error.message, error)
    }
  }
  c.set('user', user)
  addUserContext(user, c.get('rootSpan'))
  await next()
})

/** Routes behind it need an authenticated user with one of `roles`: anonymous 401, others 403. */
export function requireRole(...roles: string[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const user = c.get('user')
    if (user.role === 'anonymous') throw unauthorized('This endpoint needs a Bearer token')
    if (!roles.includes(user.role))
      throw new ApiError(403, 'forbidden', `This endpoint needs the ${roles.join(' or ')} role`)
    await next()
  })
}
