import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { UpstreamError } from '../../errors.ts'
import { withDocumentId } from '../../telemetry/db-attributes.ts'
import { memoryTracer } from '../../telemetry/testing/memory-tracer.ts'
import { fakeFetch, json, type Scripted } from '../fake-fetch.test-support.ts'
import { ZeroDbClient } from './client.ts'
import { parseRetryAfter } from './transport.ts'

const BASE = 'http://zerodb.test'

function client(...script: Scripted[]) {
  const fake = fakeFetch(...script)
  const zerodb = new ZeroDbClient({
    url: BASE,
    apiKey: 'zk-secret',
    projectId: 'proj 1',
    timeoutMs: 50,
    maxRetries: 2,
    fetch: fake.fetch,
    retryBaseMs: 1,
    maxRetryDelayMs: 20,
  })
  return { zerodb, calls: fake.calls }
}

const hit = (id: string, similarity: number, metadata: Record<string, unknown> = {}) => ({
  vector_id: id,
  namespace: 'wwmaa',
  document: `passage ${id}`,
  vector_metadata: metadata,
  similarity,
})
const searchOk = () =>
  json(200, { vectors: [hit('v1', 0.9, { document_id: 'd1' })], total_count: 1, search_time_ms: 1 })
const row = (id: string, data: Record<string, unknown>) => ({
  row_id: id,
  table_name: 't',
  row_data: data,
  created_at: '2026-01-01T00:00:00Z',
})

async function failure(p: Promise<unknown>): Promise<UpstreamError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UpstreamError)
  return error as UpstreamError
}

