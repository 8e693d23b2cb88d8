import { describe, expect, it } from 'vitest'
import { hashIp, ipHashKey, ipHashKeyFromEnv } from './ip-hash.ts'

const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')

describe('IP hashes', () => {
  it('are keyed: not the plain SHA-256 an attacker can enumerate', async () => {
    const key = ipHashKey(undefined, 'jwt-secret-0123456789abcdef')
    const hash = hashIp(key, '203.0.113.7')
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(hash).not.toBe(await sha256Hex('203.0.113.7'))
  })

  it('use IP_HASH_SECRET when set, else a key derived from JWT_SECRET (never JWT_SECRET itself)', () => {
    expect(ipHashKey('ip-hash-secret-0123456789', 'jwt')).toEqual({
      key: 'ip-hash-secret-0123456789',
      source: 'IP_HASH_SECRET',
    })
    const derived = ipHashKey('  ', 'jwt-secret-0123456789abcdef')
    expect(derived.source).toBe('derived from JWT_SECRET')
    expect(derived.key).not.toContain('jwt-secret')
  })

  it('change with the key (rotation) and agree between the env and the config readings', () => {
    const env = { JWT_SECRET: 'jwt-secret-0123456789abcdef', IP_HASH_SECRET: 'ip-hash-secret-0123456789' }
    const fromEnv = ipHashKeyFromEnv(env)
    expect(fromEnv).toEqual(ipHashKey(env.IP_HASH_SECRET, env.JWT_SECRET))
    expect(hashIp('a-key', '203.0.113.7')).not.toBe(hashIp('b-key', '203.0.113.7'))
  })

  it('treat the spellings of one IPv6 address alike', () => {
    expect(hashIp('k', '2001:DB8::1')).toBe(hashIp('k', ' 2001:db8::1 '))
  })
})
