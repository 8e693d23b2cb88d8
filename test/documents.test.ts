import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './harness.ts'
import { childrenOf, named, one, rootOf, type SearchBody, traceOf } from './search-support.ts'

// The documents API end to end: the instrumented Worker, the local ZeroDB/OpenAI/Upstash and the
// OTLP receiver. Every document here has a made-up topic word, so search results are unambiguous.

let h: Harness
let admin = ''
let member = ''
beforeAll(async () => {
  h = await startHarness()
  admin = await h.token({ sub: 'admin-e2e', role: 'admin' })
  member = await h.token({ sub: 'member-e2e', role: 'member' })
})
afterAll(() => h?.stop())

const nonce = () => `${process.pid}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`

function api(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const h2: Record<string, string> = { ...headers }
  if (token) h2.authorization = `Bearer ${token}`
  if (body !== undefined) h2['content-type'] = 'application/json'
  return h.fetch(path, { method, headers: h2, body: body === undefined ? undefined : JSON.stringify(body) })
}

const search = async (query: string) => {
  const res = await h.post('/api/search/query', { query })
  expect(res.status).toBe(200)
  return (await res.json()) as SearchBody
}

/** A body of `sentences` sentences about `topic`: long enough for several passages. */
const about = (topic: string, sentences: number) =>
  Array.from(
    { length: sentences },
    (_, i) =>
      `The ${topic} drill number ${i} trains balance, breathing and ${topic} timing for every student.`,
  ).join(' ')

const rowsOf = async (table: string, filter: Record<string, unknown>) => {
  const res = await fetch(
    `${h.stack.zerodb.url}/v1/public/${h.stack.env.ZERODB_PROJECT_ID}/database/tables/${table}/query`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': h.stack.env.ZERODB_API_KEY ?? '' },
      body: JSON.stringify({ filter, limit: 100 }),
    },
  )
  return ((await res.json()) as { data: Array<{ row_data: Record<string, unknown> }> }).data
}

const vectorStatus = async (vectorId: string) =>
  (
    await fetch(
      `${h.stack.zerodb.url}/v1/public/${h.stack.env.ZERODB_PROJECT_ID}/database/vectors/${encodeURIComponent(vectorId)}?namespace=wwmaa`,
      { headers: { 'x-api-key': h.stack.env.ZERODB_API_KEY ?? '' } },
    )
  ).status

describe('create → search → update → delete', () => {
  const topic = `quokka${nonce()}`
  const other = `wombat${nonce()}`
  const id = `doc-${nonce()}`
  const query = `${topic} drill timing`

  it('a new document is found by a search whose earlier answer was cached', async () => {
    const first = await h.post('/api/search/query', { query })
    expect(((await first.json()) as SearchBody).sources.map((s) => s.id)).not.toContain(id)
    await traceOf(h, first) // the answer is cached once the trace (with the cache write) is exported
    expect((await search(query)).cached).toBe(true)

    const res = await api('POST', '/api/documents', admin, {
      id,
      source_type: 'technique',
      title: `The ${topic} drill`,
      body: about(topic, 40),
      url: 'https://wwmaa.org/techniques/quokka',
      metadata: { level: 'advanced' },
      media: [{ kind: 'video', title: 'Drill', cloudflare_stream_id: 'abcdef0123456789abcdef0123456789' }],
    })
    expect(res.status).toBe(201)
    const created = (await res.json()) as { id: string; passage_count: number; media: unknown[] }
    expect(created).toMatchObject({ id, source_type: 'technique', metadata: { level: 'advanced' } })
    expect(created.passage_count).toBeGreaterThan(1)
    expect(created.media).toHaveLength(1)

    const after = await search(query)
    expect(after.cached).toBe(false)
    expect(after.sources[0]?.id).toBe(id)
    expect(after.media.videos.map((v) => v.cloudflare_stream_id)).toContain(
      'abcdef0123456789abcdef0123456789',
    )
  })

  it('GET returns it with body and media; the list pages through documents', async () => {
    const res = await api('GET', `/api/documents/${id}`, admin)
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { body: string; media: unknown[]; created_at: string }
    expect(doc.body).toBe(about(topic, 40))
    expect(doc.media).toEqual([
      { kind: 'video', title: 'Drill', cloudflare_stream_id: 'abcdef0123456789abcdef0123456789' },
    ])
    const list = await api('GET', '/api/documents?source_type=technique&limit=100', admin)
    const page = (await list.json()) as { documents: Array<{ id: string }>; total: number }
    expect(page.documents.map((d) => d.id)).toContain(id)
    expect(page.total).toBeGreaterThanOrEqual(page.documents.length)
    expect(page.documents[0]).not.toHaveProperty('body')
  })

  it('a second create of the same id is a 409 that points at PUT', async () => {
    const res = await api('POST', '/api/documents', admin, {
      id,
      source_type: 'article',
      title: 'x',
      body: 'y',
    })
    expect(res.status).toBe(409)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('document_exists')
  })

  it('an update replaces the passages (stale ones deleted) and changes the answer', async () => {
    const res = await api('PUT', `/api/documents/${id}`, admin, {
      source_type: 'technique',
      title: `The ${other} drill`,
      body: about(other, 3),
    })
    expect(res.status).toBe(200)
    const updated = (await res.json()) as { passage_count: number; media: unknown[]; title: string }
    expect(updated.passage_count).toBe(1)
    expect(updated.media).toEqual([])
    expect(await rowsOf('media', { source_id: id })).toEqual([])

    const stale = await search(query)
    expect(stale.cached).toBe(false)
    // The shared words ("drill", "timing") may still find it, but only as its new self.
    const mine = stale.sources.find((s) => s.id === id)
    if (mine) {
      expect(mine.title).toBe(`The ${other} drill`)
      expect(mine.snippet).not.toContain(topic)
    }
    expect(stale.sources[0]?.id === id && stale.sources[0]?.title.includes(topic)).toBe(false)
    expect(await vectorStatus(`${id}#0`)).toBe(200)
    expect(await vectorStatus(`${id}#1`)).toBe(404)
    const fresh = await search(`${other} drill timing`)
    expect(fresh.sources[0]?.id).toBe(id)
    expect(fresh.sources[0]?.title).toBe(`The ${other} drill`)
  })

  it('a delete removes it from search, and it is gone', async () => {
    const res = await api('DELETE', `/api/documents/${id}`, admin)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id, deleted: true })
    const gone = await search(`${other} drill timing`)
    expect(gone.cached).toBe(false)
    expect(gone.sources.map((s) => s.id)).not.toContain(id)
    expect((await api('GET', `/api/documents/${id}`, admin)).status).toBe(404)
    expect((await api('DELETE', `/api/documents/${id}`, admin)).status).toBe(404)
    expect(await rowsOf('documents', { document_id: id })).toEqual([])
  })
})

