import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './harness.ts'
import { childrenOf, one, traceOf } from './search-support.ts'

// Nothing half-written: a fault in any step of a write leaves ZeroDB as it was before the request,
// the client gets the JSON error with the trace id, and the trace shows the compensating deletes.

let h: Harness
let admin = ''
beforeAll(async () => {
  // A short ZeroDB deadline keeps the hang test quick.
  h = await startHarness({ seed: false, vars: { ZERODB_TIMEOUT_MS: '800' } })
  admin = await h.token({ sub: 'admin-faults', role: 'admin' })
})
afterAll(() => h?.stop())
afterEach(() => {
  h.stack.zerodb.faults.clear()
  h.stack.openai.faults.clear()
  h.stack.upstash.faults.clear()
})

let counter = 0
const nonce = () => `${process.pid}x${Date.now().toString(36)}x${++counter}`
const about = (topic: string, sentences: number) =>
  Array.from(
    { length: sentences },
    (_, i) => `The ${topic} form number ${i} is practised slowly and then at speed.`,
  ).join(' ')

const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  h.fetch(path, {
    method,
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const zerodb = (path: string, init: RequestInit = {}) =>
  fetch(`${h.stack.zerodb.url}/v1/public/${h.stack.env.ZERODB_PROJECT_ID}/database${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', 'x-api-key': h.stack.env.ZERODB_API_KEY ?? '' },
  })

const rows = async (table: string, filter: Record<string, unknown>) => {
  const res = await zerodb(`/tables/${table}/query`, { method: 'POST', body: JSON.stringify({ filter }) })
  return ((await res.json()) as { data: unknown[] }).data
}

/** No vectors, no documents row and no media rows for `id`, and no vector count change. */
async function expectNoTrace(id: string, vectorsBefore: number) {
  expect(await rows('documents', { document_id: id })).toEqual([])
  expect(await rows('media', { source_id: id })).toEqual([])
  for (let i = 0; i < 12; i++) {
    expect((await zerodb(`/vectors/${encodeURIComponent(`${id}#${i}`)}?namespace=wwmaa`)).status).toBe(404)
  }
  expect(h.stack.zerodb.stats().vectors.wwmaa ?? 0).toBe(vectorsBefore)
}

const vectorCount = () => h.stack.zerodb.stats().vectors.wwmaa ?? 0

function newDoc(id: string) {
  return {
    id,
    source_type: 'technique',
    title: `Form ${id}`,
    body: about(`kata${nonce()}`, 40),
    media: [
      { kind: 'video', cloudflare_stream_id: 'feedface0123456789abcdef01234567' },
      { kind: 'image', url: 'https://media.wwmaa.org/f.jpg', alt: 'form' },
    ],
  }
}

async function expectUpstreamError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status)
  const body = (await res.json()) as { error: { code: string; message: string }; trace_id: string }
  expect(body.error.code).toBe(code)
  expect(body.trace_id).toMatch(/^[0-9a-f]{32}$/)
  expect(body.trace_id).toBe(res.headers.get('x-trace-id'))
}

describe('a failed create leaves nothing behind', () => {
  it('vector upsert fault: 502, the passages that landed are deleted, traced', async () => {
    const id = `f-upsert-${nonce()}`
    const before = vectorCount()
    h.stack.zerodb.faults.set({ match: '/vectors/upsert', status: 500, times: 1 })
    const res = await send('POST', '/api/documents', newDoc(id))
    await expectUpstreamError(res, 502, 'upstream_error')
    await expectNoTrace(id, before)
    const spans = await traceOf(h, res, 10)
    const create = one(spans, 'documents.create')
    expect(create.status.code).toBe(2)
    const rollback = one(spans, 'documents.rollback')
    expect(rollback.parentSpanId).toBe(create.spanId)
    const undo = childrenOf(spans, rollback)
    expect(undo.length).toBeGreaterThan(0)
    expect(new Set(undo.map((s) => s.name))).toEqual(new Set(['zerodb.delete_vector']))
    expect(rollback.status.code).toBe(0)
  })

  it('documents row fault: 502, every passage of the batch deleted; a retry with the key then succeeds', async () => {
    const id = `f-row-${nonce()}`
    const before = vectorCount()
    const doc = newDoc(id)
    const key = `retry-${nonce()}`
    h.stack.zerodb.faults.set({ match: '/tables/documents/rows', status: 500, times: 1 })
    const res = await send('POST', '/api/documents', doc, { 'idempotency-key': key })
    await expectUpstreamError(res, 502, 'upstream_error')
    await expectNoTrace(id, before)
    const spans = await traceOf(h, res, 10)
    const n = one(spans, 'zerodb.upsert_vectors').attributes['db.operation.batch.size'] as number
    expect(n).toBeGreaterThan(1)
    const undo = childrenOf(spans, one(spans, 'documents.rollback'))
    expect(undo.map((s) => s.name)).toEqual(Array.from({ length: n }, () => 'zerodb.delete_vector'))
    // `document.id` is the document undone; each vector's own id is its record id.
    for (const s of undo) expect(s.attributes['document.id']).toBe(id)
    expect(undo.map((s) => s.attributes['wwmaa.zerodb.record_id']).sort()).toEqual(
      Array.from({ length: n }, (_, i) => `${id}#${i}`).sort(),
    )

    const retry = await send('POST', '/api/documents', doc, { 'idempotency-key': key })
    expect(retry.status).toBe(201)
    expect(await rows('documents', { document_id: id })).toHaveLength(1)
    expect(await rows('media', { source_id: id })).toHaveLength(2)
  })

  it('media row fault: 502, the documents row and the vectors are deleted', async () => {
    const id = `f-media-${nonce()}`
    const before = vectorCount()
    h.stack.zerodb.faults.set({ match: '/tables/media/rows', status: 503, times: 1 })
    const res = await send('POST', '/api/documents', newDoc(id))
    await expectUpstreamError(res, 502, 'upstream_error')
    await expectNoTrace(id, before)
    const spans = await traceOf(h, res, 10)
    const undo = childrenOf(spans, one(spans, 'documents.rollback')).map((s) => s.name)
    expect(undo).toContain('zerodb.delete_document')
    expect(undo).toContain('zerodb.delete_vector')
  })

  it('documents table missing (setup never ran): 502, the passages are deleted', async () => {
    const id = `f-table-${nonce()}`
    const before = vectorCount()
    h.stack.zerodb.faults.set({
      match: '/tables/documents/rows',
      status: 404,
      body: { detail: 'Table not found: documents' },
      times: 1,
    })
    const res = await send('POST', '/api/documents', newDoc(id))
    await expectUpstreamError(res, 502, 'upstream_error')
    await expectNoTrace(id, before)
    const spans = await traceOf(h, res, 10)
    expect(one(spans, 'zerodb.create_document').attributes['http.response.status_code']).toBe(404)
    expect(one(spans, 'documents.rollback').status.code).toBe(0)
  })

  it('embedding fault: 502 before any ZeroDB write', async () => {
    const id = `f-embed-${nonce()}`
    const before = vectorCount()
    h.stack.zerodb.faults.clearRequests()
    h.stack.openai.faults.set({ match: '/embeddings', status: 500 })
    const res = await send('POST', '/api/documents', newDoc(id))
    await expectUpstreamError(res, 502, 'upstream_error')
    const writes = h.stack.zerodb.faults
      .requests()
      .filter((r) => r.method !== 'GET' && !r.path.endsWith('/query'))
    expect(writes).toEqual([])
    await expectNoTrace(id, before)
  })

  it('a hanging upsert: 504 after the ZeroDB deadline, then rolled back', async () => {
    const id = `f-hang-${nonce()}`
    const before = vectorCount()
    h.stack.zerodb.faults.set({ match: '/vectors/upsert', hang: true, times: 1 })
    const res = await send('POST', '/api/documents', newDoc(id))
    await expectUpstreamError(res, 504, 'upstream_timeout')
    await expectNoTrace(id, before)
  })

  it('Upstash down: 503 before anything is written (no lock, no cache invalidation possible)', async () => {
    const id = `f-upstash-${nonce()}`
    const before = vectorCount()
    h.stack.upstash.faults.set({ status: 500 })
    const res = await send('POST', '/api/documents', newDoc(id))
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('coordination_unavailable')
    h.stack.upstash.faults.clear()
    await expectNoTrace(id, before)
  })
})

