import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, named, one, rootOf, traceOf } from './search-support.ts'

/**
 * Issue 25 from outside: a repeated question answered from the location's Workers Cache API with
 * no upstream round trip, fresh ids per answer, budgets still enforced, freshness bounded by the
 * TTL and by a purge at the location that handled a write or a retirement. wrangler dev runs one
 * location, so "this location" is the Worker under test.
 */
interface SearchBody {
  answer: string
  cached: boolean
  trace_id: string
  query_id: string
}

let stack: LocalStack
let h: Harness
let admin: string
beforeAll(async () => {
  stack = await startLocalStack({ redisUrl: process.env.REDIS_URL })
  h = await startHarness({
    stack,
    vars: { EDGE_CACHE_TTL_SECONDS: '60', RATE_LIMIT_REQUESTS: '1000', OTEL_TRACES_SAMPLER_ARG: '1' },
  })
  admin = await h.token({ sub: 'edge-admin', role: 'admin' })
}, 120_000)
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})

const member = async (sub: string) => ({ authorization: `Bearer ${await h.token({ sub })}` })
const ask = (query: string, headers: Record<string, string>, extra: Record<string, unknown> = {}) =>
  h.post('/api/search/query', { query, ...extra }, headers)

/** Asks until the answer comes from the edge: a miss fills it, an Upstash hit draws the caller's units. */
async function untilEdge(query: string, headers: Record<string, string>): Promise<Response> {
  for (let i = 0; i < 10; i++) {
    const res = await ask(query, headers)
    if (res.headers.get('x-cache') === 'HIT-EDGE') return res
    await traceOf(h, res) // its background work (edge fill, unit draw) has finished
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`never answered from the edge: ${query}`)
}