describe('roles on every route', () => {
  it('admin 2xx, member 403, anonymous 401', async () => {
    const id = `roles-${nonce()}`
    const doc = { source_type: 'article', title: 'Roles', body: 'Who may write documents.' }
    const calls: Array<[string, string, unknown?, number?]> = [
      ['POST', '/api/documents', { ...doc, id }, 201],
      ['POST', '/api/documents/batch', { documents: [{ ...doc, id: `${id}-b` }] }, 200],
      ['GET', '/api/documents', undefined, 200],
      ['GET', `/api/documents/${id}`, undefined, 200],
      ['PUT', `/api/documents/${id}`, doc, 200],
      ['DELETE', `/api/documents/${id}`, undefined, 200],
    ]
    for (const [method, path, body, ok] of calls) {
      expect((await api(method, path, undefined, body)).status, `${method} ${path} anonymous`).toBe(401)
      expect((await api(method, path, member, body)).status, `${method} ${path} member`).toBe(403)
      const res = await api(method, path, admin, body)
      expect(res.status, `${method} ${path} admin: ${await res.clone().text()}`).toBe(ok)
    }
    await api('DELETE', `/api/documents/${id}-b`, admin)
  })
})

describe('Idempotency-Key', () => {
  it('a retried POST returns the first answer and creates one document', async () => {
    const body = { source_type: 'article', title: `Retry ${nonce()}`, body: 'Retries must not duplicate.' }
    const key = `key-${nonce()}`
    const first = await api('POST', '/api/documents', admin, body, { 'idempotency-key': key })
    const second = await api('POST', '/api/documents', admin, body, { 'idempotency-key': key })
    expect(first.status).toBe(201)
    expect(second.status).toBe(201)
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    const a = (await first.json()) as { id: string }
    expect(await second.json()).toEqual(a)
    expect(await rowsOf('documents', { title: body.title })).toHaveLength(1)

    const reused = await api(
      'POST',
      '/api/documents',
      admin,
      { ...body, body: 'other' },
      { 'idempotency-key': key },
    )
    expect(reused.status).toBe(422)
    // Keys are per user: another admin's same key is a different request.
    const other = await h.token({ sub: 'admin-2', role: 'admin' })
    const third = await api('POST', '/api/documents', other, body, { 'idempotency-key': key })
    expect(third.status).toBe(201)
    expect(((await third.json()) as { id: string }).id).not.toBe(a.id)
  })

  it('a concurrent duplicate while the first is in flight is a 409', async () => {
    const body = { source_type: 'article', title: `Concurrent ${nonce()}`, body: 'Only one of us may run.' }
    const key = `key-${nonce()}`
    h.stack.zerodb.faults.set({ match: '/vectors/upsert', latencyMs: 1500, times: 1 })
    try {
      const first = api('POST', '/api/documents', admin, body, { 'idempotency-key': key })
      await new Promise((r) => setTimeout(r, 500))
      const second = await api('POST', '/api/documents', admin, body, { 'idempotency-key': key })
      expect(second.status).toBe(409)
      expect(((await second.json()) as { error: { code: string } }).error.code).toBe('idempotency_in_flight')
      expect((await first).status).toBe(201)
    } finally {
      h.stack.zerodb.faults.clear()
    }
    expect(await rowsOf('documents', { title: body.title })).toHaveLength(1)
  })
})

