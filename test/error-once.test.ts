import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FlatSpan } from '../local/servers/otlp-receiver.ts'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, one } from './search-support.ts'

// One injected upstream failure is one `exception` event in the whole trace, on the CLIENT span of
// the call that failed; every span it passes on the way up (step, document operation, root) is
// status ERROR with `error.type` saying what failed, and no exception event of its own.

const SERVER = 2
const CLIENT = 3
const INTERNAL = 1
const DEAD = 'http://127.0.0.1:9' // the discard port: nothing listens, connections are refused

let stack: LocalStack
let h: Harness
beforeAll(async () => {
  stack = await startLocalStack()
  h = await startHarness({
    stack,
    vars: { ZERODB_TIMEOUT_MS: '400', OPENAI_EMBEDDING_TIMEOUT_MS: '400', OPENAI_CHAT_TIMEOUT_MS: '600' },
  })
})
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})
afterEach(() => stack.clearFaults())

const exceptionsIn = (spans: FlatSpan[]) =>
  spans.flatMap((s) => s.events.filter((e) => e.name === 'exception').map(() => s))

/** The trace once its request (SERVER) span and the named spans have arrived (one stack, one receiver). */
async function fullTrace(res: Response, ...names: string[]): Promise<FlatSpan[]> {
  const traceId = res.headers.get('x-trace-id') ?? ''
  const deadline = Date.now() + 15_000
  for (;;) {
    const spans = h.stack.otlp.traces().get(traceId) ?? []
    if (spans.some((s) => s.kind === SERVER) && names.every((n) => spans.some((s) => s.name === n))) {
      return spans
    }
    if (Date.now() > deadline) throw new Error(`trace ${traceId} lacks ${names.join(', ')}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

function expectPassedThrough(span: FlatSpan, type: string, upstream: string) {
  expect(span.status.code, `${span.name} status`).toBe(2)
  expect(span.attributes['error.type'], `${span.name} error.type`).toBe(type)
  expect(span.attributes['wwmaa.error.upstream'], `${span.name} upstream`).toBe(upstream)
  expect(
    span.events.filter((e) => e.name === 'exception'),
    `${span.name} exceptions`,
  ).toEqual([])
}

function expectRecordedOn(spans: FlatSpan[], name: string, type: string, upstream: string) {
  const recorded = exceptionsIn(spans)
  expect(
    recorded.map((s) => s.name),
    'spans with an exception event',
  ).toEqual([name])
  const client = recorded[0]!
  expect(client.kind).toBe(CLIENT)
  expect(client.status.code).toBe(2)
  expect(client.attributes).toMatchObject({ 'error.type': type, 'server.service.name': upstream })
  expect(client.attributes['error.message']).toEqual(expect.any(String))
  const exception = client.events.find((e) => e.name === 'exception')
  expect(String(exception?.attributes['exception.stacktrace'])).toContain('UpstreamError')
}

describe('a failed search is counted once', () => {
  it('a ZeroDB 500 on a miss: the exception on zerodb.vector_search, `500` on the step and the root', async () => {
    stack.zerodb.faults.set({ match: '/vectors/search', status: 500 })
    const res = await h.post('/api/search/query', { query: freshQuery(), bypass_cache: true })
    expect(res.status).toBe(502)
    const spans = await fullTrace(res, 'zerodb.vector_search', 'search.vector_search')
    expectRecordedOn(spans, 'zerodb.vector_search', '500', 'zerodb')
    expectPassedThrough(one(spans, 'search.vector_search'), '500', 'zerodb')
    const root = spans.find((s) => s.kind === SERVER)!
    expectPassedThrough(root, '500', 'zerodb')
    expect(root.status.message).toBe('zerodb call failed: 500')
  })

  it('an OpenAI timeout: `timeout` on the embeddings span, the step and the root, one exception', async () => {
    stack.openai.faults.set({ match: '/v1/embeddings', latencyMs: 1500 })
    const res = await h.post('/api/search/query', { query: freshQuery(), bypass_cache: true })
    expect(res.status).toBe(504)
    const spans = await fullTrace(res, 'embeddings text-embedding-3-small', 'search.generate_embedding')
    expectRecordedOn(spans, 'embeddings text-embedding-3-small', 'timeout', 'openai')
    expectPassedThrough(one(spans, 'search.generate_embedding'), 'timeout', 'openai')
    expectPassedThrough(spans.find((s) => s.kind === SERVER)!, 'timeout', 'openai')
  })

  it('a malformed model reply: `malformed_response`, recorded on the chat span only (the answer falls back)', async () => {
    stack.openai.faults.set({ match: '/v1/chat/completions', malformed: true })
    const res = await h.post('/api/search/query', { query: freshQuery(), bypass_cache: true })
    expect(res.status).toBe(200)
    const spans = await fullTrace(res, 'chat gpt-4o-mini', 'search.generate_answer')
    expectRecordedOn(spans, 'chat gpt-4o-mini', 'malformed_response', 'openai')
    expectPassedThrough(one(spans, 'search.generate_answer'), 'malformed_response', 'openai')
    // A fallback answer is a 200: the request itself did not fail.
    expect(spans.find((s) => s.kind === SERVER)?.status.code).not.toBe(2)
  })
})

describe('a failed document write is counted once', () => {
  let refused: Harness | undefined
  afterAll(() => refused?.stop())

  it('Upstash unreachable: `connection_error` on the Redis span, the 503 above it without a second exception', async () => {
    refused = await startHarness({ stack, vars: { UPSTASH_REDIS_REST_URL: DEAD } })
    const admin = await refused.token({ sub: 'admin-error-once', role: 'admin' })
    const res = await refused.fetch('/api/documents', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(newDoc(`error-once-${process.pid}-${Date.now().toString(36)}`)),
    })
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('coordination_unavailable')
    const spans = await fullTrace(res)
    const recorded = exceptionsIn(spans)
    expect(recorded).toHaveLength(1)
    const redis = recorded[0]!
    expect(redis.name).toMatch(/^redis\./)
    expect(redis.kind).toBe(CLIENT)
    expect(redis.attributes).toMatchObject({
      'error.type': 'connection_error',
      'server.service.name': 'upstash',
    })
    const root = spans.find((s) => s.kind === SERVER)!
    expectPassedThrough(root, 'coordination_unavailable', 'upstash')
    for (const span of spans.filter((s) => s.name.startsWith('documents.')))
      expectPassedThrough(span, 'coordination_unavailable', 'upstash')
  })
})

const newDoc = (id: string) => ({
  id,
  source_type: 'technique',
  title: `Form ${id}`,
  body: 'The first form is practised slowly and then at speed. '.repeat(8),
})

describe('no INTERNAL span carries an HTTP status', () => {
  it('a refused document read and a duplicate create: the API code on documents.*, the status on the root only', async () => {
    const admin = await h.token({ sub: 'admin-internal-status', role: 'admin' })
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }
    const missing = await h.fetch(`/api/documents/no-such-document-${Date.now().toString(36)}`, { headers })
    expect(missing.status).toBe(404)
    const id = `internal-status-${process.pid}-${Date.now().toString(36)}`
    const body = JSON.stringify(newDoc(id))
    expect((await h.fetch('/api/documents', { method: 'POST', headers, body })).status).toBe(201)
    const duplicate = await h.fetch('/api/documents', { method: 'POST', headers, body })
    expect(duplicate.status).toBe(409)

    for (const [res, name, code, status] of [
      [missing, 'documents.get', 'not_found', 404],
      [duplicate, 'documents.create', 'document_exists', 409],
    ] as const) {
      const spans = await fullTrace(res, name)
      const span = one(spans, name)
      expect(span.kind).toBe(INTERNAL)
      expect(span.attributes['wwmaa.api.error_code']).toBe(code)
      // An expected refusal is not a fault: no error status, nothing for the tail sampler.
      expect(span.status.code).not.toBe(2)
      for (const internal of spans.filter((s) => s.kind === INTERNAL))
        expect(internal.attributes, internal.name).not.toHaveProperty('http.response.status_code')
      expect(spans.find((s) => s.kind === SERVER)?.attributes['http.response.status_code']).toBe(status)
    }
  })
})
