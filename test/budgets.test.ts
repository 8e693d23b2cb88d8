import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, named, one, traceOf, traceWith } from './search-support.ts'

/**
 * Issue 29 from outside: one caller model (an IPv6 /64 is one host), costs (a miss costs more than
 * a cached answer), the budget headers, deep health that cannot be turned into load, and fail-open
 * when Upstash is down. Windows are a day long so that no test straddles a window boundary.
 */
interface ErrorBody {
  error: { code: string; message: string; budget?: string }
  trace_id: string | null
}

let stack: LocalStack
let h: Harness
beforeAll(async () => {
  stack = await startLocalStack({ redisUrl: process.env.REDIS_URL })
  h = await startHarness({
    stack,
    vars: {
      RATE_LIMIT_REQUESTS: '10',
      RATE_LIMIT_WINDOW_SECONDS: '86400',
      HEALTH_RATE_LIMIT_REQUESTS: '3',
      // Single-flight alone, not the result cache, must hold a burst to one probe round.
      HEALTH_CACHE_MS: '0',
      OTEL_TRACES_SAMPLER_ARG: '1',
    },
  })
}, 120_000)
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})
afterEach(() => stack.clearFaults())

let subnet = 0
/** A fresh /64 per test, so tests never share an anonymous budget. */
function freshSubnet(): string {
  subnet += 1
  return `2001:db8:${(Date.now() % 0xffff).toString(16)}:${subnet.toString(16)}`
}
const search = (query: string, headers: Record<string, string>, extra: Record<string, unknown> = {}) =>
  h.post('/api/search/query', { query, ...extra }, headers)
const remaining = (res: Response) => Number(res.headers.get('x-ratelimit-remaining'))

describe('one caller model', () => {
  it('counts three addresses of one IPv6 /64 against one budget, and the next /64 apart', async () => {
    // The answer cached first (its background write landed), so that each search below is a hit.
    await traceWith(h, await search('belt', { 'cf-connecting-ip': '192.0.2.250' }), 'search.log_query')
    const net = freshSubnet()
    const statuses: number[] = []
    for (let i = 1; i <= 11; i++) {
      const res = await search(
        'belt',
        { 'cf-connecting-ip': `${net}::${(i % 3) + 1}` },
        { bypass_cache: false },
      )
      statuses.push(res.status)
    }
    // 10 units, a cached answer 1 each: the 11th search of the /64 is refused, whichever address.
    expect(statuses).toEqual([...Array(10).fill(200), 429])
    const refused = await search('belt', { 'cf-connecting-ip': `${net}::ffff:1234` })
    expect(refused.status).toBe(429)
    const body = (await refused.json()) as ErrorBody
    expect(body.error).toMatchObject({ code: 'rate_limited', budget: 'caller' })
    const neighbour = await search('belt', {
      'cf-connecting-ip': `${net.replace(/:[0-9a-f]+$/, ':ffff')}::1`,
    })
    expect(neighbour.status).toBe(200)
  })

  it('ignores X-Forwarded-For and X-End-User-Id without an API key: a caller cannot pick its bucket', async () => {
    const address = `${freshSubnet()}::1`
    let last: Response | undefined
    for (let i = 0; i < 11; i++) {
      last = await search('belt', {
        'cf-connecting-ip': address,
        'x-forwarded-for': `198.51.100.${i}`,
        'x-end-user-id': `visitor-${i}`,
      })
    }
    expect(last?.status).toBe(429)
  })
})

describe('costs', () => {
  it('charges a cached answer 1 unit, a miss 3 (the extra in the background) and bypass_cache 3 up front', async () => {
    const token = await h.token({ sub: `cost-${Date.now()}` })
    const auth = { authorization: `Bearer ${token}` }
    const query = freshQuery('what does a forced miss cost')
    const miss = await search(query, auth)
    expect(miss.status).toBe(200)
    expect(miss.headers.get('x-cache')).toBe('MISS')
    // Admitted at the base price: the miss's extra 2 units are charged after the response.
    expect(remaining(miss)).toBe(9)
    await traceWith(h, miss, 'redis.budget_charge')
    const hit = await search(query, auth)
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(remaining(hit)).toBe(6)
    const forced = await search(query, auth, { bypass_cache: true })
    expect(forced.headers.get('x-cache')).toBe('MISS')
    expect(remaining(forced)).toBe(3)
    const spans = await traceOf(h, forced)
    expect(one(spans, 'search.rate_limit').attributes).toMatchObject({
      'wwmaa.rate_limit.cost': 3,
      'wwmaa.rate_limit.key_type': 'user',
      'wwmaa.rate_limit.budget': 'caller',
    })
    // Paid up front: no charge after the response.
    expect(named(spans, 'redis.budget_charge')).toEqual([])
    // 3 units left: another forced miss fits exactly, the next is refused before any upstream call.
    expect((await search(query, auth, { bypass_cache: true })).status).toBe(200)
    const openaiBefore = stack.openai.faults.requests().length
    const refused = await search(query, auth, { bypass_cache: true, top_k: 20 })
    expect(refused.status).toBe(429)
    expect(stack.openai.faults.requests().length).toBe(openaiBefore)
  })

  it('charges a large top_k one unit more', async () => {
    const token = await h.token({ sub: `topk-${Date.now()}` })
    const auth = { authorization: `Bearer ${token}` }
    const query = freshQuery('large top k')
    // top_k is part of the cache key: warm both answers (misses) first, then compare two hits.
    for (const top_k of [10, 20])
      await traceWith(h, await search(query, auth, { top_k }), 'redis.budget_charge')
    const small = await search(query, auth, { top_k: 10 })
    const large = await search(query, auth, { top_k: 20 })
    expect([small.headers.get('x-cache'), large.headers.get('x-cache')]).toEqual(['HIT', 'HIT'])
    expect(remaining(small) - remaining(large)).toBe(2)
  })
})