describe('batch', () => {
  it('creates items with one embedding call and reports each item', async () => {
    const existing = `batch-existing-${nonce()}`
    await api('POST', '/api/documents', admin, {
      id: existing,
      source_type: 'event',
      title: 'E',
      body: 'Exists.',
    })
    const ids = [`batch-a-${nonce()}`, `batch-b-${nonce()}`]
    const documents = [
      { id: ids[0], source_type: 'article', title: 'Batch A', body: about(`a${nonce()}`, 30) },
      { id: existing, source_type: 'event', title: 'E2', body: 'Again.' },
      { id: ids[1], source_type: 'profile', title: 'Batch B', body: 'Short profile.' },
      { id: ids[1], source_type: 'profile', title: 'Batch B again', body: 'Duplicate id.' },
    ]
    const res = await api('POST', '/api/documents/batch', admin, { documents })
    expect(res.status).toBe(200)
    const out = (await res.json()) as {
      created: number
      failed: number
      results: Array<{ index: number; status: string; id: string; error?: { code: string } }>
    }
    expect(out.created).toBe(2)
    expect(out.failed).toBe(2)
    expect(out.results.map((r) => [r.index, r.status, r.error?.code])).toEqual([
      [0, 'created', undefined],
      [1, 'failed', 'document_exists'],
      [2, 'created', undefined],
      [3, 'failed', 'duplicate_in_batch'],
    ])
    const spans = await traceOf(h, res, 10)
    const batch = one(spans, 'documents.batch')
    const embeddings = named(spans, 'embeddings text-embedding-3-small')
    expect(embeddings).toHaveLength(1)
    expect(embeddings[0]?.parentSpanId).toBe(batch.spanId)
    const creates = named(spans, 'documents.create')
    expect(creates.map((s) => s.attributes['document.id']).sort()).toEqual([...ids].sort())
    for (const c of creates) expect(c.parentSpanId).toBe(batch.spanId)
    expect(batch.attributes).toMatchObject({
      'wwmaa.batch.size': 4,
      'wwmaa.batch.created': 2,
      'wwmaa.batch.failed': 2,
    })
  })
})

describe('trace of a create', () => {
  it('has documents.create → embeddings, one zerodb.upsert_vectors for N passages, zerodb.create_document', async () => {
    const id = `traced-${nonce()}`
    const res = await api('POST', '/api/documents', admin, {
      id,
      source_type: 'article',
      title: 'Traced',
      body: about(`t${nonce()}`, 40),
      media: [{ kind: 'image', url: 'https://media.wwmaa.org/i.jpg', alt: 'x' }],
    })
    expect(res.status).toBe(201)
    const { passage_count: n } = (await res.json()) as { passage_count: number }
    expect(n).toBeGreaterThan(1)
    const spans = await traceOf(h, res, 9)
    const root = rootOf(spans)
    expect(root.name).toBe('POST /api/documents')
    const create = one(spans, 'documents.create')
    expect(create.parentSpanId).toBe(root.spanId)
    expect(create.attributes).toMatchObject({
      'document.id': id,
      'wwmaa.document.passage_count': n,
      'user.id': 'admin-e2e',
      'user.role': 'admin',
    })
    expect(create.attributes['wwmaa.document.embedding_tokens']).toBeGreaterThan(0)
    const children = childrenOf(spans, create)
    const names = children.map((s) => s.name)
    expect(names.filter((x) => x === 'embeddings text-embedding-3-small')).toHaveLength(1)
    const upserts = children.filter((x) => x.name === 'zerodb.upsert_vectors')
    expect(upserts).toHaveLength(1)
    expect(upserts[0]?.attributes).toMatchObject({
      'db.operation.batch.size': n,
      'document.id': id,
      'wwmaa.batch.created': n,
      'wwmaa.batch.failed': 0,
    })
    const inserts = children.filter((s) => s.name === 'zerodb.create_document')
    expect(inserts.map((s) => s.attributes['db.collection.name']).sort()).toEqual(['documents', 'media'])
    expect(names).toContain('zerodb.query_documents')
    expect(names.filter((x) => x === 'redis.incr')).toHaveLength(2)
    expect(names).toContain('redis.set_nx')
    expect(names).toContain('redis.del')
    for (const s of children.filter((c) => c.name.startsWith('zerodb.'))) {
      expect(s.kindName).toBe('CLIENT')
      // One span per call: the HTTP call is recorded on the client span, not a fetch child.
      expect(childrenOf(spans, s)).toEqual([])
      expect(s.attributes['http.request.method'], s.name).toBeTypeOf('string')
    }
    expect(spans.filter((s) => s.status.code === 2)).toEqual([])
  })
})

