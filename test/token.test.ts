import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Harness } from './harness.ts'
import { startHarness, TEST_JWT_SECRET } from './harness.ts'

// `npm run token` as a newcomer runs it, and the token it prints used against the real Worker.

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'token-'))
const config = join(dir, 'wrangler.toml')

async function token(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(
      'node',
      ['--import', 'tsx', 'scripts/token.ts', '--config', config, ...args],
      {
        env: { ...process.env, JWT_SECRET: '', ...env },
      },
    )
    return { code: 0, stdout: stdout.trim(), stderr }
  } catch (error: unknown) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout.trim(), stderr: e.stderr }
  }
}

let h: Harness
beforeAll(async () => {
  // The local configuration the script reads: wrangler.toml's development vars, then .dev.vars.
  writeFileSync(
    config,
    `name = "t"\nmain = "x.ts"\ncompatibility_date = "2026-04-20"\n[vars]\nJWT_SECRET = "toml-secret-not-used-0123456789"\n[env.production.vars]\nOTEL_DEPLOYMENT_ENVIRONMENT = "production"\n`,
  )
  writeFileSync(join(dir, '.dev.vars'), `JWT_SECRET=${TEST_JWT_SECRET}\n`)
  h = await startHarness({ seed: false })
})
afterAll(async () => {
  await h?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('npm run token', () => {
  it('prints an admin token signed with the local secret that the document API accepts', async () => {
    const out = await token(['--role', 'admin', '--sub', 'newcomer-1'])
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    const res = await h.fetch('/api/documents?limit=1', {
      headers: { authorization: `Bearer ${out.stdout}` },
    })
    expect(res.status).toBe(200)
  })

  it('prints a member token by default, which the admin API refuses with 403', async () => {
    const out = await token([])
    expect(out.code).toBe(0)
    const res = await h.fetch('/api/documents', { headers: { authorization: `Bearer ${out.stdout}` } })
    expect(res.status).toBe(403)
  })

  it('ignores a JWT_SECRET in the shell for a local token', async () => {
    const out = await token(['--role', 'admin'], { JWT_SECRET: 'a-production-secret-0123456789' })
    const res = await h.fetch('/api/documents', { headers: { authorization: `Bearer ${out.stdout}` } })
    expect(res.status).toBe(200)
  })

  it('refuses to sign for production unless asked explicitly', async () => {
    const refused = await token(['--env', 'production'], { JWT_SECRET: TEST_JWT_SECRET })
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toContain('--allow-remote')

    const allowed = await token(['--env', 'production', '--allow-remote', '--role', 'admin'], {
      JWT_SECRET: TEST_JWT_SECRET,
    })
    expect(allowed.code).toBe(0)
    const res = await h.fetch('/api/documents', { headers: { authorization: `Bearer ${allowed.stdout}` } })
    expect(res.status).toBe(200)
  })

  it('signs an access token: type access, iat, and exp the asked ttl later', async () => {
    const out = await token(['--ttl', '12h'])
    expect(out.code).toBe(0)
    const claims = decodeJwt(out.stdout)
    expect(claims).toMatchObject({ type: 'access', role: 'member', sub: 'local-member' })
    expect(Number(claims.exp) - Number(claims.iat)).toBe(12 * 3600)
    expect(claims.iss).toBeUndefined()
    const res = await h.post('/api/search/query', {}, { authorization: `Bearer ${out.stdout}` })
    expect(res.status).toBe(400)
  })

  it('refuses a --ttl over JWT_MAX_TTL_SECONDS, which the API would refuse', async () => {
    const out = await token(['--ttl', '7d'])
    expect(out.code).toBe(2)
    expect(out.stdout).toBe('')
    expect(out.stderr).toContain('JWT_MAX_TTL_SECONDS (86400 s)')
  })

  it('answers a bad option with the usage text and exit code 2', async () => {
    const out = await token(['--role', 'sensei'])
    expect(out.code).toBe(2)
    expect(out.stderr).toContain('--role must be one of')
    expect(out.stdout).toBe('')
  })
})
