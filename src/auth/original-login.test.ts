import { OpenAPIHono } from '@hono/zod-openapi'
import { type JWTPayload, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../env.ts'
import { auth } from '../middleware/auth.ts'
import { configContext } from '../middleware/config.ts'
import { notFound, onError } from '../middleware/errors.ts'
import { traceContext } from '../middleware/trace-context.ts'
import { TEST_ENV, testExecutionContext } from '../testing.ts'

// Tokens of the original WWMAA login through the auth middleware, as a caller meets them. Their
// claims are what backend/services/auth_service.py `create_access_token` signs.
const app = new OpenAPIHono<AppEnv>()
app.use('*', traceContext, configContext, auth)
app.onError(onError)
app.notFound(notFound)
app.get('/who', (c) => c.json(c.get('user')))

const ISSUED = { ...TEST_ENV, JWT_ISSUER: 'https://auth.wwmaa.test', JWT_AUDIENCE: 'wwmaa-search' }
const SHORT = { ...TEST_ENV, JWT_MAX_TTL_SECONDS: '600' }
const now = () => Math.floor(Date.now() / 1000)

const sign = (claims: JWTPayload, secret = TEST_ENV.JWT_SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret))
const original = (extra: JWTPayload = {}): JWTPayload => ({
  user_id: '5f1c2b8e-0000-4000-8000-00000000abcd',
  role: 'member',
  email: 'member@example.com',
  type: 'access',
  iat: now(),
  exp: now() + 30 * 60,
  ...extra,
})
const without = (name: string, claims = original()) => {
  const { [name]: _, ...rest } = claims
  return rest
}

async function who(claims: JWTPayload, env: Record<string, string> = TEST_ENV, secret?: string) {
  const token = await sign(claims, secret)
  const res = await app.request(
    '/who',
    { headers: { authorization: `Bearer ${token}` } },
    env,
    testExecutionContext(),
  )
  const text = await res.text()
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text, token }
}

describe('original WWMAA login tokens', () => {
  it('accepts one as the original login signs it, user_id as the subject', async () => {
    expect(await who(original())).toMatchObject({
      status: 200,
      body: { id: '5f1c2b8e-0000-4000-8000-00000000abcd', role: 'member' },
    })
  })

  it.each([
    ['admin', 'admin'],
    ['instructor', 'instructor'],
    ['board_member', 'staff'],
  ])('maps the original role %s onto %s', async (role, mapped) => {
    expect((await who(original({ role }))).body).toMatchObject({ role: mapped })
  })

  it('serves a public (signed-in, not a member) account as anonymous, after verifying it', async () => {
    expect(await who(original({ role: 'public' }))).toMatchObject({
      status: 200,
      body: { id: 'anonymous', role: 'anonymous' },
    })
    expect((await who(original({ role: 'public' }), TEST_ENV, 'another-secret-0123456789')).status).toBe(401)
  })

  it('demands no iss or aud even when JWT_ISSUER and JWT_AUDIENCE are set', async () => {
    expect((await who(original(), ISSUED)).status).toBe(200)
  })

  it('leaves a token naming an issuer to the project’s rules, where it has no subject', async () => {
    const { status, body } = await who(original({ iss: 'https://other-idp.test' }), ISSUED)
    expect(status).toBe(401)
    expect(body).toMatchObject({ error: { code: 'unauthorized' } })
  })

  it('verifies a token carrying both sub and user_id by the project’s rules', async () => {
    // `sub` wins the routing: the project's family then judges the role, and board_member is not ours.
    const { status } = await who(original({ sub: 'u-9', role: 'board_member' }))
    expect(status).toBe(403)
    expect((await who(original({ sub: 'u-9' }))).body).toMatchObject({ id: 'u-9', role: 'member' })
  })

  it.each([
    ['without exp', without('exp'), 'Token has no expiry (exp)'],
    ['expired', original({ iat: now() - 7200, exp: now() - 3600 }), 'Token has expired'],
    ['living longer than JWT_MAX_TTL_SECONDS', original({ exp: now() + 2 * 86_400 }), 'lives too long'],
    ['of type refresh', original({ type: 'refresh' }), 'Token type "refresh" is not an access token'],
    ['without a type', without('type'), 'type must be "access"'],
    ['with an empty user_id', original({ user_id: '' }), 'Token has no user_id'],
    ['with a numeric user_id', original({ user_id: 42 }), 'Token has no user_id'],
  ])('refuses a token %s with 401', async (_name, claims, message) => {
    const { status, body, text, token } = await who(claims)
    expect(status).toBe(401)
    expect((body.error as { message: string }).message).toContain(message)
    for (const part of token.split('.')) expect(text).not.toContain(part)
  })

  it('refuses a wrong signature and alg none with 401', async () => {
    expect((await who(original(), TEST_ENV, 'not-the-jwt-secret-0123456789')).status).toBe(401)
    const unsigned = [
      btoa(JSON.stringify({ alg: 'none', typ: 'JWT' })),
      btoa(JSON.stringify(original({ role: 'admin' }))),
      '',
    ]
      .join('.')
      .replaceAll('=', '')
    const res = await app.request(
      '/who',
      { headers: { authorization: `Bearer ${unsigned}` } },
      TEST_ENV,
      testExecutionContext(),
    )
    expect(res.status).toBe(401)
  })

  it('applies JWT_MAX_TTL_SECONDS to them too', async () => {
    expect((await who(original({ exp: now() + 1800 }), SHORT)).status).toBe(401)
    expect((await who(original({ exp: now() + 300 }), SHORT)).status).toBe(200)
  })

  it.each([['superuser'], ['constructor'], ['MEMBER']])(
    'answers the unknown role %s with 403',
    async (role) => {
      const { status, body } = await who(original({ role }))
      expect(status).toBe(403)
      expect(body).toMatchObject({ error: { code: 'forbidden' } })
    },
  )

  it('answers a missing role with 403', async () => {
    expect(await who(without('role'))).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', message: 'Token has no role claim' } },
    })
  })
})
