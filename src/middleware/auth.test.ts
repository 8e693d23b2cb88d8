import { OpenAPIHono } from '@hono/zod-openapi'
import { SignJWT, UnsecuredJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../env.ts'
import { TEST_ENV, testExecutionContext } from '../testing.ts'
import { auth, requireRole } from './auth.ts'
import { configContext } from './config.ts'
import { notFound, onError } from './errors.ts'
import { traceContext } from './trace-context.ts'

const app = new OpenAPIHono<AppEnv>()
app.use('*', traceContext, configContext, auth)
app.onError(onError)
app.notFound(notFound)
app.get('/who', (c) => c.json(c.get('user')))
app.get('/admin', requireRole('admin'), (c) => c.json({ ok: true }))

const secret = new TextEncoder().encode(TEST_ENV.JWT_SECRET)
const sign = (claims: Record<string, unknown>, exp = '5m', key = secret) =>
  new SignJWT({ type: 'access', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('u-1')
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key)

async function get(path: string, token?: string, raw?: string) {
  const headers: Record<string, string> = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (raw) headers.authorization = raw
  const res = await app.request(path, { headers }, TEST_ENV, testExecutionContext())
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('auth middleware', () => {
  it('treats a request without a token as anonymous', async () => {
    expect(await get('/who')).toEqual({ status: 200, body: { id: 'anonymous', role: 'anonymous' } })
  })

  it('takes user id from sub and role from the role claim', async () => {
    expect((await get('/who', await sign({ role: 'admin' }))).body).toEqual({ id: 'u-1', role: 'admin' })
    expect((await get('/who', await sign({ role: 'instructor' }))).body).toEqual({
      id: 'u-1',
      role: 'instructor',
    })
  })

  it('answers a token without a role with 403, not as a member', async () => {
    expect(await get('/who', await sign({}))).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    })
  })

  it('marks a 401 with WWW-Authenticate invalid_token', async () => {
    const res = await app.request(
      '/who',
      { headers: { authorization: `Bearer ${await sign({ role: 'member', type: 'refresh' })}` } },
      TEST_ENV,
      testExecutionContext(),
    )
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
  })

  it.each([
    ['an expired token', () => sign({ role: 'admin' }, '-1h')],
    [
      'a token signed with another key',
      () => sign({}, '5m', new TextEncoder().encode('another-secret-0123456789')),
    ],
    [
      'an alg:none token',
      async () => new UnsecuredJWT({ role: 'admin', sub: 'u-1' }).setExpirationTime('5m').encode(),
    ],
    ['garbage', async () => 'not.a.jwt'],
  ])('rejects %s with 401 in the error shape', async (_name, make) => {
    const { status, body } = await get('/who', await make())
    expect(status).toBe(401)
    expect(body).toMatchObject({ error: { code: 'unauthorized' } })
  })

  it('rejects a non-Bearer Authorization header', async () => {
    expect((await get('/who', undefined, 'Basic dXNlcjpwYXNz')).status).toBe(401)
  })

  it('lets admins through requireRole, forbids members and asks anonymous users to log in', async () => {
    expect((await get('/admin', await sign({ role: 'admin' }))).status).toBe(200)
    expect((await get('/admin', await sign({ role: 'member' }))).status).toBe(403)
    expect((await get('/admin')).status).toBe(401)
  })
})
