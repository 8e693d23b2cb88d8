import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { one, rootOf, traceOf } from './search-support.ts'

/**
 * Issues 24 and 29 from outside: the original WWMAA site's server calls with its key and names
 * each visitor; every visitor gets its own budget inside the site's aggregate, through the one
 * budget mechanism. API-client budgets are per minute, so each test starts early in a minute
 * (a sliding window straddling a minute boundary would blur exact counts) and has a client of its own.
 */
interface ErrorBody {
  error: { code: string; message: string; budget?: string }
}

const key = (name: string) => `wwmaa_${name}-${'k'.repeat(40)}`
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const CLIENTS = [
  { id: 'site-visitors', requests_per_minute: 100, visitor_requests_per_minute: 2 },
  { id: 'site-aggregate', requests_per_minute: 5, visitor_requests_per_minute: 5 },
  { id: 'site-headers', requests_per_minute: 50, visitor_requests_per_minute: 3 },
].map((c) => ({ ...c, key_sha256: sha256(key(c.id)) }))

let stack: LocalStack
let h: Harness
beforeAll(async () => {
  stack = await startLocalStack({ redisUrl: process.env.REDIS_URL })
  h = await startHarness({
    stack,
    vars: { API_CLIENTS: JSON.stringify(CLIENTS), RATE_LIMIT_REQUESTS: '3', OTEL_TRACES_SAMPLER_ARG: '1' },
  })
  // Warm the answer: every request below is a cached answer (1 unit).
  await h.post('/api/search/query', { query: 'how do I tie my belt' }, { 'cf-connecting-ip': '192.0.2.200' })
}, 120_000)
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})

/** Waits for the next minute when fewer than 20 s of this one are left. */
async function earlyInMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000)
  if (left < 20_000) await new Promise((r) => setTimeout(r, left + 200))
}

/** The original site's route: its server's address, its key, and the visitor it calls for. */
const fromSite = (client: string, visitor: Record<string, string>) =>
  h.post(
    '/api/search/query',
    { query: 'how do I tie my belt' },
    { 'cf-connecting-ip': '203.0.113.10', 'x-api-key': key(client), ...visitor },
  )

describe('visitors behind one API key', () => {
  it('gives each of 30 visitors its own budget inside the site’s', async () => {
    await earlyInMinute()
    const visitors = Array.from({ length: 30 }, (_, i) => ({
      'x-forwarded-for': `198.51.100.${i + 1}, 203.0.113.10`,
    }))
    for (const round of [1, 2]) {
      const answers = await Promise.all(visitors.map((v) => fromSite('site-visitors', v)))
      expect(
        answers.map((r) => r.status),
        `round ${round}`,
      ).toEqual(Array(30).fill(200))
    }
    // Each visitor has used its 2; the next request of any one is refused, for that visitor only.
    const third = await fromSite('site-visitors', visitors[0] as Record<string, string>)
    expect(third.status).toBe(429)
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await third.json()) as ErrorBody).error).toMatchObject({
      code: 'rate_limited',
      budget: 'visitor',
    })
    expect((await fromSite('site-visitors', { 'x-forwarded-for': '198.51.100.77' })).status).toBe(200)
  })

  it('counts an IPv6 visitor per /64, and an X-End-User-Id visitor apart from addresses', async () => {
    await earlyInMinute()
    const statuses: number[] = []
    for (const address of ['2001:db8:aa:1::1', '2001:db8:aa:1::2', '2001:db8:aa:1::3']) {
      statuses.push((await fromSite('site-visitors', { 'x-forwarded-for': address })).status)
    }
    expect(statuses).toEqual([200, 200, 429])
    expect((await fromSite('site-visitors', { 'x-end-user-id': 'member-8812' })).status).toBe(200)
  })

  it('refuses the whole site once its aggregate is spent, whichever visitor asks', async () => {
    await earlyInMinute()
    const statuses: number[] = []
    for (let i = 1; i <= 6; i++) {
      statuses.push((await fromSite('site-aggregate', { 'x-end-user-id': `visitor-${i}` })).status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
    const refused = await fromSite('site-aggregate', { 'x-end-user-id': 'visitor-new' })
    expect(((await refused.json()) as ErrorBody).error).toMatchObject({ budget: 'client' })
    expect(refused.headers.get('ratelimit')).toMatch(/^"search-client";r=0;t=\d+$/)
    // Another client, and callers without a key, are untouched.
    expect((await fromSite('site-visitors', { 'x-end-user-id': 'visitor-new' })).status).toBe(200)
    expect(
      (
        await h.post(
          '/api/search/query',
          { query: 'how do I tie my belt' },
          { 'cf-connecting-ip': '192.0.2.99' },
        )
      ).status,
    ).toBe(200)
  })

  it('names both budgets in RateLimit-Policy and the visitor, hashed, on the trace', async () => {
    await earlyInMinute()
    const res = await fromSite('site-headers', { 'x-forwarded-for': '198.51.100.201' })
    expect(res.status).toBe(200)
    expect(res.headers.get('ratelimit-policy')).toBe('"search-visitor";q=3;w=60, "search-client";q=50;w=60')
    expect(res.headers.get('ratelimit')).toMatch(/^"search-visitor";r=2;t=\d+$/)
    const spans = await traceOf(h, res)
    expect(rootOf(spans).attributes).toMatchObject({
      'wwmaa.caller.kind': 'api_client',
      'wwmaa.api_client.visitor.kind': 'host',
      'wwmaa.api_client.visitor.hash': expect.stringMatching(/^[0-9a-f]{16}$/),
    })
    expect(one(spans, 'search.rate_limit').attributes['wwmaa.rate_limit.key_type']).toBe('api_client')
    expect(JSON.stringify(spans)).not.toContain('198.51.100.201')
  })

  it('refuses a keyed request that names its visitor badly (400), rather than sharing a bucket', async () => {
    const res = await fromSite('site-headers', { 'x-forwarded-for': 'not-an-address' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as ErrorBody).error.code).toBe('invalid_forwarded_for')
  })
})
