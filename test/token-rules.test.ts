import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type JWTPayload, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness, TEST_JWT_SECRET } from './harness.ts'

// Issue 28, finding 4, replayed from outside: signed tokens that broke the rules of an access
// token (no exp, exp years ahead, another issuer or audience, a refresh token, a made-up role)
// against the instrumented Worker with JWT_ISSUER and JWT_AUDIENCE set.

const ISSUER = 'https://login.wwmaa.test'
const AUDIENCE = 'wwmaa-search'
const SEARCH = '/api/search/query'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ seed: false, vars: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } })
})
afterAll(() => h?.stop())

const now = () => Math.floor(Date.now() / 1000)
const claims = (extra: JWTPayload = {}): JWTPayload => ({
  sub: 'member-7',
  role: 'member',
  type: 'access',
  iss: ISSUER,
  aud: AUDIENCE,
  iat: now(),
  exp: now() + 600,
  ...extra,
})
const sign = (payload: JWTPayload) =>
  new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(TEST_JWT_SECRET))
const without = (name: string, payload = claims()) => {
  const { [name]: _, ...rest } = payload
  return rest
}

/** A search with a body the route refuses (400): auth answers first, so no upstream is called. */
async function probe(payload: JWTPayload) {
  const token = await sign(payload)
  const res = await h.post(SEARCH, {}, { authorization: `Bearer ${token}` })
  return { status: res.status, text: await res.text(), token }
}

function expectErrorShape(text: string, token: string, code: string) {
  const body = JSON.parse(text) as { error: { code: string; message: string }; trace_id: string | null }
  expect(body.error.code).toBe(code)
  expect(body.error.message.length).toBeGreaterThan(0)
  expect(body.trace_id).toMatch(/^[0-9a-f]{32}$/)
  for (const part of token.split('.')) expect(text).not.toContain(part)
  return body
}

describe('token rules', () => {
  it.each([
    ['a token without exp', without('exp')],
    ['a token whose exp is ten years ahead', claims({ exp: now() + 10 * 365 * 86_400 })],
    ['a token living 25 h, over the 24 h default maximum', claims({ exp: now() + 25 * 3600 })],
    ['a token from another issuer', claims({ iss: 'https://other-idp.test' })],
    ['a token without iss', without('iss')],
    ['a token for another service', claims({ aud: 'billing-service' })],
    ['a token without aud', without('aud')],
    ['a refresh token', claims({ type: 'refresh' })],
  ])('refuses %s with 401 in the error shape, quoting no token', async (_name, payload) => {
    const { status, text, token } = await probe(payload)
    expect(status).toBe(401)
    expectErrorShape(text, token, 'unauthorized')
  })

  it('answers an unknown role with 403 on search instead of serving it as a member', async () => {
    const token = await sign(claims({ role: 'superuser' }))
    const res = await h.post(SEARCH, { query: 'how do belts work' }, { authorization: `Bearer ${token}` })
    const text = await res.text()
    expect(res.status).toBe(403)
    const body = expectErrorShape(text, token, 'forbidden')
    expect(body.error.message).toContain('superuser')
  })

  it('answers a token without a role with 403', async () => {
    const { status, text, token } = await probe(without('role'))
    expect(status).toBe(403)
    expectErrorShape(text, token, 'forbidden')
  })

  it('lets a member search and an admin list documents with tokens that follow the rules', async () => {
    const member = await sign(claims())
    const search = await h.post(SEARCH, { query: 'how do belts work' }, { authorization: `Bearer ${member}` })
    expect(search.status).toBe(200)
    const admin = await sign(claims({ sub: 'admin-1', role: 'admin', aud: ['other', AUDIENCE] }))
    const list = await h.fetch('/api/documents?limit=1', { headers: { authorization: `Bearer ${admin}` } })
    expect(list.status).toBe(200)
    // The member is a member: authenticated, and refused only by the admin route's role check.
    const denied = await h.fetch('/api/documents?limit=1', { headers: { authorization: `Bearer ${member}` } })
    expect(denied.status).toBe(403)
  })

  it('accepts what `npm run token` signs from the same configuration, and refuses a ttl over the maximum', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'token-rules-'))
    try {
      const config = join(dir, 'wrangler.toml')
      writeFileSync(config, 'name = "t"\nmain = "x.ts"\ncompatibility_date = "2026-04-20"\n')
      writeFileSync(
        join(dir, '.dev.vars'),
        `JWT_SECRET=${TEST_JWT_SECRET}\nJWT_ISSUER=${ISSUER}\nJWT_AUDIENCE=${AUDIENCE}\n`,
      )
      const run = (args: string[]) =>
        promisify(execFile)('node', ['--import', 'tsx', 'scripts/token.ts', '--config', config, ...args], {
          env: { ...process.env, JWT_SECRET: '', JWT_ISSUER: '', JWT_AUDIENCE: '' },
        })
      const { stdout } = await run(['--role', 'admin', '--ttl', '12h'])
      const res = await h.fetch('/api/documents?limit=1', {
        headers: { authorization: `Bearer ${stdout.trim()}` },
      })
      expect(res.status).toBe(200)
      await expect(run(['--ttl', '2d'])).rejects.toMatchObject({ code: 2, stdout: '' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
