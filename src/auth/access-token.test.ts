import { OpenAPIHono } from '@hono/zod-openapi'
import { type JWTPayload, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../env.ts'
import { auth } from '../middleware/auth.ts'
import { configContext } from '../middleware/config.ts'
import { notFound, onError } from '../middleware/errors.ts'
import { traceContext } from '../middleware/trace-context.ts'
import { TEST_ENV, testExecutionContext } from '../testing.ts'

// The access-token rules through the auth middleware, as a caller meets them.
const app = new OpenAPIHono<AppEnv>()
app.use('*', traceContext, configContext, auth)
app.onError(onError)
app.notFound(notFound)
app.get('/who', (c) => c.json(c.get('user')))

const ENV = { ...TEST_ENV }
const ISSUED = {
  ...TEST_ENV,
  JWT_ISSUER: 'https://auth.wwmaa.test',
  JWT_AUDIENCE: 'wwmaa-search, wwmaa-admin',
}
const SHORT = { ...TEST_ENV, JWT_MAX_TTL_SECONDS: '600' }
const now = () => Math.floor(Date.now() / 1000)

/** A token with exactly these claims (none added): each test states what it carries. */
const sign = (claims: JWTPayload) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(TEST_ENV.JWT_SECRET))
const good = (extra: JWTPayload = {}): JWTPayload => ({
  sub: 'u-1',
  role: 'member',
  type: 'access',
  iat: now(),
  exp: now() + 600,
  ...extra,
})

async function who(claims: JWTPayload, env: Record<string, string> = ENV) {
  const token = await sign(claims)
  const res = await app.request(
    '/who',
    { headers: { authorization: `Bearer ${token}` } },
    env,
    testExecutionContext(),
  )
  const text = await res.text()
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text, token }
}

describe('access token rules', () => {
  it('accepts a token that follows every rule', async () => {
    expect(await who(good())).toMatchObject({ status: 200, body: { id: 'u-1', role: 'member' } })
    const { iat: _, ...noIat } = good()
    expect((await who(noIat)).status).toBe(200)
  })

  it('refuses a token without exp, which would otherwise live forever', async () => {
    const { exp: _, ...claims } = good()
    const { status, body } = await who(claims)
    expect(status).toBe(401)
    expect(body).toMatchObject({ error: { code: 'unauthorized', message: 'Token has no expiry (exp)' } })
  })

  it('refuses exp further ahead than the default 24 h maximum, with or without iat', async () => {
    expect((await who(good({ exp: now() + 10 * 365 * 86_400 }))).status).toBe(401)
    const { iat: _, ...noIat } = good({ exp: now() + 86_400 + 120 })
    const { status, body } = await who(noIat)
    expect(status).toBe(401)
    expect(String((body.error as { message: string }).message)).toContain('86400 seconds')
    expect((await who(good({ exp: now() + 86_400 }))).status).toBe(200)
  })

  it('measures the lifetime from iat too: a long-lived token is refused even near its end', async () => {
    // Issued 6 days ago for 7 days: one day left, but its issuer gave it seven.
    expect((await who(good({ iat: now() - 6 * 86_400, exp: now() + 86_000 }))).status).toBe(401)
    expect((await who(good({ iat: now() - 3600, exp: now() + 3600 }))).status).toBe(200)
  })

  it('takes the maximum from JWT_MAX_TTL_SECONDS', async () => {
    expect((await who(good({ exp: now() + 3600 }), SHORT)).status).toBe(401)
    expect((await who(good({ exp: now() + 600 }), SHORT)).status).toBe(200)
  })

  it('refuses a token issued in the future', async () => {
    expect((await who(good({ iat: now() + 3600, exp: now() + 4000 }))).body).toMatchObject({
      error: { message: 'Token was issued in the future (iat)' },
    })
  })

  it('ignores iss and aud while JWT_ISSUER and JWT_AUDIENCE are unset', async () => {
    expect((await who(good({ iss: 'anyone', aud: 'anything' }))).status).toBe(200)
  })

  it('checks iss and aud once JWT_ISSUER and JWT_AUDIENCE are set', async () => {
    const right = { iss: 'https://auth.wwmaa.test', aud: 'wwmaa-search' }
    expect((await who(good(right), ISSUED)).status).toBe(200)
    expect((await who(good({ ...right, aud: ['other', 'wwmaa-admin'] }), ISSUED)).status).toBe(200)
    const cases: Array<[JWTPayload, string]> = [
      [{ ...right, iss: 'https://evil.test' }, 'Token was not issued by an accepted issuer (iss)'],
      [{ aud: right.aud }, 'Token was not issued by an accepted issuer (iss)'],
      [{ ...right, aud: 'billing-service' }, 'Token is not meant for this API (aud)'],
      [{ iss: right.iss }, 'Token is not meant for this API (aud)'],
    ]
    for (const [claims, message] of cases) {
      const { status, body } = await who(good(claims), ISSUED)
      expect({ status, body }).toMatchObject({
        status: 401,
        body: { error: { code: 'unauthorized', message } },
      })
    }
  })

  it.each(['refresh', 'id', 'ACCESS', ''])('refuses a token whose type is %j', async (type) => {
    const { status, body } = await who(good({ type }))
    expect(status).toBe(401)
    expect(String((body.error as { message: string }).message)).toMatch(/not an access token/)
  })

  it('refuses a token without a type claim: another service may share the secret', async () => {
    const { type: _, ...claims } = good()
    const { status, body } = await who(claims)
    expect(status).toBe(401)
    expect(body).toMatchObject({ error: { code: 'unauthorized', message: expect.stringContaining('type') } })
  })

  it('answers an unknown role with 403 naming it, never as member', async () => {
    const { status, body } = await who(good({ role: 'superuser' }))
    expect(status).toBe(403)
    expect(body).toMatchObject({
      error: { code: 'forbidden', message: 'Role "superuser" is not known here' },
    })
  })

  it('answers a missing or non-string role with 403 and does not echo odd values', async () => {
    const { role: _, ...claims } = good()
    expect((await who(claims)).body).toMatchObject({
      error: { code: 'forbidden', message: 'Token has no role claim' },
    })
    const odd = await who(good({ role: '<script>alert(1)</script>' }))
    expect(odd.status).toBe(403)
    expect(odd.text).not.toContain('script')
    expect((await who(good({ role: ['admin'] }))).status).toBe(403)
  })

  it('refuses a token without a subject before judging its role', async () => {
    const { sub: _, ...claims } = good({ role: 'superuser' })
    expect((await who(claims)).status).toBe(401)
  })

  it('never quotes the token in an error body', async () => {
    for (const claims of [
      good({ type: 'refresh' }),
      good({ role: 'superuser' }),
      good({ exp: now() + 1e9 }),
    ]) {
      const { text, token } = await who(claims)
      for (const part of token.split('.')) expect(text).not.toContain(part)
    }
  })
})
