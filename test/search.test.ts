import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SEARCH_STEPS } from '../src/telemetry/catalogue.ts'
import { type Harness, startHarness } from './harness.ts'
import {
  childrenOf,
  freshQuery,
  named,
  one,
  rootOf,
  type SearchBody,
  traceOf,
  traceparentTraceId,
  traceWith,
} from './search-support.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.stop())

const stepNumber = (name: string) => SEARCH_STEPS.indexOf(name as (typeof SEARCH_STEPS)[number]) + 1

describe('POST /api/search/query, cache miss', () => {
  const query = freshQuery()
  let res: Response
  let body: SearchBody
  let spans: Awaited<ReturnType<typeof traceOf>>

  beforeAll(async () => {
    h.stack.zerodb.faults.clearRequests()
    h.stack.openai.faults.clearRequests()
    res = await h.post('/api/search/query', { query: `  ${query.toUpperCase()}  ` })
    body = (await res.json()) as SearchBody
    spans = await traceOf(h, res)
  })

  it('answers with grounded sources, media and the trace id', () => {
    expect(res.status).toBe(200)
    expect(body.cached).toBe(false)
    expect(body.trace_id).toBe(res.headers.get('x-trace-id'))
    expect(body.answer).toMatch(/\[1\]/)
    expect(body.sources[0]).toMatchObject({ id: 'how-to-tie-your-belt', source_type: 'technique' })
    expect(body.sources.length).toBeLessThanOrEqual(5)
    for (const s of body.sources) expect(s.score).toBeGreaterThanOrEqual(0.15)
    expect(new Set(body.sources.map((s) => s.id)).size).toBe(body.sources.length)
    expect(body.media.videos.length).toBeGreaterThan(0)
    expect(body.media.videos.length).toBeLessThanOrEqual(5)
    expect(body.media.images.length).toBeLessThanOrEqual(5)
    expect(Array.isArray(body.related_queries)).toBe(true)
    expect(body.latency_ms).toBeGreaterThanOrEqual(0)
    expect(res.headers.get('x-ratelimit-limit')).toBe('100000')
  })

  it('exports all 11 steps under the route-named root span, numbered, with the user', () => {
    const root = rootOf(spans)
    expect(root.name).toBe('POST /api/search/query')
    expect(root.kindName).toBe('SERVER')
    for (const name of SEARCH_STEPS) {
      const span = one(spans, name)
      expect(span.parentSpanId, name).toBe(root.spanId)
      expect(span.attributes.step, name).toBe(stepNumber(name))
      expect(span.attributes['user.id'], name).toBe('anonymous')
      expect(span.attributes['user.role'], name).toBe('anonymous')
    }
    expect(spans.filter((s) => s.status.code === 2)).toEqual([])
  })

  it('puts the documented attributes on each step', () => {
    expect(one(spans, 'search.normalize').attributes).toMatchObject({
      query_length: query.length + 4,
      normalized_query_length: query.length,
    })
    expect(one(spans, 'search.rate_limit').attributes).toMatchObject({
      'wwmaa.rate_limit.allowed': true,
      'wwmaa.rate_limit.key_type': 'ip',
    })
    expect(one(spans, 'search.cache_check').attributes).toMatchObject({ cache_hit: false })
    expect(one(spans, 'search.generate_embedding').attributes).toMatchObject({
      embedding_dimensions: 1536,
      model: 'text-embedding-3-small',
      // Development records query text (OTEL_RECORD_QUERY_TEXT defaults on outside production).
      query: query.toLowerCase(),
      'wwmaa.embedding.cache_hit': false,
    })
    expect(one(spans, 'search.vector_search').attributes).toMatchObject({
      top_k: 5,
      embedding_dimension: 1536,
    })
    expect(one(spans, 'search.vector_search').attributes.result_count).toBeGreaterThan(0)
    const answer = one(spans, 'search.generate_answer').attributes
    expect(answer).toMatchObject({
      model: 'gpt-4o-mini',
      context_count: body.sources.length,
      answer_length: body.answer.length,
    })
    expect(answer).toHaveProperty('tokens_used')
    expect(answer['wwmaa.answer.fallback']).toBe(false)
    const sources = one(spans, 'search.build_sources').attributes
    expect(sources['wwmaa.sources.count']).toBe(body.sources.length)
    expect(sources).toHaveProperty('wwmaa.sources.dropped_count')
    expect(one(spans, 'search.attach_media').attributes).toMatchObject({
      videos_count: body.media.videos.length,
      images_count: body.media.images.length,
    })
    expect(one(spans, 'search.log_query').attributes).toMatchObject({
      latency_ms: body.latency_ms,
      cached: false,
    })
    expect(one(spans, 'search.respond').attributes['wwmaa.response.bytes']).toBeGreaterThan(500)
  })

  it('nests each client span under its step, one span per call carrying the HTTP attributes', () => {
    expect(spans.filter((s) => s.name.startsWith('fetch')).map((s) => s.name)).toEqual([])
    const under = (client: string, stepName: string) => {
      const span = one(spans, client)
      expect(span.kindName, client).toBe('CLIENT')
      expect(span.parentSpanId, `${client} under ${stepName}`).toBe(one(spans, stepName).spanId)
      expect(childrenOf(spans, span), `children of ${client}`).toEqual([])
      expect(span.attributes, client).toMatchObject({
        'http.request.method': 'POST',
        'server.address': '127.0.0.1',
      })
      expect(span.attributes['http.response.status_code'], client).toBeOneOf([200, 201])
      expect(String(span.attributes['url.full']), client).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
      return span
    }
    under('embeddings text-embedding-3-small', 'search.generate_embedding')
    const lookup = under('redis.search_lookup', 'search.rate_limit')
    expect(lookup.attributes).toMatchObject({ 'db.system.name': 'redis', 'db.operation.batch.size': 3 })
    expect(String(lookup.attributes['url.full'])).toMatch(/\/pipeline$/)
    const search = under('zerodb.vector_search', 'search.vector_search')
    // The spec's names beside the current ones (OTEL_SEMCONV_STABILITY_OPT_IN database/dup, the default).
    expect(search.attributes).toMatchObject({
      'db.system.name': 'zerodb',
      'db.system': 'zerodb',
      'db.operation.name': 'vector_search',
      'db.operation': 'query',
      'db.collection.name': 'wwmaa',
      'db.collection': 'wwmaa',
      'query.limit': 10,
    })
    expect(search.attributes).not.toHaveProperty('http.request.resend_count')
    expect(search.attributes['query.result_count']).toBeGreaterThan(0)
    const chat = under('chat gpt-4o-mini', 'search.generate_answer')
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['stop'],
    })
    expect(under('zerodb.query_documents', 'search.attach_media').attributes['db.collection.name']).toBe(
      'media',
    )
    expect(under('redis.pipeline', 'search.cache_write').attributes['db.system.name']).toBe('redis')
    // Step 10's one ZeroDB write is a zerodb.create_document span of its own, as the spec lists it.
    expect(one(spans, 'search.log_query').kind).toBe(1)
    const log = under('zerodb.create_document', 'search.log_query')
    expect(log.attributes).toMatchObject({
      'db.system.name': 'zerodb',
      'db.operation.name': 'create_document',
      'db.operation': 'create',
      'db.collection.name': 'search_queries',
      'http.response.status_code': 201,
    })
    // `cache_hit` (the spec's, on search.cache_check) says it; no second spelling on the Redis span.
    for (const redis of named(spans, 'redis.get')) expect(redis.attributes).not.toHaveProperty('cache.hit')
  })

  it('sends traceparent of this trace to ZeroDB and OpenAI, with the CLIENT span as parent', () => {
    const traceId = res.headers.get('x-trace-id')
    const zerodb = h.stack.zerodb.faults.requests().filter((r) => r.path.endsWith('/vectors/search'))
    const openai = h.stack.openai.faults.requests().filter((r) => r.path.startsWith('/v1/'))
    expect(zerodb.length).toBeGreaterThan(0)
    expect(openai.length).toBeGreaterThanOrEqual(2)
    for (const r of [...zerodb, ...openai]) expect(traceparentTraceId(r.headers), r.path).toBe(traceId)
    const parentOf = (r: { headers: Record<string, string | string[] | undefined> }) =>
      String(r.headers.traceparent).split('-')[2]
    expect(zerodb.map(parentOf)).toEqual([one(spans, 'zerodb.vector_search').spanId])
    const embeddings = openai.filter((r) => r.path === '/v1/embeddings')
    const chat = openai.filter((r) => r.path === '/v1/chat/completions')
    expect(embeddings.map(parentOf)).toEqual([one(spans, 'embeddings text-embedding-3-small').spanId])
    expect(chat.map(parentOf)).toEqual([one(spans, 'chat gpt-4o-mini').spanId])
    // The SDK's own User-Agent, not the minified class name it would build it from.
    for (const r of openai) expect(String(r.headers['user-agent'])).toMatch(/^OpenAI\/JS \d+\.\d+\.\d+$/)
    const logRows = h.stack.zerodb.faults
      .requests()
      .filter((r) => r.path.endsWith('/search_queries/rows') && traceparentTraceId(r.headers) === traceId)
    expect(logRows.map(parentOf)).toEqual([one(spans, 'zerodb.create_document').spanId])
  })

  it('sends the documented search body and the user prompt format', () => {
    const search = h.stack.zerodb.faults.requests().find((r) => r.path.endsWith('/vectors/search'))
    // `threshold` always: ZeroDB drops hits below 0.7 when it is left out.
    expect(search?.body).toEqual({
      query_vector: expect.any(Array),
      namespace: 'wwmaa',
      limit: 10,
      threshold: 0.15,
    })
    expect((search?.body as { query_vector?: number[] } | undefined)?.query_vector).toHaveLength(1536)
    const media = h.stack.zerodb.faults.requests().find((r) => r.path.endsWith('/tables/media/query'))
    expect(media?.body).toEqual({ filter: { source_id: { $in: expect.any(Array) } }, limit: 100 })
    const chat = h.stack.openai.faults.requests().find((r) => r.path === '/v1/chat/completions')
    const messages =
      (chat?.body as { messages?: Array<{ role: string; content: string }> } | undefined)?.messages ?? []
    expect(messages[0]?.role).toBe('system')
    expect(messages[1]?.content).toMatch(/^Context:\n\[1\] How to Tie Your Belt \(Obi\)\n/)
    // The question last, as data between its tags (issue 28).
    expect(messages[1]?.content).toMatch(
      new RegExp(`\n\nQuestion:\n<user_question>\n${query.toLowerCase()}\n</user_question>$`),
    )
  })

  it('logs the query with a hashed IP, never the IP itself', () => {
    const log = h.stack.zerodb.faults.requests().find((r) => r.path.endsWith('/tables/search_queries/rows'))
    const row = (log?.body as { row_data?: Record<string, unknown> } | undefined)?.row_data ?? {}
    expect(row).toMatchObject({
      query: query.toLowerCase(),
      user_id: 'anonymous',
      cached: false,
      success: true,
    })
    expect(row.ip_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(typeof row.latency_ms).toBe('number')
    expect(typeof row.created_at).toBe('string')
  })
})