describe('a partial upsert-batch', () => {
  it('one passage refused inside a 200 batch reply: 502, the passages that landed are deleted', async () => {
    // In a namespace of its own, a 768-d vector under `{id}#1` makes ZeroDB refuse `{id}#0` (its
    // dimension mismatch) and accept the rest: a real partial write, reported in the 200 reply.
    const namespace = `partial-${nonce()}`
    const id = `f-partial-${nonce()}`
    const w = await startHarness({ stack: h.stack, seed: false, vars: { ZERODB_NAMESPACE: namespace } })
    try {
      const planted = await zerodb('/vectors/upsert', {
        method: 'POST',
        body: JSON.stringify({
          vector_id: `${id}#1`,
          vector_embedding: Array.from({ length: 768 }, (_, i) => (i === 0 ? 1 : 0)),
          document: 'planted',
          namespace,
        }),
      })
      expect(planted.status).toBe(200)
      h.stack.zerodb.faults.clearRequests()
      const res = await w.fetch('/api/documents', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(newDoc(id)),
      })
      await expectUpstreamError(res, 502, 'upstream_error')
      const batch = h.stack.zerodb.faults.requests().find((r) => r.path.endsWith('/vectors/upsert-batch'))
      expect((batch?.body as unknown[] | undefined)?.length).toBeGreaterThan(2)
      expect(h.stack.zerodb.stats().vectors[namespace] ?? 0).toBe(0)
      expect(await rows('documents', { document_id: id })).toEqual([])
      const spans = await traceOf(h, res, 10)
      const upsert = one(spans, 'zerodb.upsert_vectors')
      expect(upsert.status.code).toBe(2)
      expect(upsert.attributes).toMatchObject({
        'wwmaa.batch.failed': 1,
        'server.service.name': 'zerodb',
        'error.type': 'partial_failure',
      })
      const rollback = one(spans, 'documents.rollback')
      expect(rollback.status.code).toBe(0)
      expect(new Set(childrenOf(spans, rollback).map((s) => s.name))).toEqual(
        new Set(['zerodb.delete_vector']),
      )
    } finally {
      await w.stop()
    }
  })
})