describe('what ZeroDB receives', () => {
  it('a create sends one upsert-batch with both metadata fields, then the documents and media rows', async () => {
    const id = `wire-${nonce()}`
    h.stack.zerodb.faults.clearRequests()
    const res = await api('POST', '/api/documents', admin, {
      id,
      source_type: 'technique',
      title: 'Wire',
      body: about(`w${nonce()}`, 30),
      url: 'https://wwmaa.org/w',
      media: [{ kind: 'image', url: 'https://media.wwmaa.org/w.jpg', alt: 'w' }],
    })
    expect(res.status).toBe(201)
    const { passage_count: n } = (await res.json()) as { passage_count: number }
    const received = h.stack.zerodb.faults.requests()
    const path = (r: { path: string }) => r.path.replace(/^\/v1\/public\/[^/]+\/database/, '')
    const batches = received.filter((r) => path(r) === '/vectors/upsert-batch')
    expect(batches).toHaveLength(1)
    expect(received.filter((r) => path(r) === '/vectors/upsert')).toEqual([])
    const items = batches[0]?.body as Array<Record<string, unknown>>
    expect(items).toHaveLength(n)
    const meta = {
      document_id: id,
      passage_index: 0,
      title: 'Wire',
      source_type: 'technique',
      url: 'https://wwmaa.org/w',
    }
    expect(items[0]).toEqual({
      vector_id: `${id}#0`,
      vector_embedding: expect.any(Array),
      document: expect.stringMatching(/^Wire\n\n/),
      namespace: 'wwmaa',
      vector_metadata: meta,
      metadata: meta,
    })
    expect((items[0]?.vector_embedding as number[] | undefined)?.length).toBe(1536)
    expect(items.map((i) => i.vector_id)).toEqual(Array.from({ length: n }, (_, i) => `${id}#${i}`))
    const rowBodies = (table: string) =>
      received.filter((r) => r.method === 'POST' && path(r) === `/tables/${table}/rows`).map((r) => r.body)
    expect(rowBodies('documents')).toEqual([
      {
        row_data: {
          document_id: id,
          source_type: 'technique',
          title: 'Wire',
          body: expect.any(String),
          url: 'https://wwmaa.org/w',
          metadata: {},
          passage_count: n,
        },
      },
    ])
    expect(rowBodies('media')).toEqual([
      { row_data: { source_id: id, kind: 'image', url: 'https://media.wwmaa.org/w.jpg', alt: 'w' } },
    ])
  })

  it('the list pages with skip and a {field: 1} sort, and a delete is answered 204 yet reported done', async () => {
    const id = `wire-del-${nonce()}`
    const created = await api('POST', '/api/documents', admin, {
      id,
      source_type: 'event',
      title: 'D',
      body: 'Short.',
    })
    expect(created.status).toBe(201)
    h.stack.zerodb.faults.clearRequests()
    const list = await api('GET', '/api/documents?source_type=event&limit=2&offset=1', admin)
    expect(list.status).toBe(200)
    const query = h.stack.zerodb.faults.requests().find((r) => r.path.endsWith('/tables/documents/query'))
    expect(query?.body).toEqual({
      filter: { source_type: 'event' },
      sort: { document_id: 1 },
      limit: 2,
      skip: 1,
    })
    const del = await api('DELETE', `/api/documents/${id}`, admin)
    expect(del.status).toBe(200)
    const rowDeletes = h.stack.zerodb.faults
      .requests()
      .filter((r) => r.method === 'DELETE' && r.path.includes('/tables/'))
    expect(rowDeletes.length).toBeGreaterThan(0)
    expect((await api('GET', `/api/documents/${id}`, admin)).status).toBe(404)
  })
})