describe('usage numbers', () => {
  // Fails while src/telemetry/scrub.ts redacts every attribute whose key contains "token":
  // tokens_used and gen_ai.usage.*_tokens are counts, not secrets.
  it('token counts and time to first token are exported as numbers', async () => {
    const res = await h.post('/api/search/query', { query: freshQuery(), stream: true })
    await res.text()
    const spans = await traceOf(h, res)
    const answer = one(spans, 'search.generate_answer').attributes
    const chat = one(spans, 'chat gpt-4o-mini').attributes
    const embedding = one(spans, 'embeddings text-embedding-3-small').attributes
    expect(typeof answer.tokens_used).toBe('number')
    expect(typeof chat['gen_ai.usage.input_tokens']).toBe('number')
    expect(typeof chat['gen_ai.usage.output_tokens']).toBe('number')
    expect(typeof chat['gen_ai.response.time_to_first_chunk']).toBe('number')
    expect(typeof embedding['gen_ai.usage.input_tokens']).toBe('number')
  })
})

describe('cache hit', () => {
  it('answers from the cache: steps 4–8 absent, cache_hit=true, fresh latency and trace id', async () => {
    const query = freshQuery('how should I wash my gi')
    const first = await h.post('/api/search/query', { query })
    const firstBody = (await first.json()) as SearchBody
    await traceOf(h, first) // the cache write has happened once the trace is exported
    const res = await h.post('/api/search/query', { query: `${query.toUpperCase()}\t` })
    const body = (await res.json()) as SearchBody
    expect(res.status).toBe(200)
    expect(body.cached).toBe(true)
    expect(body.answer).toBe(firstBody.answer)
    expect(body.sources).toEqual(firstBody.sources)
    expect(body.trace_id).toBe(res.headers.get('x-trace-id'))
    expect(body.trace_id).not.toBe(firstBody.trace_id)
    const spans = await traceOf(h, res)
    expect(one(spans, 'search.cache_check').attributes.cache_hit).toBe(true)
    for (const absent of SEARCH_STEPS.slice(3, 8)) expect(named(spans, absent), absent).toEqual([])
    expect(named(spans, 'chat gpt-4o-mini')).toEqual([])
    expect(one(spans, 'search.respond').attributes.cached).toBe(true)
    expect(one(spans, 'search.log_query').attributes.cached).toBe(true)
  })

  it('a cache hit costs one Upstash request, counted at the Upstash server', async () => {
    const query = freshQuery('how should I fold my gi')
    await traceOf(h, await h.post('/api/search/query', { query }))
    // The trace is exported after the background writes (cache, query log): nothing is in flight.
    h.stack.upstash.resetRequestCount()
    const res = await h.post('/api/search/query', { query })
    expect(((await res.json()) as SearchBody).cached).toBe(true)
    const spans = await traceOf(h, res)
    expect(h.stack.upstash.requestCount()).toBe(1)
    expect(named(spans, 'redis.search_lookup')).toHaveLength(1)
    expect(spans.filter((s) => s.name.startsWith('redis.')).map((s) => s.name)).toEqual([
      'redis.search_lookup',
    ])
  })

  it('a miss asks Upstash once before OpenAI: the cached embedding rides the rate-limit round trip', async () => {
    const query = freshQuery('how should I store my bokken')
    const first = await h.post('/api/search/query', { query })
    const firstSpans = await traceOf(h, first)
    // The lookup; after the response, the miss's extra budget units and the cache write.
    expect(
      firstSpans
        .filter((s) => s.name.startsWith('redis.'))
        .map((s) => s.name)
        .sort(),
    ).toEqual(['redis.budget_charge', 'redis.pipeline', 'redis.search_lookup'])
    expect(one(firstSpans, 'search.generate_embedding').attributes['wwmaa.embedding.cache_hit']).toBe(false)
    // Same text, other options: no cached answer, but the embedding comes back with step 2.
    h.stack.upstash.resetRequestCount()
    const res = await h.post('/api/search/query', { query, top_k: 2 })
    expect(((await res.json()) as SearchBody).cached).toBe(false)
    const spans = await traceOf(h, res)
    expect(one(spans, 'search.generate_embedding').attributes['wwmaa.embedding.cache_hit']).toBe(true)
    expect(named(spans, 'embeddings text-embedding-3-small')).toEqual([])
    expect(named(spans, 'redis.get')).toEqual([])
    // The lookup, then in the background the miss's budget charge and the cache write: nothing else.
    await traceWith(h, res, 'redis.budget_charge', 'redis.pipeline')
    expect(h.stack.upstash.requestCount()).toBe(3)
  })

  it('bypass_cache skips the read but still answers fresh', async () => {
    const query = freshQuery('how should I wash my gi')
    await traceOf(h, await h.post('/api/search/query', { query }))
    const res = await h.post('/api/search/query', { query, bypass_cache: true })
    expect(((await res.json()) as SearchBody).cached).toBe(false)
    const spans = await traceOf(h, res)
    expect(one(spans, 'search.cache_check').attributes).toMatchObject({
      cache_hit: false,
      'wwmaa.cache.bypass': true,
    })
    expect(named(spans, 'search.generate_answer')).toHaveLength(1)
    expect(one(spans, 'search.generate_embedding').attributes['wwmaa.embedding.cache_hit']).toBe(true)
    expect(named(spans, 'redis.get')).toEqual([])
  })

  it('reuses the cached embedding for the same query with other options', async () => {
    const query = freshQuery('what should I eat before training')
    await traceOf(h, await h.post('/api/search/query', { query }))
    const res = await h.post('/api/search/query', { query, top_k: 3 })
    const spans = await traceOf(h, res)
    expect(one(spans, 'search.cache_check').attributes.cache_hit).toBe(false)
    expect(one(spans, 'search.generate_embedding').attributes['wwmaa.embedding.cache_hit']).toBe(true)
    expect(named(spans, 'embeddings text-embedding-3-small')).toEqual([])
  })
})

