import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { findChromium, findRedisServer, requireProgram } from './requirements.ts'

const dir = mkdtempSync(join(tmpdir(), 'requirements-'))
const fake = (name: string) => {
  const path = join(dir, name)
  writeFileSync(path, '#!/bin/sh\n')
  chmodSync(path, 0o755)
  return path
}
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('finding the programs a suite needs', () => {
  it('prefers CHROMIUM_PATH, then the usual browser names on PATH', () => {
    const browser = fake('chromium-browser')
    const explicit = fake('my-chrome')
    expect(findChromium({ PATH: dir })).toBe(browser)
    expect(findChromium({ PATH: dir, CHROMIUM_PATH: explicit })).toBe(explicit)
    expect(findChromium({ PATH: dir, CHROMIUM_PATH: join(dir, 'absent') })).toBeUndefined()
    expect(findChromium({ PATH: '/nonexistent' })).toBeUndefined()
  })

  it('finds redis-server on PATH or where REDIS_SERVER_BIN says', () => {
    const server = fake('redis-server')
    expect(findRedisServer({ PATH: dir })).toBe(server)
    expect(findRedisServer({ PATH: '/nonexistent', REDIS_SERVER_BIN: server })).toBe(server)
    expect(findRedisServer({ PATH: '/nonexistent' })).toBeUndefined()
  })

  it('skips locally with one line saying what to install', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const first = requireProgram('a-tool', undefined, 'apt-get install a-tool', {})
    requireProgram('a-tool', undefined, 'apt-get install a-tool', {})
    expect(first).toEqual({ path: undefined, skip: true })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]?.[0])).toContain('apt-get install a-tool')
    warn.mockRestore()
  })

  it('fails under CI instead of skipping, so no suite is silently lost', () => {
    expect(() => requireProgram('b-tool', undefined, 'apt-get install b-tool', { CI: 'true' })).toThrow(
      /b-tool not found.*required under CI/,
    )
    expect(requireProgram('b-tool', '/usr/bin/b-tool', 'x', { CI: 'true' })).toEqual({
      path: '/usr/bin/b-tool',
      skip: false,
    })
  })
})