describe('ZeroDbClient wire format', () => {
  it('searches with the project path, API key header and the documented body', async () => {
    const { zerodb, calls } = client(searchOk())
    const hits = await zerodb.searchVectors({
      vector: [0.1, 0.2],
      namespace: 'wwmaa',
      limit: 10,
      threshold: 0.15,
      metadataFilter: { source_type: 'article' },
    })
    expect(hits).toEqual([{ id: 'v1', document: 'passage v1', metadata: { document_id: 'd1' }, score: 0.9 }])
    expect(calls[0]?.url).toBe(`${BASE}/v1/public/proj%201/database/vectors/search`)
    expect(calls[0]?.method).toBe('POST')
    expect(calls[0]?.headers.get('x-api-key')).toBe('zk-secret')
    expect(calls[0]?.body).toEqual({
      query_vector: [0.1, 0.2],
      namespace: 'wwmaa',
      limit: 10,
      threshold: 0.15,
      metadata_filter: { source_type: 'article' },
    })
  })

  it('upserts with both metadata fields, reads a reply without `created`, gets and deletes vectors', async () => {
    const { zerodb, calls } = client(
      json(200, {
        vector_id: 'v1',
        namespace: 'wwmaa',
        vector_embedding: [1, 2],
        vector_metadata: { a: 1 },
        document: 'd',
        created_at: '2026-01-01T00:00:00Z',
      }),
      json(200, {
        vector_id: 'v1',
        namespace: 'wwmaa',
        document: 'd',
        vector_metadata: { a: 1 },
        vector_embedding: [1, 2],
      }),
      json(200, { success: true, deleted_id: 'v1' }),
    )
    const up = await zerodb.upsertVector({
      id: 'v1',
      vector: [1, 2],
      document: 'd',
      metadata: { a: 1 },
      namespace: 'wwmaa',
    })
    expect(up).toEqual({ id: 'v1', namespace: 'wwmaa' })
    expect(calls[0]?.body).toEqual({
      vector_id: 'v1',
      vector_embedding: [1, 2],
      document: 'd',
      namespace: 'wwmaa',
      vector_metadata: { a: 1 },
      metadata: { a: 1 },
    })
    expect(await zerodb.getVector('v1', 'wwmaa')).toEqual({
      id: 'v1',
      namespace: 'wwmaa',
      document: 'd',
      metadata: { a: 1 },
      vector: [1, 2],
    })
    expect(calls[1]?.url).toBe(`${BASE}/v1/public/proj%201/database/vectors/v1?namespace=wwmaa`)
    expect(await zerodb.deleteVector('v1', 'wwmaa')).toBe(true)
    expect(calls[2]?.method).toBe('DELETE')
  })

  it('reads metadata from `metadata` when a deployment answers the older field', async () => {
    const { zerodb } = client(
      json(200, { vectors: [{ vector_id: 'v1', document: 'p', metadata: { title: 'T' }, similarity: 0.8 }] }),
    )
    const hits = await zerodb.searchVectors({ vector: [1], namespace: 'n', limit: 1, threshold: 0 })
    expect(hits[0]?.metadata).toEqual({ title: 'T' })
  })

  it('sends all items in one upsert-batch call and reports a partial failure as non-retryable', async () => {
    const item = (id: string) => ({ id, vector: [1, 2], document: id, metadata: { id }, namespace: 'wwmaa' })
    const { zerodb, calls } = client(
      json(200, { success_count: 2, error_count: 0, errors: [], total_time_ms: 3 }),
      json(200, { success_count: 1, error_count: 1, errors: [{ index: 1, error: 'bad' }], total_time_ms: 3 }),
    )
    expect(await zerodb.upsertVectors([item('a#0'), item('a#1')])).toEqual({
      succeeded: 2,
      failed: 0,
      errors: [],
    })
    expect(calls[0]?.url).toBe(`${BASE}/v1/public/proj%201/database/vectors/upsert-batch`)
    expect(calls[0]?.body).toEqual([
      {
        vector_id: 'a#0',
        vector_embedding: [1, 2],
        document: 'a#0',
        namespace: 'wwmaa',
        vector_metadata: { id: 'a#0' },
        metadata: { id: 'a#0' },
      },
      {
        vector_id: 'a#1',
        vector_embedding: [1, 2],
        document: 'a#1',
        namespace: 'wwmaa',
        vector_metadata: { id: 'a#1' },
        metadata: { id: 'a#1' },
      },
    ])
    const error = await failure(zerodb.upsertVectors([item('b#0'), item('b#1')]))
    expect(error).toMatchObject({ failure: 'partial', httpStatus: 502, retryable: false })
    expect(error.message).toContain('1 of 2 upserts failed')
    expect(calls).toHaveLength(2)
  })

  it('creates, reads, replaces, deletes (204, empty body) and queries rows with skip and {field: -1} sort', async () => {
    const { zerodb, calls } = client(
      json(200, row('r1', { a: 1 })),
      json(200, { ...row('r1', { a: 1 }), updated_at: '2026-01-02T00:00:00Z' }),
      json(200, row('r1', { a: 2 })),
      new Response(null, { status: 204 }),
      json(200, { data: [row('r1', { a: 2 })], total: 7, skip: 5, limit: 5, has_more: false }),
    )
    expect(await zerodb.createRow('docs', { a: 1 })).toMatchObject({ id: 'r1', data: { a: 1 } })
    expect(calls[0]?.body).toEqual({ row_data: { a: 1 } })
    expect(await zerodb.getRow('docs', 'r1')).toMatchObject({ id: 'r1', updatedAt: '2026-01-02T00:00:00Z' })
    expect(await zerodb.updateRow('docs', 'r1', { a: 2 })).toMatchObject({ data: { a: 2 } })
    expect(calls[2]).toMatchObject({ method: 'PUT', body: { row_data: { a: 2 } } })
    expect(await zerodb.deleteRow('docs', 'r1')).toBe(true)
    const q = await zerodb.queryRows('media', {
      filter: { source_id: { $in: ['a'] } },
      limit: 5,
      offset: 5,
      sort: { field: 'x', direction: 'desc' },
    })
    expect(q).toEqual({ rows: [{ id: 'r1', data: { a: 2 }, createdAt: '2026-01-01T00:00:00Z' }], total: 7 })
    expect(calls[4]?.url).toBe(`${BASE}/v1/public/proj%201/database/tables/media/query`)
    expect(calls[4]?.body).toEqual({
      filter: { source_id: { $in: ['a'] } },
      sort: { x: -1 },
      limit: 5,
      skip: 5,
    })
  })

  it('still reads a `rows` query reply and a `{deleted}` delete reply', async () => {
    const { zerodb } = client(
      json(200, { rows: [row('r1', {})], total: 1 }),
      json(200, { row_id: 'r1', deleted: true }),
    )
    expect((await zerodb.queryRows('docs')).rows).toHaveLength(1)
    expect(await zerodb.deleteRow('docs', 'r1')).toBe(true)
  })

  it('lists tables in either reply shape and creates one, 409 meaning it exists', async () => {
    const { zerodb, calls } = client(
      json(200, { tables: [{ table_name: 'documents' }, 'media', { name: 'search_queries' }], total: 3 }),
      json(201, { table_name: 'media' }),
      json(409, { detail: 'exists' }),
    )
    expect(await zerodb.listTables()).toEqual(['documents', 'media', 'search_queries'])
    const spec = { name: 'media', schema: { source_id: 'string' as const } }
    expect(await zerodb.createTable(spec)).toBe('created')
    expect(calls[1]).toMatchObject({
      method: 'POST',
      body: { table_name: 'media', schema: { source_id: 'string' } },
    })
    expect(calls[1]?.url).toBe(`${BASE}/v1/public/proj%201/database/tables`)
    expect(await zerodb.createTable(spec)).toBe('exists')
  })
})