describe('authenticated user', () => {
  it('puts user.id and user.role on every search span and limits by user', async () => {
    const token = await h.token({ sub: 'member-42', role: 'instructor' })
    const res = await h.post(
      '/api/search/query',
      { query: freshQuery() },
      { authorization: `Bearer ${token}` },
    )
    expect(res.status).toBe(200)
    const spans = await traceOf(h, res)
    const searchSpans = spans.filter((s) => s.name.startsWith('search.'))
    expect(searchSpans).toHaveLength(11)
    for (const s of searchSpans) {
      expect(s.attributes['user.id'], s.name).toBe('member-42')
      expect(s.attributes['user.role'], s.name).toBe('instructor')
    }
    expect(one(spans, 'search.rate_limit').attributes['wwmaa.rate_limit.key_type']).toBe('user')
    const log = h.stack.zerodb.faults
      .requests()
      .filter((r) => r.path.endsWith('/tables/search_queries/rows'))
      .at(-1)
    expect((log?.body as { row_data?: { user_id?: string } } | undefined)?.row_data?.user_id).toBe(
      'member-42',
    )
  })
})

describe('filters, GET and empty results', () => {
  it('filters by source_type through the metadata filter', async () => {
    h.stack.zerodb.faults.clearRequests()
    const res = await h.post('/api/search/query', {
      query: freshQuery('when is the next seminar'),
      top_k: 20,
      filters: { source_type: 'event' },
    })
    const body = (await res.json()) as SearchBody
    expect(res.status).toBe(200)
    expect(body.sources.length).toBeGreaterThan(0)
    for (const s of body.sources) expect(s.source_type).toBe('event')
    const search = h.stack.zerodb.faults.requests().find((r) => r.path.endsWith('/vectors/search'))
    expect(search?.body).toMatchObject({ metadata_filter: { source_type: 'event' }, limit: 40 })
  })

  it('GET /api/search answers the same way', async () => {
    const res = await h.fetch(
      `/api/search?q=${encodeURIComponent(freshQuery('how much does membership cost'))}&top_k=3`,
    )
    const body = (await res.json()) as SearchBody
    expect(res.status).toBe(200)
    expect(body.sources.length).toBeLessThanOrEqual(3)
    const spans = await traceOf(h, res)
    expect(rootOf(spans).name).toBe('GET /api/search')
    expect(named(spans, 'search.respond')).toHaveLength(1)
  })

  it('nothing relevant: a clear answer without sources and without a model call', async () => {
    h.stack.openai.faults.clearRequests()
    const res = await h.post('/api/search/query', { query: 'qwxz vbnm plokij zzyzx' })
    const body = (await res.json()) as SearchBody
    expect(res.status).toBe(200)
    expect(body.sources).toEqual([])
    expect(body.answer).toMatch(/couldn't find anything relevant/)
    expect(h.stack.openai.faults.requests().filter((r) => r.path.endsWith('/chat/completions'))).toEqual([])
    const spans = await traceOf(h, res)
    expect(named(spans, 'search.generate_answer')).toEqual([])
    expect(one(spans, 'search.build_sources').attributes['wwmaa.sources.count']).toBe(0)
  })

  it('an unknown field is a 400 validation_error with the trace id', async () => {
    const res = await h.post('/api/search/query', { query: 'kata', page: 2 })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: string; message: string }; trace_id: string }
    expect(body.error).toMatchObject({ code: 'validation_error' })
    expect(body.error.message).toContain('page')
    expect(body.trace_id).toBe(res.headers.get('x-trace-id'))
  })
})