describe('headers', () => {
  it('sends RateLimit-Policy, RateLimit and the X-RateLimit-* trio on searches and ratings', async () => {
    const token = await h.token({ sub: `headers-${Date.now()}` })
    const auth = { authorization: `Bearer ${token}` }
    const res = await search(freshQuery('headers'), auth)
    expect(res.headers.get('ratelimit-policy')).toBe('"search";q=10;w=86400')
    expect(res.headers.get('ratelimit')).toMatch(/^"search";r=9;t=\d+$/)
    expect(res.headers.get('x-ratelimit-limit')).toBe('10')
    const { trace_id } = (await res.json()) as { trace_id: string }
    const rating = await h.post('/api/search/feedback', { trace_id, rating: 'up' }, auth)
    expect(rating.status).toBe(200)
    expect(rating.headers.get('ratelimit-policy')).toBe('"feedback";q=10;w=86400')
    expect(rating.headers.get('ratelimit')).toMatch(/^"feedback";r=9;t=\d+$/)
  })

  it('answers a spent budget with 429, Retry-After, the budget in the body and RateLimit r=0', async () => {
    const address = `${freshSubnet()}::7`
    let res: Response | undefined
    for (let i = 0; i < 6 && res?.status !== 429; i++) {
      res = await search(freshQuery('spend'), { 'cf-connecting-ip': address }, { bypass_cache: true })
    }
    expect(res?.status).toBe(429)
    expect(Number(res?.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(res?.headers.get('ratelimit')).toMatch(/^"search";r=1;t=\d+$/)
    const body = (await res?.json()) as ErrorBody
    expect(body.error).toEqual({
      code: 'rate_limited',
      message: expect.stringMatching(/^Too many searches\. Retry in \d+ s\.$/),
      budget: 'caller',
    })
  })
})

describe('deep health', () => {
  const probeCalls = () =>
    stack.openai.faults.requests().filter((r) => r.path.endsWith('/models')).length +
    stack.zerodb.faults.requests().filter((r) => r.path.endsWith('/database/tables')).length

  it('makes at most one probe round for 20 concurrent anonymous calls', async () => {
    // Slow probes, so that every call arrives while the first round is in flight.
    stack.openai.faults.set({ match: '/models', latencyMs: 400 })
    const before = probeCalls()
    // 20 callers (one /64 each), so that no caller's own budget is what holds the burst back.
    const callers = Array.from({ length: 20 }, () => `${freshSubnet()}::1`)
    const answers = await Promise.all(
      callers.map((address) => h.fetch('/health?deep=1', { headers: { 'cf-connecting-ip': address } })),
    )
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200))
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{
      cached: boolean
      checked_at: string
    }>
    expect(bodies.filter((b) => !b.cached)).toHaveLength(1)
    expect(new Set(bodies.map((b) => b.checked_at)).size).toBe(1)
    expect(probeCalls() - before).toBe(2)
  })

  it('gives each caller a small budget of deep checks of its own, and plain /health none', async () => {
    const address = `${freshSubnet()}::1`
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      statuses.push((await h.fetch('/health?deep=1', { headers: { 'cf-connecting-ip': address } })).status)
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200])
    expect(statuses).toContain(429)
    const refused = await h.fetch('/health?deep=1', { headers: { 'cf-connecting-ip': address } })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('ratelimit-policy')).toBe('"health";q=3;w=60')
    expect(((await refused.json()) as ErrorBody).error.budget).toBe('caller')
    const plain = await h.fetch('/health', { headers: { 'cf-connecting-ip': address } })
    expect(plain.status).toBe(200)
  })
})

describe('Upstash down', () => {
  it('fails open: searches, ratings and deep health go on uncounted, and the spans say so', async () => {
    stack.upstash.faults.set({ status: 500 })
    const address = `${freshSubnet()}::1`
    const res = await search(freshQuery('upstash down'), { 'cf-connecting-ip': address })
    expect(res.status).toBe(200)
    expect(res.headers.get('ratelimit')).toBeNull()
    const spans = await traceOf(h, res)
    expect(one(spans, 'search.rate_limit').attributes).toMatchObject({
      'wwmaa.rate_limit.allowed': true,
      'wwmaa.rate_limit.fail_open': true,
    })
    const deep = await h.fetch('/health?deep=1', { headers: { 'cf-connecting-ip': address } })
    expect(deep.status).toBe(200)
    expect(((await deep.json()) as { status: string }).status).toBe('degraded')
  })
})
