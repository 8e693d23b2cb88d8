import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, named, one, rootOf, type SearchBody, traceOf } from './search-support.ts'

let stack: LocalStack
let h: Harness
beforeAll(async () => {
  stack = await startLocalStack()
  h = await startHarness({ stack })
})
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})
afterEach(() => {
  stack.clearFaults()
})

interface ErrorBody {
  error: { code: string; message: string }
  trace_id: string
}

describe('model failure', () => {
  it('answers from the sources, marks the answer span as an error, stays 200 and is not cached', async () => {
    stack.openai.faults.set({ match: '/chat/completions', status: 500 })
    const query = freshQuery()
    const res = await h.post('/api/search/query', { query })
    const body = (await res.json()) as SearchBody
    expect(res.status).toBe(200)
    expect(body.answer).toMatch(/^Here are some relevant resources/)
    expect(body.answer).toContain(`[1] ${body.sources[0]?.title}`)
    expect(body.sources.length).toBeGreaterThan(0)
    const spans = await traceOf(h, res)
    const answer = one(spans, 'search.generate_answer')
    expect(answer.status.code).toBe(2)
    expect(answer.attributes).toMatchObject({
      'wwmaa.answer.fallback': true,
      'wwmaa.error.upstream': 'openai',
      'error.type': '500',
    })
    const chat = one(spans, 'chat gpt-4o-mini')
    expect(chat.status.code).toBe(2)
    expect(chat.attributes).toMatchObject({ 'server.service.name': 'openai', 'error.type': '500' })
    expect(rootOf(spans).status.code).not.toBe(2)

    stack.openai.faults.clear()
    const again = (await (await h.post('/api/search/query', { query })).json()) as SearchBody
    expect(again.cached).toBe(false)
  })
})

describe('ZeroDB failures', () => {
  it('vector search failing after retries is a 502 naming zerodb', async () => {
    stack.zerodb.faults.set({ match: '/vectors/search', status: 500 })
    const res = await h.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(502)
    const body = (await res.json()) as ErrorBody
    expect(body.error.code).toBe('upstream_error')
    expect(body.error.message).toContain('zerodb')
    expect(body.trace_id).toBe(res.headers.get('x-trace-id'))
    const spans = await traceOf(h, res)
    const client = one(spans, 'zerodb.vector_search')
    expect(client.status.code).toBe(2)
    expect(client.attributes).toMatchObject({
      'server.service.name': 'zerodb',
      'error.type': '500',
      'http.request.resend_count': 2,
      'http.response.status_code': 500,
      'db.response.status_code': '500',
    })
    expect(one(spans, 'search.vector_search').status.code).toBe(2)
    const root = rootOf(spans)
    expect(root.status.code).toBe(2)
    expect(root.attributes).toMatchObject({ 'wwmaa.error.upstream': 'zerodb', 'error.type': '500' })
    for (const absent of ['search.generate_answer', 'search.attach_media', 'search.respond']) {
      expect(named(spans, absent), absent).toEqual([])
    }
    // The failed search is still logged, as a failure.
    expect(one(spans, 'search.log_query').attributes['wwmaa.search.success']).toBe(false)
  })

  it('a 429 with Retry-After is retried and the search succeeds', async () => {
    stack.zerodb.faults.set({ match: '/vectors/search', status: 429, retryAfter: 0, times: 1 })
    const res = await h.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(200)
    const spans = await traceOf(h, res)
    const client = one(spans, 'zerodb.vector_search')
    expect(client.attributes['http.request.resend_count']).toBe(1)
    expect(client.status.code).not.toBe(2)
  })

  it('a media failure degrades to no media, not a failed search', async () => {
    stack.zerodb.faults.set({ match: '/tables/media/query', status: 500 })
    const res = await h.post('/api/search/query', { query: freshQuery() })
    const body = (await res.json()) as SearchBody
    expect(res.status).toBe(200)
    expect(body.media).toEqual({ videos: [], images: [] })
    expect(body.answer).toMatch(/\[1\]/)
    const spans = await traceOf(h, res)
    const media = one(spans, 'search.attach_media')
    expect(media.status.code).toBe(2)
    expect(media.attributes).toMatchObject({
      videos_count: 0,
      images_count: 0,
      'wwmaa.error.upstream': 'zerodb',
      'error.type': '500',
    })
  })

  it('an embedding failure is a 502 naming openai', async () => {
    stack.openai.faults.set({ match: '/embeddings', status: 500 })
    const res = await h.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(502)
    const spans = await traceOf(h, res)
    expect(one(spans, 'embeddings text-embedding-3-small').attributes).toMatchObject({
      'server.service.name': 'openai',
      'error.type': '500',
    })
  })
})