describe('ZeroDbClient failures', () => {
  it('401 is a status error, not retried', async () => {
    const { zerodb, calls } = client(json(401, { detail: 'Invalid API key' }))
    const error = await failure(
      zerodb.searchVectors({ vector: [1], namespace: 'n', limit: 1, threshold: 0.2 }),
    )
    expect(error).toMatchObject({ upstream: 'zerodb', failure: 'status', status: 401, httpStatus: 502 })
    expect(error.message).toContain('Invalid API key')
    expect(calls).toHaveLength(1)
  })

  it('404 on a get or delete is an answer (null / false), not an exception', async () => {
    const { zerodb, calls } = client(json(404, { detail: 'Row r9 not found' }))
    expect(await zerodb.getRow('docs', 'r9')).toBeNull()
    expect(await zerodb.getVector('v9', 'wwmaa')).toBeNull()
    expect(await zerodb.updateRow('docs', 'r9', {})).toBeNull()
    expect(await zerodb.deleteRow('docs', 'r9')).toBe(false)
    expect(await zerodb.deleteVector('v9', 'wwmaa')).toBe(false)
    expect(calls).toHaveLength(5)
  })

  it('a 500 dimension mismatch is rejected at once, not retried like a server fault', async () => {
    const { zerodb, calls } = client(
      json(500, { detail: 'Vector dimension mismatch: expected 1536, got 768' }),
    )
    const error = await failure(
      zerodb.searchVectors({ vector: [1], namespace: 'n', limit: 1, threshold: 0.2 }),
    )
    expect(error).toMatchObject({ failure: 'rejected', status: 500, httpStatus: 502, retryable: false })
    expect(calls).toHaveLength(1)
  })

  it('422 is a status error, not retried', async () => {
    const { zerodb, calls } = client(json(422, { detail: 'Dimension mismatch' }))
    const error = await failure(
      zerodb.searchVectors({ vector: [1], namespace: 'n', limit: 1, threshold: 0.2 }),
    )
    expect(error).toMatchObject({ failure: 'status', status: 422 })
    expect(calls).toHaveLength(1)
  })

  it('429 with Retry-After is retried for reads', async () => {
    const { zerodb, calls } = client(json(429, { detail: 'slow down' }, { 'retry-after': '0' }), searchOk())
    const hits = await zerodb.searchVectors({ vector: [1], namespace: 'n', limit: 1, threshold: 0.2 })
    expect(hits).toHaveLength(1)
    expect(calls).toHaveLength(2)
  })

  it('honours Retry-After (capped) before the retry', async () => {
    const fake = fakeFetch(json(429, { detail: 'slow down' }, { 'retry-after': '0.08' }), searchOk())
    const zerodb = new ZeroDbClient({
      url: BASE,
      apiKey: 'k',
      projectId: 'p',
      timeoutMs: 500,
      maxRetries: 1,
      fetch: fake.fetch,
      retryBaseMs: 1,
      maxRetryDelayMs: 5000,
    })
    const started = Date.now()
    await zerodb.searchVectors({ vector: [1], namespace: 'n', limit: 1, threshold: 0.2 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(70)
    expect(fake.calls).toHaveLength(2)
  })

  it('429 is not retried for writes', async () => {
    const { zerodb, calls } = client(
      json(429, { detail: 'slow down' }, { 'retry-after': '0' }),
      json(201, row('r1', {})),
    )
    const error = await failure(zerodb.createRow('docs', {}))
    expect(error).toMatchObject({ failure: 'status', status: 429, retryable: true })
    expect(calls).toHaveLength(1)
  })

  it('500 is retried up to maxRetries, then a status error', async () => {
    const { zerodb, calls } = client(json(500, { detail: 'boom' }))
    const error = await failure(zerodb.queryRows('media', {}))
    expect(error).toMatchObject({ failure: 'status', status: 500, httpStatus: 502 })
    expect(calls).toHaveLength(3)
  })

  it('a 503 then success recovers', async () => {
    const { zerodb, calls } = client(json(503, { detail: 'busy' }), json(200, row('r1', {})))
    expect(await zerodb.getRow('docs', 'r1')).toMatchObject({ id: 'r1' })
    expect(calls).toHaveLength(2)
  })

  it('a network failure is retried for reads and reported as network', async () => {
    const { zerodb, calls } = client(new TypeError('connection refused'))
    const error = await failure(zerodb.getRow('docs', 'r1'))
    expect(error).toMatchObject({ failure: 'network', httpStatus: 502 })
    expect(calls).toHaveLength(3)
  })

  it('no answer within the timeout is a timeout (504), not retried', async () => {
    const { zerodb, calls } = client('hang')
    const error = await failure(
      zerodb.searchVectors({ vector: [1], namespace: 'n', limit: 1, threshold: 0.2 }),
    )
    expect(error).toMatchObject({ failure: 'timeout', httpStatus: 504 })
    expect(calls).toHaveLength(1)
  })

  it('a 200 that is not JSON is malformed', async () => {
    const { zerodb } = client(new Response('{"truncated": [1, 2', { status: 200 }))
    const error = await failure(
      zerodb.searchVectors({ vector: [1], namespace: 'n', limit: 1, threshold: 0.2 }),
    )
    expect(error).toMatchObject({ failure: 'malformed', httpStatus: 502 })
  })

  it('JSON of the wrong shape is malformed', async () => {
    const { zerodb } = client(json(200, { results: [] }))
    const error = await failure(
      zerodb.searchVectors({ vector: [1], namespace: 'n', limit: 1, threshold: 0.2 }),
    )
    expect(error).toMatchObject({ failure: 'malformed' })
  })

  it('never echoes the API key in an error', async () => {
    const { zerodb } = client(json(500, { detail: 'boom' }))
    const error = await failure(zerodb.getRow('docs', 'r1'))
    expect(error.message).not.toContain('zk-secret')
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000)
    expect(parseRetryAfter(null)).toBeUndefined()
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z'))).toBe(10_000)
    expect(parseRetryAfter('soon')).toBeUndefined()
  })
})

describe('ZeroDbClient spans', () => {
  const memory = memoryTracer()
  const spanOf = (name: string) => memory.spans().filter((s) => s.name === name)

  it('one zerodb.{operation} CLIENT span per call, resends counted on it, the DB answer recorded', async () => {
    memory.reset()
    const { zerodb, calls } = client(json(503, { detail: 'busy' }), searchOk())
    await zerodb.searchVectors({ vector: [0.1], namespace: 'wwmaa', limit: 5, threshold: 0.2 })
    expect(calls).toHaveLength(2)
    const spans = spanOf('zerodb.vector_search')
    expect(spans).toHaveLength(1)
    expect(spans[0]?.kind).toBe(SpanKind.CLIENT)
    expect(spans[0]?.attributes).toMatchObject({
      'db.system.name': 'zerodb',
      'db.system': 'zerodb',
      'db.operation.name': 'vector_search',
      'db.operation': 'query',
      'db.namespace': 'proj 1',
      'db.collection.name': 'wwmaa',
      'db.collection': 'wwmaa',
      'query.limit': 5,
      'query.result_count': 1,
      'db.response.returned_rows': 1,
      'db.response.status_code': '200',
      'http.response.status_code': 200,
      'http.request.resend_count': 1,
      'server.address': 'zerodb.test',
      'server.port': 80,
    })
  })

  it('document.id is the corpus document in context; the record id has its own key', async () => {
    memory.reset()
    const { zerodb } = client(json(200, { deleted: true }))
    await context.with(withDocumentId('belt-guide'), () => zerodb.deleteVector('belt-guide#2', 'wwmaa'))
    const [span] = spanOf('zerodb.delete_vector')
    expect(span?.attributes).toMatchObject({
      'document.id': 'belt-guide',
      'wwmaa.zerodb.record_id': 'belt-guide#2',
      'db.operation': 'delete',
    })
    expect(span?.attributes).not.toHaveProperty('http.request.resend_count')
  })
})

describe('ZeroDbClient batch spans', () => {
  const memory = memoryTracer()

  it('one upsert_vectors span per upsert-batch request, a partial failure recorded once on its own', async () => {
    memory.reset()
    const item = (i: number) => ({
      id: `d#${i}`,
      vector: [1],
      document: 'p',
      metadata: {},
      namespace: 'wwmaa',
    })
    const { zerodb, calls } = client(
      json(200, { success_count: 100, error_count: 0, errors: [], total_time_ms: 3 }),
      json(200, { success_count: 1, error_count: 1, errors: [{ index: 1, error: 'bad' }], total_time_ms: 3 }),
    )
    const error = await failure(zerodb.upsertVectors(Array.from({ length: 102 }, (_, i) => item(i))))
    expect(error.message).toContain('1 of 102 upserts failed')
    expect(calls).toHaveLength(2)
    const spans = memory.spans().filter((s) => s.name === 'zerodb.upsert_vectors')
    expect(spans.map((s) => s.attributes['db.operation.batch.size'])).toEqual([100, 2])
    expect(spans.map((s) => s.status.code)).toEqual([SpanStatusCode.UNSET, SpanStatusCode.ERROR])
    expect(spans.flatMap((s) => s.events.filter((e) => e.name === 'exception'))).toHaveLength(1)
  })
})
