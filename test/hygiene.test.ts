import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery } from './search-support.ts'

let stack: LocalStack
let h: Harness
beforeAll(async () => {
  stack = await startLocalStack()
  h = await startHarness({
    stack,
    vars: { ALLOWED_ORIGINS: 'https://wwmaa.org,https://app.wwmaa.org', REQUEST_TIMEOUT_MS: '700' },
  })
})
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})

describe('CORS from ALLOWED_ORIGINS', () => {
  it('answers a preflight from an allowed origin and exposes the trace headers', async () => {
    const res = await h.fetch('/api/search/query', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.wwmaa.org',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.wwmaa.org')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
    const search = await h.post('/api/search/query', { query: 'belt' }, { origin: 'https://wwmaa.org' })
    expect(search.headers.get('access-control-allow-origin')).toBe('https://wwmaa.org')
    expect(search.headers.get('access-control-expose-headers')).toContain('x-trace-id')
  })

  it('gives no CORS grant to an origin that is not listed', async () => {
    const res = await h.post('/api/search/query', { query: 'belt' }, { origin: 'https://evil.example' })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('secure headers', () => {
  it('sends the hardening headers on API responses', async () => {
    const res = await h.post('/api/search/query', { query: 'belt' })
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(res.headers.get('strict-transport-security')).toContain('max-age=')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
  })
})

describe('the request deadline', () => {
  it('answers 504 request_timeout in the error shape when a request outlives REQUEST_TIMEOUT_MS', async () => {
    // The chat timeout (15 s) is far beyond the request deadline (700 ms): the deadline decides.
    stack.openai.faults.set({ match: '/chat/completions', latencyMs: 3000, times: 1 })
    const started = Date.now()
    const res = await h.post('/api/search/query', { query: freshQuery() })
    stack.openai.faults.clear()
    expect(res.status).toBe(504)
    expect(Date.now() - started).toBeLessThan(2500)
    const body = (await res.json()) as { error: { code: string }; trace_id: string }
    expect(body.error.code).toBe('request_timeout')
    expect(body.trace_id).toBe(res.headers.get('x-trace-id'))
  })
})
