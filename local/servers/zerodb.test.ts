import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { embed } from '../embedding.ts'
import type { ZeroDbServer } from './zerodb.ts'
import { startZeroDb } from './zerodb.ts'

const API_KEY = 'test-zerodb-key'
const PROJECT = 'proj-test'
/** One of the sizes ZeroDB stores; the smallest keeps the test bodies small. */
const DIMS = 384

let server: ZeroDbServer
let base: string

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

const upsert = (
  vector_id: string,
  text: string,
  metadata: Record<string, unknown> = {},
  namespace = 'wwmaa',
) =>
  call('POST', '/database/vectors/upsert', {
    vector_id,
    vector_embedding: embed(text, DIMS),
    document: text,
    vector_metadata: metadata,
    namespace,
  })

beforeAll(async () => {
  server = await startZeroDb({ apiKey: API_KEY, projectId: PROJECT })
  base = `${server.url}/v1/public/${PROJECT}`
})
afterAll(() => server.close())
beforeEach(() => server.reset())

describe('auth and routing', () => {
  it('rejects a missing or wrong X-API-Key with 401 {detail}', async () => {
    const missing = await call('GET', '/database/vectors/x?namespace=wwmaa', undefined, { 'x-api-key': '' })
    expect(missing.status).toBe(401)
    expect(typeof missing.body.detail).toBe('string')
    const wrong = await call('GET', '/database/vectors/x', undefined, { 'x-api-key': 'nope' })
    expect(wrong.status).toBe(401)
  })

  it('also accepts Authorization: Bearer <key> and the /v1/projects/{id} prefix', async () => {
    const res = await fetch(`${server.url}/v1/projects/${PROJECT}/database/tables`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ tables: [], total: 0 })
  })

  it('answers 404 for another project id', async () => {
    const res = await fetch(`${server.url}/v1/public/other-project/database/vectors/search`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ query_vector: [1], namespace: 'wwmaa', limit: 1 }),
    })
    expect(res.status).toBe(404)
    expect(((await res.json()) as { detail: string }).detail).toMatch(/other-project/)
  })
})

