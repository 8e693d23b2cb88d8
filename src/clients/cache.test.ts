import { afterEach, describe, expect, it, vi } from 'vitest'
import { bumpCorpusVersion, CacheClient, CORPUS_VERSION_KEY } from './cache.ts'
import { fakeFetch, json, type Scripted } from './fake-fetch.test-support.ts'

// @upstash/redis calls the global fetch at request time, so the fake is installed there.
function cache(...script: Scripted[]) {
  const fake = fakeFetch(...script)
  vi.stubGlobal('fetch', fake.fetch)
  const client = new CacheClient({ url: 'http://upstash.test', token: 'upstash-token', timeoutMs: 50 })
  return { client, calls: fake.calls }
}

// The client asks for plain JSON results (no Upstash-Encoding: base64).
const result = (value: string | number | null) => json(200, { result: value })

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('CacheClient', () => {
  it('a stored value is a hit, decoded from JSON', async () => {
    const { client, calls } = cache(result(JSON.stringify({ answer: 'x' })))
    expect(await client.get('k')).toEqual({ reason: 'hit', value: { answer: 'x' } })
    expect(calls[0]?.body).toEqual(['get', 'k'])
    expect(calls[0]?.headers.get('authorization')).toBe('Bearer upstash-token')
    expect(calls[0]?.headers.get('upstash-encoding')).toBeNull()
  })

  it('a missing key is a miss', async () => {
    const { client } = cache(result(null))
    expect(await client.get('k')).toEqual({ reason: 'miss' })
  })

  it('an HTTP error is reason error, never an exception, and one attempt only', async () => {
    const { client, calls } = cache(json(500, { error: 'ERR boom' }))
    const r = await client.get('k')
    expect(r.reason).toBe('error')
    if (r.reason === 'error') {
      expect(r.error.name).toBe('CacheError')
      expect(r.error.message).not.toContain('upstash-token')
    }
    expect(calls).toHaveLength(1)
  })

  it('a network failure is reason error', async () => {
    const { client, calls } = cache(new TypeError('connection refused'))
    expect((await client.get('k')).reason).toBe('error')
    expect(calls).toHaveLength(1)
  })

  it('no answer within the timeout is reason error with failure timeout', async () => {
    const { client } = cache('hang')
    const r = await client.get('k')
    expect(r).toMatchObject({ reason: 'error', error: { failure: 'timeout' } })
  })

  it('set sends EX with the TTL; setMany uses one pipeline request', async () => {
    const { client, calls } = cache(result('OK'), json(200, [{ result: 'OK' }, { result: 'OK' }]))
    expect(await client.set('k', { a: 1 }, 300)).toEqual({ reason: 'ok' })
    expect(calls[0]?.body).toEqual(['set', 'k', '{"a":1}', 'ex', 300])
    const written = await client.setMany([
      { key: 'a', value: 'x', ttlSeconds: 10 },
      { key: 'b', value: 'y', ttlSeconds: 20 },
    ])
    expect(written).toEqual({ reason: 'ok' })
    expect(calls[1]?.url).toBe('http://upstash.test/pipeline')
    expect(calls[1]?.body).toEqual([
      ['set', 'a', 'x', 'ex', 10],
      ['set', 'b', 'y', 'ex', 20],
    ])
  })

  it('scriptAndGet sends EVAL and the GETs in one pipeline request and keeps per-command errors', async () => {
    const replies = [{ result: 4 }, { result: '7' }, { error: 'WRONGTYPE Operation against a key' }]
    const { client, calls } = cache(json(200, replies))
    const r = await client.scriptAndGet('search_lookup', { script: 'return 4', keys: ['rl'], args: [10] }, [
      'v',
      'k',
    ])
    expect(calls).toHaveLength(1)
    expect(calls[0]?.url).toBe('http://upstash.test/pipeline')
    expect(calls[0]?.body).toEqual([
      ['eval', 'return 4', 1, 'rl', 10],
      ['get', 'v'],
      ['get', 'k'],
    ])
    expect(r).toEqual({
      reason: 'ok',
      script: { result: 4 },
      values: [{ result: 7 }, { error: 'WRONGTYPE Operation against a key' }],
    })
  })

  it('scriptAndGet is reason error when the request fails', async () => {
    const { client } = cache(json(503, { error: 'busy' }))
    expect(
      await client.scriptAndGet('search_lookup', { script: 'return 1', keys: [], args: [] }, ['v']),
    ).toMatchObject({ reason: 'error', error: { name: 'CacheError' } })
  })

  it('a failed write is reason error', async () => {
    const { client } = cache(json(500, { error: 'ERR readonly' }))
    expect((await client.set('k', 1, 10)).reason).toBe('error')
  })
})

describe('corpus version', () => {
  it('bumps with INCR on corpus:version', async () => {
    const { client, calls } = cache(result(8))
    expect(await bumpCorpusVersion(client)).toEqual({ reason: 'hit', value: 8 })
    expect(calls[0]?.body).toEqual(['incr', CORPUS_VERSION_KEY])
  })
})
