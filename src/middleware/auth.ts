import { createMiddleware } from 'hono/factory'
import { errors, jwtVerify } from 'jose'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { addUserContext, type UserContext } from '../telemetry/helpers.ts'

export const ANONYMOUS: UserContext = { id: 'anonymous', role: 'anonymous' }
const ROLES = new Set(['member', 'admin', 'instructor', 'staff'])
const keys = new Map<string, Uint8Array>()

function keyFor(secret: string): Uint8Array {
  let key = keys.get(secret)
  if (!key) {
    key = new TextEncoder().encode(secret)
    keys.set(secret, key)
  }
  return key
}

function unauthorized(message: string, cause?: unknown): ApiError {
  const headers = { 'WWW-Authenticate': 'Bearer error="invalid_token"' }
  return new ApiError(401, 'unauthorized', message, headers, { cause })
}

/**
 * `Authorization: Bearer <JWT>` (HS256, JWT_SECRET) → `user` on the context and `user.id` /
 * `user.role` on the request span. No header: anonymous. A bad, expired or unsigned token: 401.
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
      // Pinning the algorithm list is what rejects `alg: none` and key-confusion tokens.
      const { payload } = await jwtVerify(match[1], keyFor(state.config.jwtSecret), {
        algorithms: ['HS256'],
        clockTolerance: 30,
      })
      if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthorized('Token has no subject')
      const role = typeof payload.role === 'string' && ROLES.has(payload.role) ? payload.role : 'member'
      user = { id: payload.sub, role }
    } catch (error: unknown) {
      if (error instanceof ApiError) throw error
      if (error instanceof errors.JWTExpired) throw unauthorized('Token has expired', error)
      throw unauthorized('Token is invalid', error)
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
