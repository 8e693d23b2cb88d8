import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConfigError, resolveAppConfig } from '../config.ts'
import { TEST_ENV } from '../testing.ts'
import {
  apiClientsFromEnv,
  apiKeyShape,
  matchApiKey,
  parseApiClients,
  publicClient,
  sha256Hex,
} from './api-clients.ts'

const KEY = 'wwmaa_unit-test-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const OTHER = 'wwmaa_unit-test-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const hash = (key: string) => createHash('sha256').update(key).digest('hex')
const clients = (entries: unknown[]) => JSON.stringify(entries)

function problemsOf(apiClients: string): string[] {
  try {
    resolveAppConfig({ ...TEST_ENV, API_CLIENTS: apiClients })
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('API_CLIENTS', () => {
  it('parses ids, key hashes and the optional limits onto the config', () => {
    const config = resolveAppConfig({
      ...TEST_ENV,
      API_CLIENTS: clients([
        {
          id: 'wwmaa-site',
          key_sha256: hash(KEY),
          requests_per_minute: 600,
          visitor_requests_per_minute: 10,
        },
        { id: 'partner-1', key_sha256: hash(OTHER) },
      ]),
    })
    expect(config.apiClients).toEqual([
      { id: 'wwmaa-site', keySha256: hash(KEY), requestsPerMinute: 600, visitorRequestsPerMinute: 10 },
      { id: 'partner-1', keySha256: hash(OTHER) },
    ])
  })

  it('is an empty list when unset, empty or `[]`', () => {
    expect(resolveAppConfig(TEST_ENV).apiClients).toEqual([])
    expect(resolveAppConfig({ ...TEST_ENV, API_CLIENTS: '' }).apiClients).toEqual([])
    expect(resolveAppConfig({ ...TEST_ENV, API_CLIENTS: '[]' }).apiClients).toEqual([])
  })

  it.each([
    ['not JSON', '{id: site}', 'JSON array'],
    ['an object, not an array', clients([]).replace('[]', '{}'), 'expected array'],
    ['an unsafe id', clients([{ id: 'Site One', key_sha256: hash(KEY) }]), '0.id: must be 1–40'],
    ['an id of 41 characters', clients([{ id: 'a'.repeat(41), key_sha256: hash(KEY) }]), '0.id'],
    ['upper-case hex', clients([{ id: 'site', key_sha256: hash(KEY).toUpperCase() }]), '64 lowercase hex'],
    ['a short hash', clients([{ id: 'site', key_sha256: 'ab12' }]), '0.key_sha256'],
    ['the key itself', clients([{ id: 'site', key_sha256: KEY }]), '0.key_sha256'],
    [
      'a zero limit',
      clients([{ id: 'site', key_sha256: hash(KEY), requests_per_minute: 0 }]),
      'requests_per_minute',
    ],
    [
      'a string limit',
      clients([{ id: 'site', key_sha256: hash(KEY), visitor_requests_per_minute: '10' }]),
      'visitor_requests_per_minute',
    ],
    [
      'a visitor limit above the client limit',
      clients([
        { id: 'site', key_sha256: hash(KEY), requests_per_minute: 5, visitor_requests_per_minute: 10 },
      ]),
      'must not exceed',
    ],
    ['an unknown field', clients([{ id: 'site', key_sha256: hash(KEY), key: KEY }]), 'key'],
    [
      'a repeated id',
      clients([
        { id: 'site', key_sha256: hash(KEY) },
        { id: 'site', key_sha256: hash(OTHER) },
      ]),
      '"site" appears twice',
    ],
    [
      'a repeated hash',
      clients([
        { id: 'site', key_sha256: hash(KEY) },
        { id: 'partner', key_sha256: hash(KEY) },
      ]),
      'another client',
    ],
  ])('fails loudly, naming API_CLIENTS, on %s', (_name, raw, says) => {
    const problems = problemsOf(raw)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^API_CLIENTS: /)
    expect(problems[0]).toContain(says)
    // The message never quotes a configured hash (or a key pasted by mistake).
    expect(problems[0]).not.toContain(hash(KEY))
    expect(problems[0]).not.toContain(KEY)
  })

  it('is read leniently for tracing: an invalid value trusts no key', () => {
    expect(apiClientsFromEnv({ API_CLIENTS: 'nope' })).toEqual([])
    expect(apiClientsFromEnv({})).toEqual([])
    expect(apiClientsFromEnv({ API_CLIENTS: clients([{ id: 'site', key_sha256: hash(KEY) }]) })).toHaveLength(
      1,
    )
  })
})

describe('matching a key', () => {
  const list = parseApiClients(
    clients([
      { id: 'wwmaa-site', key_sha256: hash(KEY), requests_per_minute: 600 },
      { id: 'partner-1', key_sha256: hash(OTHER) },
    ]),
  )

  it('finds the client whose key hash matches, with node:crypto in workerd', () => {
    expect(sha256Hex(KEY)).toBe(hash(KEY))
    expect(matchApiKey(KEY, list)?.id).toBe('wwmaa-site')
    expect(matchApiKey(OTHER, list)?.id).toBe('partner-1')
    expect(matchApiKey(`${KEY}x`, list)).toBeUndefined()
    expect(matchApiKey(KEY, [])).toBeUndefined()
  })

  it('exposes the client without its hash', () => {
    const found = matchApiKey(KEY, list)
    expect(found && publicClient(found)).toEqual({ id: 'wwmaa-site', requestsPerMinute: 600 })
  })

  it.each([
    ['empty', '', 'empty'],
    ['two headers joined', `${KEY}, ${OTHER}`, 'exactly one'],
    ['too short', 'short-key', 'malformed'],
    ['too long', 'k'.repeat(257), 'malformed'],
    ['inner whitespace', 'wwmaa_abc def ghijklmnopqrstu', 'malformed'],
    ['non-ASCII', 'wwmaa_ключ-ключ-ключ-ключ', 'malformed'],
  ])('refuses a value %s by its shape, without echoing it', (_name, value, says) => {
    const shape = apiKeyShape(value)
    expect(shape.ok).toBe(false)
    if (!shape.ok) {
      expect(shape.problem).toContain(says)
      if (value) expect(shape.problem).not.toContain(value)
    }
  })
})