describe('edge answers', () => {
  it('answers a repeat from the location with no upstream request, each with its own ids', async () => {
    const headers = await member(`edge-${Date.now()}`)
    const query = freshQuery('edge repeat')
    const first = await untilEdge(query, headers)
    // Its background work (the query-log row) done before counting.
    await traceOf(h, first)
    await new Promise((r) => setTimeout(r, 300))
    const before =
      stack.upstash.requestCount() +
      stack.zerodb.faults.requests().length +
      stack.openai.faults.requests().length
    const again = await ask(query, headers)
    expect(again.headers.get('x-cache')).toBe('HIT-EDGE')
    const [a, b] = [(await first.json()) as SearchBody, (await again.json()) as SearchBody]
    expect(b).toMatchObject({ answer: a.answer, cached: true })
    expect(b.trace_id).not.toBe(a.trace_id)
    expect(b.query_id).not.toBe(a.query_id)
    const spans = await traceOf(h, again)
    expect(one(spans, 'edge_cache.match').attributes['wwmaa.edge_cache.outcome']).toBe('hit')
    expect(one(spans, 'search.cache_check').attributes).toMatchObject({
      cache_hit: true,
      'wwmaa.cache.kind': 'edge',
    })
    expect(one(spans, 'search.rate_limit').attributes).toMatchObject({
      'wwmaa.rate_limit.source': 'allowance',
      'wwmaa.rate_limit.allowed': true,
    })
    expect(named(spans, 'redis.search_lookup')).toEqual([])
    expect(rootOf(spans).attributes['http.response.status_code']).toBe(200)
    expect(again.headers.get('ratelimit-policy')).toBe('"search";q=1000;w=60')
    // Nothing upstream on the response's path: only the background query-log row goes to ZeroDB.
    await new Promise((r) => setTimeout(r, 300))
    const after =
      stack.upstash.requestCount() +
      stack.zerodb.faults.requests().length +
      stack.openai.faults.requests().length
    expect(after - before).toBeLessThanOrEqual(1)
    expect(stack.upstash.requestCount()).toBeGreaterThan(0)
  })

  it('lets an edge-answered search be rated like any other', async () => {
    const headers = await member(`edge-rate-${Date.now()}`)
    const res = await untilEdge(freshQuery('edge rating'), headers)
    const { query_id } = (await res.json()) as SearchBody
    await new Promise((r) => setTimeout(r, 300))
    const rating = await h.post('/api/search/feedback', { query_id, rating: 'up' }, headers)
    expect(rating.status).toBe(200)
  })

  it('never serves a member’s edge answer to an anonymous caller', async () => {
    const headers = await member(`edge-aud-${Date.now()}`)
    const query = freshQuery('edge audience')
    await untilEdge(query, headers)
    const anonymous = await ask(query, { 'cf-connecting-ip': '192.0.2.55' })
    expect(anonymous.headers.get('x-cache')).toBe('MISS')
  })

  it('skips the edge with bypass_cache', async () => {
    const headers = await member(`edge-bypass-${Date.now()}`)
    const query = freshQuery('edge bypass')
    await untilEdge(query, headers)
    expect((await ask(query, headers, { bypass_cache: true })).headers.get('x-cache')).toBe('MISS')
  })

  it('stops serving a location’s copies at once when that location handles a document write', async () => {
    const headers = await member(`edge-write-${Date.now()}`)
    const query = freshQuery('edge write')
    await untilEdge(query, headers)
    const write = await h.post(
      '/api/documents',
      {
        id: `edge-write-${Date.now()}`,
        source_type: 'article',
        title: 'Edge write',
        body: 'A document written to retire every edge copy.',
      },
      { authorization: `Bearer ${admin}` },
    )
    expect(write.status, await write.clone().text()).toBeLessThan(300)
    const after = await ask(query, headers)
    expect(after.headers.get('x-cache')).toBe('MISS')
  })

  it('drops a location’s copy at once when an admin retires the answer there', async () => {
    const headers = await member(`edge-retire-${Date.now()}`)
    const query = freshQuery('edge retire')
    const res = await untilEdge(query, headers)
    const { query_id } = (await res.json()) as SearchBody
    await new Promise((r) => setTimeout(r, 300))
    const rating = await h.post('/api/search/feedback', { query_id, rating: 'down' }, headers)
    expect(rating.status).toBe(200)
    const { feedback_id } = (await rating.json()) as { feedback_id: string }
    const retired = await h.fetch(`/api/search/feedback/${feedback_id}/retire`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(retired.status).toBe(200)
    expect((await ask(query, headers)).headers.get('x-cache')).toBe('MISS')
  })

  it('enforces budgets on edge hits within the stated bound: never more than the budget', async () => {
    const limited = await startHarness({
      stack,
      seed: false,
      vars: { EDGE_CACHE_TTL_SECONDS: '60', RATE_LIMIT_REQUESTS: '6', RATE_LIMIT_WINDOW_SECONDS: '86400' },
    })
    try {
      const token = await limited.token({ sub: `edge-budget-${Date.now()}` })
      const headers = { authorization: `Bearer ${token}` }
      const query = 'how do I tie my belt'
      const statuses: string[] = []
      for (let i = 0; i < 12; i++) {
        const res = await limited.post('/api/search/query', { query }, headers)
        statuses.push(res.status === 200 ? (res.headers.get('x-cache') ?? '?') : String(res.status))
        await new Promise((r) => setTimeout(r, 150))
      }
      // 6 units: whatever mix of misses (3), Upstash hits (1), drawn blocks and edge hits (1 each,
      // charged when drawn), no more than 6 units' worth of answers, and refusals after.
      const served = statuses.filter((s) => s !== '429')
      const units = served.reduce((sum, s) => sum + (s === 'MISS' ? 3 : 1), 0)
      expect(units, statuses.join(' ')).toBeLessThanOrEqual(6)
      expect(statuses).toContain('HIT-EDGE')
      expect(statuses.at(-1)).toBe('429')
    } finally {
      await limited.stop()
    }
  })
})

describe('edge layer off', () => {
  it('answers repeats from Upstash only with EDGE_CACHE_TTL_SECONDS=0', async () => {
    const off = await startHarness({
      stack,
      seed: false,
      vars: { EDGE_CACHE_TTL_SECONDS: '0', OTEL_TRACES_SAMPLER_ARG: '1' },
    })
    try {
      const token = await off.token({ sub: `edge-off-${Date.now()}` })
      const headers = { authorization: `Bearer ${token}` }
      const query = freshQuery('edge off')
      const seen: Array<string | null> = []
      for (let i = 0; i < 4; i++) {
        const res = await off.post('/api/search/query', { query }, headers)
        seen.push(res.headers.get('x-cache'))
        await traceOf(off, res)
      }
      expect(seen).toEqual(['MISS', 'HIT', 'HIT', 'HIT'])
    } finally {
      await off.stop()
    }
  })
})

describe('edge TTL', () => {
  it('expires a location’s copy after EDGE_CACHE_TTL_SECONDS: the next repeat goes to Upstash', async () => {
    const short = await startHarness({
      stack,
      seed: false,
      vars: { EDGE_CACHE_TTL_SECONDS: '1', OTEL_TRACES_SAMPLER_ARG: '1' },
    })
    try {
      const token = await short.token({ sub: `edge-ttl-${Date.now()}` })
      const headers = { authorization: `Bearer ${token}` }
      const query = freshQuery('edge ttl')
      let res: Response | undefined
      for (let i = 0; i < 10 && res?.headers.get('x-cache') !== 'HIT-EDGE'; i++) {
        res = await short.post('/api/search/query', { query }, headers)
        await traceOf(short, res)
      }
      expect(res?.headers.get('x-cache')).toBe('HIT-EDGE')
      await new Promise((r) => setTimeout(r, 2100))
      const later = await short.post('/api/search/query', { query }, headers)
      expect(later.headers.get('x-cache')).toBe('HIT')
    } finally {
      await short.stop()
    }
  })
})
