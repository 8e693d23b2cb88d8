import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { embed } from '../embedding.ts'
import type { ZeroDbServer } from './zerodb.ts'
import { startZeroDb } from './zerodb.ts'

const API_KEY = 'test-zerodb-key'
const PROJECT = 'proj-test'

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
    vector_embedding: embed(text, 32),
    document: text,
    metadata,
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
  it('upserts, reporting created true then false on replace', async () => {
    const first = await upsert('doc-1#0', 'belt tying')
    expect(first).toEqual({ status: 200, body: { vector_id: 'doc-1#0', namespace: 'wwmaa', created: true } })
    const again = await upsert('doc-1#0', 'belt tying, revised')
    expect(again.body.created).toBe(false)
    expect(server.stats().vectors).toEqual({ wwmaa: 1 })
  })

  it('generates a vector_id when none is given', async () => {
    const res = await call('POST', '/database/vectors/upsert', {
      vector_embedding: [1, 0],
      document: 'd',
      metadata: {},
      namespace: 'n',
    })
    expect(res.status).toBe(200)
    expect(res.body.vector_id).toMatch(/[0-9a-f-]{36}/)
  })

  it('searches by cosine similarity, sorted descending, with threshold and metadata filter', async () => {
    await upsert('belt', 'how to tie your belt with a square knot', { source_type: 'technique' })
    await upsert('camp', 'summer camp in Denver registration', { source_type: 'event' })
    await upsert('history', 'history of the association founders', { source_type: 'article' })
    const query = { query_vector: embed('tie my belt', 32), namespace: 'wwmaa', limit: 3 }
    const all = await call('POST', '/database/vectors/search', query)
    expect(all.status).toBe(200)
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
    const strict = await call('POST', '/database/vectors/search', { ...query, threshold: 0.99 })
    expect(strict.body.vectors).toEqual([])
    const limited = await call('POST', '/database/vectors/search', { ...query, limit: 1 })
    expect(limited.body.vectors).toHaveLength(1)
  })

  it('returns 422 for malformed search and upsert bodies and dimension mismatches', async () => {
    await upsert('a', 'text')
    const bad = [
      { query_vector: 'nope', namespace: 'wwmaa', limit: 1 },
      { query_vector: embed('x', 32), namespace: 'wwmaa', limit: 0 },
      { query_vector: embed('x', 32), namespace: 'wwmaa', limit: 101 },
      { query_vector: embed('x', 32), namespace: 'wwmaa', limit: 5, threshold: 1.5 },
      { query_vector: embed('x', 32), namespace: 'wwmaa', limit: 5, metadata_filter: [] },
      { query_vector: embed('x', 16), namespace: 'wwmaa', limit: 5 },
    ]
    for (const body of bad) {
      const res = await call('POST', '/database/vectors/search', body)
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422)
      expect(typeof res.body.detail).toBe('string')
    }
    expect((await call('POST', '/database/vectors/search', '{not json')).status).toBe(422)
    expect(
      (await call('POST', '/database/vectors/upsert', { vector_embedding: [1], metadata: {} })).status,
    ).toBe(422)
    const mismatch = await call('POST', '/database/vectors/upsert', {
      vector_id: 'b',
      vector_embedding: [1, 2],
      document: 'd',
      namespace: 'wwmaa',
    })
    expect(mismatch.status).toBe(422)
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
    expect(got.body.vector_embedding).toHaveLength(32)
    expect((await call('GET', '/database/vectors/doc%230?namespace=other')).status).toBe(404)
    const deleted = await call('DELETE', '/database/vectors/doc%230?namespace=wwmaa')
    expect(deleted.body).toEqual({ vector_id: 'doc#0', deleted: true })
    const gone = await call('GET', '/database/vectors/doc%230?namespace=wwmaa')
    expect(gone.status).toBe(404)
    expect(typeof gone.body.detail).toBe('string')
    expect((await call('DELETE', '/database/vectors/doc%230?namespace=wwmaa')).status).toBe(404)
  })
})

describe('tables', () => {
  it('inserts (201), gets, replaces and deletes rows', async () => {
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

    expect((await call('DELETE', `/database/tables/documents/rows/${id}`)).body).toEqual({
      row_id: id,
      deleted: true,
    })
    expect((await call('GET', `/database/tables/documents/rows/${id}`)).status).toBe(404)
    expect((await call('PUT', `/database/tables/documents/rows/${id}`, { row_data: {} })).status).toBe(404)
    expect((await call('DELETE', `/database/tables/documents/rows/${id}`)).status).toBe(404)
  })

  it('rejects rows whose row_data is not an object with 422', async () => {
    expect((await call('POST', '/database/tables/t/rows', { row_data: [1] })).status).toBe(422)
    expect((await call('POST', '/database/tables/t/rows', {})).status).toBe(422)
    expect((await call('POST', '/database/tables/t/rows', 'garbage')).status).toBe(422)
  })

  it('queries with exact and $in filters, sort, limit and offset, returning total', async () => {
    for (const [i, kind] of ['video', 'image', 'video', 'video', 'image'].entries()) {
      await call('POST', '/database/tables/media/rows', {
        row_data: { kind, order: i, source_id: `doc-${i % 2}` },
      })
    }
    const videos = await call('POST', '/database/tables/media/query', { filter: { kind: 'video' } })
    expect(videos.body.total).toBe(3)
    expect(videos.body.rows[0]).toEqual(
      expect.objectContaining({
        row_id: expect.any(String),
        row_data: expect.objectContaining({ kind: 'video' }),
        created_at: expect.any(String),
      }),
    )
    const sorted = await call('POST', '/database/tables/media/query', {
      filter: { source_id: { $in: ['doc-0', 'doc-1'] } },
      sort: { field: 'order', direction: 'desc' },
      limit: 2,
      offset: 1,
    })
    expect(sorted.body.total).toBe(5)
    expect(sorted.body.rows.map((r: { row_data: { order: number } }) => r.row_data.order)).toEqual([3, 2])
    const defaults = await call('POST', '/database/tables/media/query', {})
    expect(defaults.body.rows).toHaveLength(5)
    const empty = await call('POST', '/database/tables/nothing/query', {})
    expect(empty.body).toEqual({ rows: [], total: 0 })
    expect(server.stats().rows).toEqual({ media: 5 })
  })

  it('caps query limit at 100 and validates query fields with 422', async () => {
    const bad = [
      { limit: 101 },
      { limit: 0 },
      { offset: -1 },
      { sort: { field: 1 } },
      { sort: { field: 'a', direction: 'up' } },
      { filter: 'x' },
    ]
    for (const body of bad)
      expect((await call('POST', '/database/tables/media/query', body)).status).toBe(422)
  })
})