describe('vectors', () => {
  it('upserts, answering the stored vector (no `created` field), and stores `vector_metadata` only', async () => {
    const first = await upsert('doc-1#0', 'belt tying', { title: 'Belt' })
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({
      vector_id: 'doc-1#0',
      namespace: 'wwmaa',
      document: 'belt tying',
      vector_metadata: { title: 'Belt' },
      created_at: expect.any(String),
    })
    expect(first.body.vector_embedding).toHaveLength(DIMS)
    expect(first.body).not.toHaveProperty('created')
    // `metadata` is not a field of the /database route: like the live service, it is dropped.
    const old = await call('POST', '/database/vectors/upsert', {
      vector_id: 'doc-2#0',
      vector_embedding: embed('kata', DIMS),
      document: 'kata',
      metadata: { title: 'Kata' },
      namespace: 'wwmaa',
    })
    expect(old.body.vector_metadata).toEqual({})
    await upsert('doc-1#0', 'belt tying, revised')
    expect(server.stats().vectors).toEqual({ wwmaa: 2 })
  })

  it('generates a vector_id when none is given', async () => {
    const res = await call('POST', '/database/vectors/upsert', {
      vector_embedding: embed('d', DIMS),
      document: 'd',
      namespace: 'n',
    })
    expect(res.status).toBe(200)
    expect(res.body.vector_id).toMatch(/[0-9a-f-]{36}/)
  })

  it('upsert-batch takes an array, writes the good items and counts the bad ones', async () => {
    const item = (id: string, dims = DIMS) => ({
      vector_id: id,
      vector_embedding: embed(id, dims),
      document: id,
      vector_metadata: { id },
      namespace: 'wwmaa',
    })
    const ok = await call('POST', '/database/vectors/upsert-batch', [item('a#0'), item('a#1')])
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ success_count: 2, error_count: 0, errors: [] })
    expect(typeof ok.body.total_time_ms).toBe('number')
    const partial = await call('POST', '/database/vectors/upsert-batch', [item('b#0'), item('b#1', 768), 'x'])
    expect(partial.status).toBe(200)
    expect(partial.body).toMatchObject({ success_count: 1, error_count: 2 })
    expect(partial.body.errors[0]).toMatchObject({ index: 1, vector_id: 'b#1' })
    expect(partial.body.errors[0].error).toMatch(/dimension mismatch/i)
    expect(server.stats().vectors).toEqual({ wwmaa: 3 })
    expect((await call('POST', '/database/vectors/upsert-batch', { items: [] })).status).toBe(422)
  })

  it('searches by cosine similarity with a 0.7 default threshold, sorted, with metadata filter', async () => {
    await upsert('belt', 'how to tie your belt with a square knot', { source_type: 'technique' })
    await upsert('camp', 'summer camp in Denver registration', { source_type: 'event' })
    await upsert('history', 'history of the association founders', { source_type: 'article' })
    const query = { query_vector: embed('tie my belt', DIMS), namespace: 'wwmaa', limit: 3, threshold: 0 }
    const all = await call('POST', '/database/vectors/search', query)
    expect(all.status).toBe(200)
    expect(all.body.vectors).toHaveLength(3)
    expect(all.body.vectors[0]).toMatchObject({
      vector_id: 'belt',
      namespace: 'wwmaa',
      vector_metadata: { source_type: 'technique' },
    })
    expect(all.body.vectors[0].document).toMatch(/square knot/)
    const sims = all.body.vectors.map((v: { similarity: number }) => v.similarity)
    expect([...sims].sort((a, b) => b - a)).toEqual(sims)
    expect(all.body.total_count).toBe(all.body.vectors.length)
    expect(typeof all.body.search_time_ms).toBe('number')
    // Without a threshold, only hits at 0.7 or above come back.
    const { threshold: _t, ...bare } = query
    const defaulted = await call('POST', '/database/vectors/search', bare)
    expect(defaulted.body.vectors.every((v: { similarity: number }) => v.similarity >= 0.7)).toBe(true)
    expect(defaulted.body.vectors.length).toBeLessThan(all.body.vectors.length)

    const filtered = await call('POST', '/database/vectors/search', {
      ...query,
      metadata_filter: { source_type: 'event' },
    })
    expect(filtered.body.vectors.map((v: { vector_id: string }) => v.vector_id)).toEqual(['camp'])
    const inFilter = await call('POST', '/database/vectors/search', {
      ...query,
      metadata_filter: { source_type: { $in: ['event', 'article'] } },
    })
    expect(inFilter.body.vectors).toHaveLength(2)
    const limited = await call('POST', '/database/vectors/search', { ...query, limit: 1 })
    expect(limited.body.vectors).toHaveLength(1)
  })

  it('answers 422 for malformed bodies and unsupported sizes, 500 for a dimension mismatch', async () => {
    await upsert('a', 'text')
    const bad = [
      { query_vector: 'nope', namespace: 'wwmaa', limit: 1 },
      { query_vector: embed('x', DIMS), namespace: 'wwmaa', limit: 0 },
      { query_vector: embed('x', DIMS), namespace: 'wwmaa', limit: 101 },
      { query_vector: embed('x', DIMS), namespace: 'wwmaa', limit: 5, threshold: 1.5 },
      { query_vector: embed('x', DIMS), namespace: 'wwmaa', limit: 5, metadata_filter: [] },
    ]
    for (const body of bad) {
      const res = await call('POST', '/database/vectors/search', body)
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422)
      expect(typeof res.body.detail).toBe('string')
    }
    expect((await call('POST', '/database/vectors/search', '{not json')).status).toBe(422)
    expect((await call('POST', '/database/vectors/upsert', { vector_embedding: [1] })).status).toBe(422)
    const odd = await call('POST', '/database/vectors/upsert', {
      vector_embedding: embed('d', 32),
      document: 'd',
      namespace: 'other',
    })
    expect(odd.status).toBe(422)
    expect(odd.body.detail).toMatch(/384, 768, 1024, 1536/)
    const upsertMismatch = await call('POST', '/database/vectors/upsert', {
      vector_id: 'b',
      vector_embedding: embed('d', 768),
      document: 'd',
      namespace: 'wwmaa',
    })
    expect(upsertMismatch.status).toBe(500)
    expect(upsertMismatch.body.detail).toMatch(/dimension mismatch/i)
    const searchMismatch = await call('POST', '/database/vectors/search', {
      query_vector: embed('x', 1536),
      namespace: 'wwmaa',
      limit: 1,
    })
    expect(searchMismatch.status).toBe(500)
  })

  it('gets and deletes a vector by id and namespace, 404 when missing', async () => {
    await upsert('doc#0', 'kata basics', { title: 'Kata' })
    const got = await call('GET', '/database/vectors/doc%230?namespace=wwmaa')
    expect(got.status).toBe(200)
    expect(got.body).toMatchObject({
      vector_id: 'doc#0',
      namespace: 'wwmaa',
      document: 'kata basics',
      vector_metadata: { title: 'Kata' },
    })
    expect(got.body.vector_embedding).toHaveLength(DIMS)
    expect((await call('GET', '/database/vectors/doc%230?namespace=other')).status).toBe(404)
    const deleted = await call('DELETE', '/database/vectors/doc%230?namespace=wwmaa')
    expect(deleted).toEqual({ status: 200, body: { success: true, deleted_id: 'doc#0' } })
    const gone = await call('GET', '/database/vectors/doc%230?namespace=wwmaa')
    expect(gone.status).toBe(404)
    expect(typeof gone.body.detail).toBe('string')
    expect((await call('DELETE', '/database/vectors/doc%230?namespace=wwmaa')).status).toBe(404)
  })
})

const createTable = (name: string, schema: Record<string, string> = { title: 'string' }) =>
  call('POST', '/database/tables', { table_name: name, schema })