describe('Upstash down', () => {
  it('fails open: rate limit and cache are skipped, noted on their spans, the search answers', async () => {
    stack.upstash.faults.set({ status: 500 })
    const res = await h.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(200)
    expect(((await res.json()) as SearchBody).sources.length).toBeGreaterThan(0)
    const spans = await traceOf(h, res)
    const limit = one(spans, 'search.rate_limit')
    expect(limit.attributes['wwmaa.rate_limit.fail_open']).toBe(true)
    expect(limit.events.map((e) => e.name)).toContain('wwmaa.rate_limit.fail_open')
    expect(limit.status.code).not.toBe(2)
    const cache = one(spans, 'search.cache_check')
    expect(cache.attributes).toMatchObject({ cache_hit: false, 'wwmaa.cache.fail_open': true })
    expect(rootOf(spans).status.code).not.toBe(2)
  })
})

describe('timeouts', () => {
  let slow: Harness
  beforeAll(async () => {
    slow = await startHarness({ stack, vars: { ZERODB_TIMEOUT_MS: '200', OPENAI_CHAT_TIMEOUT_MS: '200' } })
  })
  afterAll(() => slow?.stop())

  it('a vector search that never answers is a 504', async () => {
    stack.zerodb.faults.set({ match: '/vectors/search', hang: true })
    const res = await slow.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(504)
    expect(((await res.json()) as ErrorBody).error.code).toBe('upstream_timeout')
    const spans = await traceOf(slow, res)
    expect(one(spans, 'zerodb.vector_search').attributes).toMatchObject({
      'server.service.name': 'zerodb',
      'error.type': 'timeout',
    })
    expect(one(spans, 'zerodb.vector_search').attributes).not.toHaveProperty('http.request.resend_count')
  })

  it('a model that never answers falls back within the chat timeout', async () => {
    stack.openai.faults.set({ match: '/chat/completions', hang: true })
    const started = Date.now()
    const res = await slow.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(200)
    expect(((await res.json()) as SearchBody).answer).toMatch(/^Here are some relevant resources/)
    expect(Date.now() - started).toBeLessThan(2000)
  })
})

describe('rate limit', () => {
  let limited: Harness
  beforeAll(async () => {
    limited = await startHarness({
      stack,
      vars: { RATE_LIMIT_REQUESTS: '2', RATE_LIMIT_WINDOW_SECONDS: '60' },
    })
  })
  afterAll(() => limited?.stop())

  it('answers 429 rate_limited with Retry-After once the window is used up', async () => {
    const token = await limited.token({ sub: `rl-${Date.now()}` })
    const headers = { authorization: `Bearer ${token}` }
    const ok = await limited.post('/api/search/query', { query: freshQuery() }, headers)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-ratelimit-limit')).toBe('2')
    expect(ok.headers.get('x-ratelimit-remaining')).toBe('1')
    expect(Number(ok.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1)
    await limited.post('/api/search/query', { query: freshQuery() }, headers)
    const res = await limited.post('/api/search/query', { query: freshQuery() }, headers)
    expect(res.status).toBe(429)
    expect(((await res.json()) as ErrorBody).error.code).toBe('rate_limited')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0')
    const spans = await traceOf(limited, res)
    const limit = one(spans, 'search.rate_limit')
    expect(limit.attributes).toMatchObject({
      'wwmaa.rate_limit.allowed': false,
      'wwmaa.rate_limit.key_type': 'user',
    })
    expect(named(spans, 'search.cache_check')).toEqual([])
  })

  it('limits ratings in a window of their own: 429 with Retry-After, searches not used up', async () => {
    const token = await limited.token({ sub: `rl-feedback-${Date.now()}` })
    const headers = { authorization: `Bearer ${token}` }
    // The searches come from other accounts (a miss costs 3 units, more than this window's 2): the
    // rater's own search budget stays untouched, and must still be so after its ratings.
    const searched = []
    for (const query of [freshQuery(), freshQuery()]) {
      const searcher = await limited.token({ sub: `rl-searcher-${Date.now()}-${searched.length}` })
      const res = await limited.post('/api/search/query', { query }, { authorization: `Bearer ${searcher}` })
      expect(res.status).toBe(200)
      searched.push(((await res.json()) as { trace_id: string }).trace_id)
    }
    const rate = (trace_id: string | undefined) =>
      limited.post('/api/search/feedback', { trace_id, rating: 'up' }, headers)
    const first = await rate(searched[0])
    expect(first.status).toBe(200)
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1')
    expect((await rate(searched[1])).status).toBe(200)
    const refused = await rate(searched[0])
    expect(refused.status).toBe(429)
    expect(((await refused.json()) as ErrorBody).error.code).toBe('rate_limited')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    const spans = await traceOf(limited, refused)
    expect(one(spans, 'feedback.rate_limit').attributes).toMatchObject({
      'wwmaa.rate_limit.allowed': false,
      'wwmaa.rate_limit.key_type': 'user',
    })
    expect(named(spans, 'redis.feedback_limit')).toHaveLength(1)
    // Refused before any ZeroDB call.
    expect(named(spans, 'feedback.find_search')).toEqual([])
    const search = await limited.post('/api/search/query', { query: freshQuery() }, headers)
    expect(search.status).toBe(200)
    expect(search.headers.get('x-ratelimit-remaining')).toBe('1')
  })
})