describe('a failed update restores the previous version', () => {
  it('row update fault: 502; passages, row and media are the old ones again', async () => {
    const id = `f-update-${nonce()}`
    const v1 = newDoc(id)
    expect((await send('POST', '/api/documents', v1)).status).toBe(201)
    const before = (await (await send('GET', `/api/documents/${id}`)).json()) as { passage_count: number }
    const vectorsBefore = vectorCount()
    // created_at is the time of the last upsert, which the restore is.
    const stored = async () => {
      const { created_at: _at, ...v } = (await (
        await zerodb(`/vectors/${encodeURIComponent(`${id}#0`)}?namespace=wwmaa`)
      ).json()) as Record<string, unknown>
      return v
    }
    const first = await stored()

    h.stack.zerodb.faults.set({ match: '/tables/documents/rows/', status: 500, times: 1 })
    const res = await send('PUT', `/api/documents/${id}`, {
      source_type: 'article',
      title: 'Replaced',
      body: 'A much shorter body.',
      media: [],
    })
    await expectUpstreamError(res, 502, 'upstream_error')

    const after = (await (await send('GET', `/api/documents/${id}`)).json()) as Record<string, unknown>
    expect(after).toMatchObject({ title: v1.title, body: v1.body, passage_count: before.passage_count })
    expect((after.media as unknown[]).length).toBe(2)
    expect(vectorCount()).toBe(vectorsBefore)
    expect(await stored()).toEqual(first)
  })

  it('a delete that failed half-way is finished by repeating it', async () => {
    const id = `f-delete-${nonce()}`
    expect((await send('POST', '/api/documents', newDoc(id))).status).toBe(201)
    h.stack.zerodb.faults.set({ match: '/tables/media/rows/', status: 500, times: 1 })
    expect((await send('DELETE', `/api/documents/${id}`)).status).toBe(502)
    // The row goes last, so the document is still there to delete.
    expect(await rows('documents', { document_id: id })).toHaveLength(1)
    expect((await send('DELETE', `/api/documents/${id}`)).status).toBe(200)
    await expectNoTrace(id, vectorCount())
  })
})
