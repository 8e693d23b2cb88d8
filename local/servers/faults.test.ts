import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ZeroDbServer } from './zerodb.ts'
import { startZeroDb } from './zerodb.ts'

const API_KEY = 'k'
let server: ZeroDbServer
let searchUrl: string

const search = (init: RequestInit = {}) =>
  fetch(searchUrl, {
    method: 'POST',
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...(init.headers ?? {}) },
    body: JSON.stringify({ query_vector: [1, 0], namespace: 'wwmaa', limit: 5 }),
    signal: init.signal,
  })

const control = (method: string, path: string, body?: unknown) =>
  fetch(`${server.url}/__control/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

beforeAll(async () => {
  server = await startZeroDb({ apiKey: API_KEY, projectId: 'p' })
  searchUrl = `${server.url}/v1/public/p/database/vectors/search`
})
afterAll(() => server.close())
afterEach(() => {
  server.faults.clear()
  server.faults.clearRequests()
})

describe('fault injection', () => {
  it('adds latency before answering normally', async () => {
    server.faults.set({ latencyMs: 150 })
    const started = Date.now()
    const res = await search()
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('answers an injected status with Retry-After and the upstream error shape', async () => {
    server.faults.set({ match: '/vectors/search', status: 429, retryAfter: 7 })
    const res = await search()
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('7')
    expect(await res.json()).toEqual({ detail: expect.any(String) })
  })

  it('uses a custom body for an injected status', async () => {
    server.faults.set({ status: 503, body: { detail: 'maintenance' } })
    const res = await search()
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ detail: 'maintenance' })
  })

  it('hangs until the client aborts', async () => {
    server.faults.set({ hang: true })
    const err = await search({ signal: AbortSignal.timeout(200) }).catch((e: unknown) => e)
    expect((err as Error).name).toBe('TimeoutError')
  })

  it('returns 200 with a malformed JSON body', async () => {
    server.faults.set({ malformed: true })
    const res = await search()
    expect(res.status).toBe(200)
    await expect(res.json()).rejects.toThrow()
  })

  it('expires a fault after `times` matching requests and ignores non-matching paths', async () => {
    server.faults.set({ match: '/vectors/search', status: 500, times: 2 })
    const other = await fetch(`${server.url}/v1/public/p/database/tables`, {
      headers: { 'x-api-key': API_KEY },
    })
    expect(other.status).toBe(200)
    expect([(await search()).status, (await search()).status, (await search()).status]).toEqual([
      500, 500, 200,
    ])
  })

  it('matches on a substring of the body too, when asked', async () => {
    server.faults.set({ match: '/vectors/search', bodyIncludes: '"limit":9', status: 500 })
    expect((await search()).status).toBe(200)
    server.faults.set({ match: '/vectors/search', bodyIncludes: '"limit":5', status: 503 })
    expect((await search()).status).toBe(503)
  })

  it('applies the first matching fault when several are active', async () => {
    server.faults.set({ match: '/vectors/', status: 502, times: 1 })
    server.faults.set({ status: 504 })
    expect((await search()).status).toBe(502)
    expect((await search()).status).toBe(504)
  })
})

describe('request recording', () => {
  it('records method, path, headers (traceparent included) and parsed body', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    await search({ headers: { traceparent } })
    const [recorded] = server.faults.requests()
    expect(recorded).toMatchObject({
      method: 'POST',
      path: '/v1/public/p/database/vectors/search',
      body: { query_vector: [1, 0], namespace: 'wwmaa', limit: 5 },
    })
    expect(recorded?.headers.traceparent).toBe(traceparent)
    expect(recorded?.at).toBeLessThanOrEqual(Date.now())
  })
})

describe('/__control over HTTP', () => {
  it('sets and clears faults without restarting', async () => {
    const set = await control('POST', 'faults', { match: '/vectors/search', status: 500, retryAfter: 1 })
    expect(set.status).toBe(200)
    expect((await search()).status).toBe(500)
    expect((await control('DELETE', 'faults')).status).toBe(200)
    expect((await search()).status).toBe(200)
  })

  it('rejects an invalid fault with 400', async () => {
    expect((await control('POST', 'faults', { status: 'x' })).status).toBe(400)
    expect((await control('POST', 'faults', 'nope')).status).toBe(400)
  })

  it('lists and clears recorded requests, without recording or faulting control calls', async () => {
    await control('POST', 'faults', { status: 500 })
    await search({ headers: { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' } })
    const listed = (await (await control('GET', 'requests')).json()) as {
      requests: Array<{ path: string; headers: Record<string, string> }>
    }
    expect(listed.requests.map((r) => r.path)).toEqual(['/v1/public/p/database/vectors/search'])
    expect(listed.requests[0]?.headers.traceparent).toMatch(/^00-1{32}/)
    expect((await control('DELETE', 'requests')).status).toBe(200)
    expect(server.faults.requests()).toEqual([])
  })
})
