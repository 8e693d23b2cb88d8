import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlatSpan } from '../local/servers/otlp-spans.ts'
import { type Harness, startHarness } from './harness.ts'
import { childrenOf, freshQuery, named, one, type SearchBody, traceOf, traceWith } from './search-support.ts'

// Every outbound call's CLIENT span as the OTLP receiver gets it from the instrumented Worker:
// the HTTP client attributes, the DB attributes (the tracing spec's names and the current
// conventions' under OTEL_SEMCONV_STABILITY_OPT_IN), Redis command names, and the health probes.

const CLIENT = 3
const INTERNAL = 1
const REDIS_COMMANDS = ['GET', 'SET', 'DEL', 'INCR', 'EVAL', 'EVALSHA', 'PING', 'PIPELINE', 'MULTI']

let h: Harness
let admin = ''
let member = ''
beforeAll(async () => {
  h = await startHarness()
  admin = await h.token({ sub: 'admin-client-spans', role: 'admin' })
  member = await h.token({ sub: 'member-client-spans', role: 'member' })
})
afterAll(() => h?.stop())

const nonce = () => `${process.pid}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
const clients = (spans: FlatSpan[]) => spans.filter((s) => s.kind === CLIENT)
const zerodbSpans = (spans: FlatSpan[]) => spans.filter((s) => s.name.startsWith('zerodb.'))
const redisSpans = (spans: FlatSpan[]) => spans.filter((s) => s.name.startsWith('redis.'))

/** What every HTTP client span must say about the call it made. */
function expectHttpClient(span: FlatSpan) {
  const a = span.attributes
  expect(span.kind, span.name).toBe(CLIENT)
  expect(typeof a['server.address'], `${span.name} server.address`).toBe('string')
  expect(a['server.address'], span.name).not.toContain(':')
  expect(typeof a['server.port'], `${span.name} server.port`).toBe('number')
  const url = new URL(String(a['url.full']))
  expect(url.search, span.name).toBe('')
  expect(Number(url.port || (url.protocol === 'https:' ? 443 : 80)), span.name).toBe(a['server.port'])
  expect(url.hostname, span.name).toBe(a['server.address'])
  expect(a['http.request.method'], span.name).toMatch(/^(GET|POST|PUT|DELETE)$/)
  expect(typeof a['http.response.status_code'], `${span.name} status`).toBe('number')
}

function expectZeroDb(span: FlatSpan, spec: boolean) {
  const a = span.attributes
  expect(a['db.system.name']).toBe('zerodb')
  expect(a['db.operation.name']).toBe(span.name.slice('zerodb.'.length))
  expect(a['db.namespace']).toBe(h.stack.env.ZERODB_PROJECT_ID)
  expect(a['db.response.status_code']).toBe(String(a['http.response.status_code']))
  if (spec) {
    expect(a['db.system'], span.name).toBe('zerodb')
    expect(a['db.operation'], span.name).toMatch(/^(create|read|query|update|delete|upsert|list)$/)
    if (span.name !== 'zerodb.list_tables') expect(a['db.collection']).toBe(a['db.collection.name'])
  } else {
    for (const key of ['db.system', 'db.operation', 'db.collection'])
      expect(a, span.name).not.toHaveProperty(key)
  }
  expect(a, span.name).not.toHaveProperty('retry.count')
  if (span.name === 'zerodb.vector_search' || span.name === 'zerodb.query_documents') {
    expect(typeof a['query.limit']).toBe('number')
    expect(a['query.result_count']).toBe(a['db.response.returned_rows'])
  }
}

function expectRedis(span: FlatSpan) {
  const a = span.attributes
  expect(a['db.system.name']).toBe('redis')
  expect(a['db.namespace']).toBe('0')
  expect(REDIS_COMMANDS, `${span.name}: ${a['db.operation.name']}`).toContain(a['db.operation.name'])
  if (a['db.operation.name'] === 'PIPELINE') expect(a['db.operation.batch.size']).toBeGreaterThanOrEqual(2)
  else expect(a, span.name).not.toHaveProperty('db.operation.batch.size')
}

function expectAllClientSpans(spans: FlatSpan[], spec = true) {
  expect(clients(spans).length).toBeGreaterThan(0)
  for (const span of clients(spans)) expectHttpClient(span)
  for (const span of zerodbSpans(spans)) expectZeroDb(span, spec)
  for (const span of redisSpans(spans)) expectRedis(span)
}

describe('search traces', () => {
  const query = freshQuery()
  let miss: FlatSpan[]
  let hit: FlatSpan[]
  let missBody: SearchBody

  beforeAll(async () => {
    const res = await h.post('/api/search/query', { query })
    expect(res.status).toBe(200)
    missBody = (await res.json()) as SearchBody
    miss = await traceWith(h, res, 'search.log_query', 'zerodb.create_document')
    const again = await h.post('/api/search/query', { query })
    expect(again.headers.get('x-cache')).toBe('HIT')
    await again.arrayBuffer()
    hit = await traceWith(h, again, 'search.log_query', 'zerodb.create_document')
  })

  it('a miss: every CLIENT span has server.address, server.port, url.full, the method and the real status', () => {
    expectAllClientSpans(miss)
    expect(missBody.cached).toBe(false)
  })

  it('a hit: the same', () => {
    expectAllClientSpans(hit)
  })

  it('the query-log write is its own zerodb.create_document CLIENT span under the INTERNAL step', () => {
    const step = one(miss, 'search.log_query')
    expect(step.kind).toBe(INTERNAL)
    expect(step.attributes).not.toHaveProperty('http.response.status_code')
    const [write, ...others] = childrenOf(miss, step)
    expect(others).toEqual([])
    expect(write?.name).toBe('zerodb.create_document')
    expect(write?.attributes).toMatchObject({
      'db.collection.name': 'search_queries',
      'db.operation': 'create',
    })
    expect(typeof write?.attributes['wwmaa.zerodb.record_id']).toBe('string')
  })

  it('Redis spans name the command sent, and a pipeline its size', () => {
    const lookup = one(miss, 'redis.search_lookup')
    expect(lookup.attributes['db.operation.name']).toBe('PIPELINE')
    expect(lookup.attributes['db.operation.batch.size']).toBeGreaterThanOrEqual(2)
    const names = redisSpans([...miss, ...hit]).map((s) => s.attributes['db.operation.name'])
    expect(names).not.toContain('SEARCH_LOOKUP')
  })

  it('a retried ZeroDB read counts its resend on its one CLIENT span', async () => {
    h.stack.zerodb.faults.set({ match: '/vectors/search', status: 503, times: 1 })
    const res = await h.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const spans = await traceWith(h, res, 'zerodb.vector_search')
    const search = one(spans, 'zerodb.vector_search')
    expect(search.attributes).toMatchObject({
      'http.request.resend_count': 1,
      'http.response.status_code': 200,
      'db.response.status_code': '200',
    })
  })
})

describe('document and feedback traces', () => {
  it('a document write: one meaning of document.id, the batch size of the passage upsert', async () => {
    const id = `spans-${nonce()}`
    const topic = `zq${nonce()}`
    const body = Array.from({ length: 40 }, (_, i) => `The ${topic} drill ${i} trains balance and timing.`)
    const res = await h.fetch('/api/documents', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id,
        source_type: 'article',
        title: 'Client spans',
        body: body.join(' '),
        media: [{ kind: 'image', url: 'https://media.wwmaa.org/i.jpg', alt: 'x' }],
      }),
    })
    expect(res.status).toBe(201)
    const { passage_count: n } = (await res.json()) as { passage_count: number }
    expect(n).toBeGreaterThan(1)
    const spans = await traceOf(h, res, 9)
    expectAllClientSpans(spans)
    const writes = zerodbSpans(spans).filter((s) => s.name !== 'zerodb.query_documents')
    expect(writes.length).toBeGreaterThan(2)
    // The corpus document on every ZeroDB call made for it; each record's own id beside it.
    for (const span of writes) expect(span.attributes['document.id'], span.name).toBe(id)
    const upsert = one(spans, 'zerodb.upsert_vectors')
    expect(upsert.attributes['db.operation.batch.size']).toBe(n)
    const media = named(spans, 'zerodb.create_document').find(
      (s) => s.attributes['db.collection.name'] !== 'documents',
    )
    expect(media?.attributes['wwmaa.zerodb.record_id']).not.toBe(id)
  })

  it('a feedback: every CLIENT span is a complete HTTP client span', async () => {
    const asked = await h.post(
      '/api/search/query',
      { query: freshQuery() },
      { authorization: `Bearer ${member}` },
    )
    expect(asked.status).toBe(200)
    const { trace_id } = (await asked.json()) as SearchBody
    const res = await h.post(
      '/api/search/feedback',
      { trace_id, rating: 'up' },
      { authorization: `Bearer ${member}` },
    )
    expect(res.status).toBe(200)
    const spans = await traceOf(h, res, 3)
    expect(zerodbSpans(spans).length).toBeGreaterThan(0)
    expectAllClientSpans(spans)
  })
})

describe('GET /health?deep=1', () => {
  const PROBES: Record<string, string> = {
    'health.check.zerodb': 'zerodb.list_tables',
    'health.check.openai': 'GET /models',
    'health.check.upstash': 'redis.ping',
  }

  it('an INTERNAL span per dependency with the real call as its one CLIENT child', async () => {
    const res = await h.fetch('/health?deep=1')
    expect(res.status).toBe(200)
    const spans = await traceOf(h, res, 7)
    for (const [check, call] of Object.entries(PROBES)) {
      const span = one(spans, check)
      expect(span.kind, check).toBe(INTERNAL)
      expect(span.attributes, check).not.toHaveProperty('http.response.status_code')
      const children = childrenOf(spans, span)
      expect(children.map((c) => c.name)).toEqual([call])
      expectHttpClient(children[0]!)
    }
    expect(one(spans, 'redis.ping').attributes).toMatchObject({
      'db.system.name': 'redis',
      'db.operation.name': 'PING',
      'http.response.status_code': 200,
    })
  })

  it('a failing Upstash probe: the Redis span has the status Upstash answered, recorded once', async () => {
    // Its own Worker: the deep health result is cached per configuration.
    const fresh = await startHarness({ stack: h.stack, seed: false, vars: { HEALTH_CACHE_MS: '0' } })
    try {
      h.stack.upstash.faults.set({ status: 500 })
      const res = await fresh.fetch('/health?deep=1')
      h.stack.upstash.faults.clear()
      expect(res.status).toBe(200)
      const spans = await traceOf(h, res, 7)
      const ping = one(spans, 'redis.ping')
      expect(ping.status.code).toBe(2)
      expect(ping.attributes['http.response.status_code']).toBe(500)
      expect(ping.events.filter((e) => e.name === 'exception')).toHaveLength(1)
      const check = one(spans, 'health.check.upstash')
      expect(check.status.code).toBe(2)
      expect(check.events.filter((e) => e.name === 'exception')).toHaveLength(0)
    } finally {
      h.stack.upstash.faults.clear()
      await fresh.stop()
    }
  })
})

describe('OTEL_SEMCONV_STABILITY_OPT_IN=http,database', () => {
  let current: Harness
  beforeAll(async () => {
    current = await startHarness({
      stack: h.stack,
      seed: false,
      vars: { OTEL_SEMCONV_STABILITY_OPT_IN: 'http,database' },
    })
  })
  afterAll(() => current?.stop())

  it('ZeroDB spans carry the current names only, and the spec names that have no equivalent', async () => {
    const res = await current.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const spans = await traceWith(h, res, 'zerodb.vector_search', 'zerodb.create_document')
    expectAllClientSpans(spans, false)
    expect(one(spans, 'zerodb.vector_search').attributes).toMatchObject({
      'db.collection.name': h.stack.env.ZERODB_NAMESPACE ?? 'wwmaa',
      'query.limit': expect.any(Number),
      'query.result_count': expect.any(Number),
    })
  })
})