describe('tables', () => {
  it('creates a table (201), refuses it twice (409) and lists it', async () => {
    const created = await createTable('documents', { title: 'string', n: 'integer' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ table_name: 'documents', schema: { title: 'string', n: 'integer' } })
    expect((await createTable('documents')).status).toBe(409)
    expect((await call('POST', '/database/tables', { table_name: 'x' })).status).toBe(422)
    expect((await call('POST', '/database/tables', { table_name: 'bad name', schema: {} })).status).toBe(422)
    const list = await call('GET', '/database/tables')
    expect(list.body).toMatchObject({ tables: [{ table_name: 'documents', row_count: 0 }], total: 1 })
  })

  it('answers 404 "Table not found" for every row route of a table never created', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/database/tables/ghost/rows', { row_data: {} }],
      ['GET', '/database/tables/ghost/rows/r1'],
      ['PUT', '/database/tables/ghost/rows/r1', { row_data: {} }],
      ['DELETE', '/database/tables/ghost/rows/r1'],
      ['POST', '/database/tables/ghost/query', {}],
    ]
    for (const [method, path, body] of routes) {
      const res = await call(method, path, body)
      expect(res.status, `${method} ${path}`).toBe(404)
      expect(res.body.detail).toMatch(/table not found/i)
    }
  })

  it('inserts (201), gets, replaces and deletes rows (204, empty body)', async () => {
    await createTable('documents')
    const created = await call('POST', '/database/tables/documents/rows', { row_data: { title: 'A', n: 1 } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ table_name: 'documents', row_data: { title: 'A', n: 1 } })
    expect(new Date(created.body.created_at).toISOString()).toBe(created.body.created_at)
    const id = created.body.row_id as string

    const got = await call('GET', `/database/tables/documents/rows/${id}`)
    expect(got.body).toMatchObject({ row_id: id, table_name: 'documents', row_data: { title: 'A', n: 1 } })
    expect(got.body.updated_at).toBeDefined()

    const put = await call('PUT', `/database/tables/documents/rows/${id}`, { row_data: { title: 'B' } })
    expect(put.status).toBe(200)
    expect(put.body.row_data).toEqual({ title: 'B' })
    expect(put.body.created_at).toBe(created.body.created_at)

    expect(await call('DELETE', `/database/tables/documents/rows/${id}`)).toEqual({
      status: 204,
      body: undefined,
    })
    expect((await call('GET', `/database/tables/documents/rows/${id}`)).status).toBe(404)
    expect((await call('PUT', `/database/tables/documents/rows/${id}`, { row_data: {} })).status).toBe(404)
    expect((await call('DELETE', `/database/tables/documents/rows/${id}`)).status).toBe(404)
  })

  it('rejects rows whose row_data is not an object with 422', async () => {
    await createTable('t')
    expect((await call('POST', '/database/tables/t/rows', { row_data: [1] })).status).toBe(422)
    expect((await call('POST', '/database/tables/t/rows', {})).status).toBe(422)
    expect((await call('POST', '/database/tables/t/rows', 'garbage')).status).toBe(422)
  })

  it('queries with exact and $in filters, {field: -1} sort, limit and skip, answering a `data` page', async () => {
    await createTable('media')
    for (const [i, kind] of ['video', 'image', 'video', 'video', 'image'].entries()) {
      await call('POST', '/database/tables/media/rows', {
        row_data: { kind, order: i, source_id: `doc-${i % 2}` },
      })
    }
    const videos = await call('POST', '/database/tables/media/query', { filter: { kind: 'video' } })
    expect(videos.body).toMatchObject({ total: 3, skip: 0, has_more: false })
    expect(videos.body.data[0]).toEqual(
      expect.objectContaining({
        row_id: expect.any(String),
        table_name: 'media',
        row_data: expect.objectContaining({ kind: 'video' }),
        created_at: expect.any(String),
        updated_at: expect.any(String),
      }),
    )
    const sorted = await call('POST', '/database/tables/media/query', {
      filter: { source_id: { $in: ['doc-0', 'doc-1'] } },
      sort: { order: -1 },
      limit: 2,
      skip: 1,
    })
    expect(sorted.body).toMatchObject({ total: 5, skip: 1, limit: 2, has_more: true })
    expect(sorted.body.data.map((r: { row_data: { order: number } }) => r.row_data.order)).toEqual([3, 2])
    const defaults = await call('POST', '/database/tables/media/query', {})
    expect(defaults.body.data).toHaveLength(5)
    await createTable('nothing')
    const empty = await call('POST', '/database/tables/nothing/query', {})
    expect(empty.body).toEqual({ data: [], total: 0, skip: 0, limit: 100, has_more: false })
    expect(server.stats().rows).toEqual({ media: 5 })
  })

  it('caps query limit at 1000 and validates query fields with 422', async () => {
    await createTable('media')
    const bad = [
      { limit: 1001 },
      { limit: 0 },
      { skip: -1 },
      { sort: { field: 'order', direction: 'desc' } },
      { sort: { order: 'desc' } },
      { sort: [] },
      { filter: 'x' },
    ]
    for (const body of bad)
      expect((await call('POST', '/database/tables/media/query', body)).status, JSON.stringify(body)).toBe(
        422,
      )
    expect((await call('POST', '/database/tables/media/query', { limit: 1000 })).status).toBe(200)
  })
})
