import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FeedbackList, FeedbackResult } from '../src/feedback/schemas.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, named, one, parseSse, rootOf, type SearchBody, traceWith } from './search-support.ts'

// Feedback end to end: the Worker in workerd, the local ZeroDB/Upstash/OpenAI servers and the
// real OTLP receiver. The wait is longer than the injected log-write delay below, with room to spare.
const WAIT_MS = 4000
let h: Harness
beforeAll(async () => {
  h = await startHarness({ vars: { FEEDBACK_SEARCH_WAIT_MS: String(WAIT_MS) } })
})
afterAll(() => h?.stop())
afterEach(() => h.stack.clearFaults())

const FEEDBACK = '/api/search/feedback'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A search whose background writes (cache, query log) have landed: its trace was exported. */
async function settledSearch(query = freshQuery(), headers: Record<string, string> = {}) {
  const res = await h.post('/api/search/query', { query }, headers)
  const body = (await res.json()) as SearchBody
  expect(res.status).toBe(200)
  const spans = await traceWith(h, res, 'search.log_query')
  return { res, body, spans, query }
}

async function rate(body: unknown, headers: Record<string, string> = {}) {
  const res = await h.post(FEEDBACK, body, headers)
  return { res, json: (await res.json()) as FeedbackResult & { error?: { code: string; message: string } } }
}

async function adminList(query: string): Promise<FeedbackList> {
  const token = await h.token({ sub: 'feedback-admin', role: 'admin' })
  const res = await h.fetch(`${FEEDBACK}?${query}`, { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  return (await res.json()) as FeedbackList
}

describe('every search response names its query-log row', () => {
  it('gives a JSON answer a query_id, also in X-Query-Id, and logs it with trace id, root span and cache key', async () => {
    h.stack.zerodb.faults.clearRequests()
    const { res, body, spans } = await settledSearch()
    expect(body.query_id).toMatch(UUID)
    expect(res.headers.get('x-query-id')).toBe(body.query_id)
    const row = h.stack.zerodb.faults.requests().find((r) => r.path.endsWith('/tables/search_queries/rows'))
      ?.body as { row_data: Record<string, unknown> }
    expect(row.row_data).toMatchObject({
      query_id: body.query_id,
      trace_id: body.trace_id,
      root_span_id: rootOf(spans).spanId,
      model: 'gpt-4o-mini',
    })
    expect(row.row_data.cache_key).toMatch(/^search:/)
  })

  it('puts the query_id in the done event of a streamed answer', async () => {
    const res = await h.post('/api/search/query', { query: freshQuery('what is a kata'), stream: true })
    const events = parseSse(await res.text())
    const done = events.find((e) => e.event === 'done')?.data as { query_id: string; trace_id: string }
    expect(done.query_id).toMatch(UUID)
    expect(res.headers.get('x-query-id')).toBe(done.query_id)
  })
})

describe('POST /api/search/feedback', () => {
  it('stores a rating by trace_id, and its span links to the rated search’s root span', async () => {
    const search = await settledSearch()
    const { res, json } = await rate({
      trace_id: search.body.trace_id,
      rating: 'up',
      comment: 'clear answer',
    })
    expect(res.status).toBe(200)
    expect(json).toMatchObject({
      success: true,
      message: 'Feedback recorded',
      flagged_for_review: false,
      query_id: search.body.query_id,
      trace_id: search.body.trace_id,
      rating: 'up',
      reason: null,
      comment: 'clear answer',
      replaced: false,
      cache_retired: false,
    })
    const spans = await traceWith(h, res, 'feedback.submit', 'zerodb.create_document')
    const submit = one(spans, 'feedback.submit')
    expect(submit.attributes).toMatchObject({
      'wwmaa.feedback.rating': 'up',
      'wwmaa.search.trace_id': search.body.trace_id,
      'wwmaa.search.query_id': search.body.query_id,
      'wwmaa.search.model': 'gpt-4o-mini',
      'wwmaa.search.cached': false,
      'wwmaa.search.top_source_type': search.body.sources[0]?.source_type,
      // OTEL_RECORD_QUERY_TEXT is on outside production: the comment may be recorded.
      'wwmaa.feedback.comment': 'clear answer',
    })
    expect(submit.links).toEqual([
      { traceId: search.body.trace_id, spanId: rootOf(search.spans).spanId, attributes: {} },
    ])
    // Stored through the ZeroDB client, under the feedback span.
    const create = one(spans, 'zerodb.create_document')
    expect(create.attributes['db.collection.name']).toBe('search_feedback')
    expect(create.parentSpanId).toBe(submit.spanId)
  })

  it('replaces the same caller’s earlier rating (200, same record), and keeps other callers’ apart', async () => {
    const search = await settledSearch()
    const first = await rate({ trace_id: search.body.trace_id, rating: 'up' })
    const second = await rate({ query_id: search.body.query_id, rating: 'down', reason: 'outdated' })
    expect(second.res.status).toBe(200)
    expect(second.json).toMatchObject({
      feedback_id: first.json.feedback_id,
      replaced: true,
      message: 'Feedback updated',
      rating: 'down',
      reason: 'outdated',
      flagged_for_review: true,
      created_at: first.json.created_at,
    })
    const member = await h.token({ sub: 'feedback-member' })
    const other = await rate(
      { trace_id: search.body.trace_id, rating: 'up' },
      { authorization: `Bearer ${member}` },
    )
    expect(other.json.feedback_id).not.toBe(first.json.feedback_id)
    expect(other.json.replaced).toBe(false)
    const listed = await adminList('limit=100')
    const mine = listed.items.filter((i) => i.query_id === search.body.query_id)
    expect(mine.map((i) => [i.user_id, i.rating]).sort()).toEqual([
      ['anonymous', 'down'],
      ['feedback-member', 'up'],
    ])
  })

  it('accepts the original WWMAA body and answers its fields beside ours; negative is flagged', async () => {
    const search = await settledSearch()
    const { res, json } = await rate({
      query_id: search.body.query_id,
      rating: 'negative',
      feedback_text: 'wrong belt',
    })
    expect(res.status).toBe(200)
    expect(json).toMatchObject({
      success: true,
      flagged_for_review: true,
      rating: 'negative',
      comment: 'wrong belt',
      query_id: search.body.query_id,
    })
    expect(typeof json.message).toBe('string')
    const spans = await traceWith(h, res, 'feedback.submit')
    expect(one(spans, 'feedback.submit').attributes['wwmaa.feedback.format']).toBe('legacy')
  })

  it('finds a search whose log row is still being written when the rating arrives', async () => {
    // The query-log write (waitUntil) is held back at ZeroDB; the rating is sent at once.
    h.stack.zerodb.faults.set({ match: '/tables/search_queries/rows', latencyMs: 1500, times: 1 })
    const res = await h.post('/api/search/query', { query: freshQuery() })
    const body = (await res.json()) as SearchBody
    const { res: rated, json } = await rate({ trace_id: body.trace_id, rating: 'up' })
    expect(rated.status).toBe(200)
    expect(json.query_id).toBe(body.query_id)
    const spans = await traceWith(h, rated, 'feedback.find_search')
    const find = one(spans, 'feedback.find_search')
    expect(find.attributes['wwmaa.feedback.found']).toBe(true)
    expect(find.attributes['wwmaa.feedback.lookup_attempts']).toBeGreaterThan(1)
    expect(named(spans, 'zerodb.query_documents').length).toBeGreaterThan(1)
  })

  it('answers 404 for a well-formed id of no search, and stores nothing', async () => {
    h.stack.zerodb.faults.clearRequests()
    const unknownTrace = await rate({ trace_id: 'ab'.repeat(16), rating: 'down' })
    expect(unknownTrace.res.status).toBe(404)
    expect(unknownTrace.json.error?.code).toBe('search_not_found')
    const unknownQuery = await rate({ query_id: crypto.randomUUID(), rating: 'negative' })
    expect(unknownQuery.res.status).toBe(404)
    const writes = h.stack.zerodb.faults
      .requests()
      .filter((r) => r.path.includes('/tables/search_feedback/rows'))
    expect(writes).toEqual([])
  })

  it.each([
    ['a malformed trace_id', { trace_id: 'not-a-trace', rating: 'up' }, 'trace_id'],
    ['a malformed query_id', { query_id: '1234', rating: 'positive' }, 'query_id'],
    ['an unknown rating', { trace_id: 'ab'.repeat(16), rating: 'meh' }, 'rating'],
    [
      'a comment over 1000 characters',
      { trace_id: 'ab'.repeat(16), rating: 'up', comment: 'x'.repeat(1001) },
      'comment',
    ],
  ])('answers 400 naming the field for %s', async (_name, body, field) => {
    const { res, json } = await rate(body)
    expect(res.status).toBe(400)
    expect(json.error?.code).toBe('validation_error')
    expect(json.error?.message).toContain(field)
  })
})

// What a rating down does to the cached answer (flags it; retired only by an admin or by enough
// signed-in raters) is test/feedback-retirement.test.ts.
describe('a rating up', () => {
  it('leaves the cached answer in place', async () => {
    const first = await settledSearch()
    const { json } = await rate({ trace_id: first.body.trace_id, rating: 'up' })
    expect(json.cache_retired).toBe(false)
    expect(json.retirement).toBeNull()
    expect((await settledSearch(first.query)).body.cached).toBe(true)
  })
})

describe('GET /api/search/feedback (admins)', () => {
  it('answers 401 to anonymous callers and 403 to members', async () => {
    expect((await h.fetch(`${FEEDBACK}?flagged=true`)).status).toBe(401)
    const member = await h.token({ sub: 'feedback-member' })
    const res = await h.fetch(`${FEEDBACK}?flagged=true`, { headers: { authorization: `Bearer ${member}` } })
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden')
  })

  it('lists only flagged feedback with flagged=true, newest first, a page at a time', async () => {
    const search = await settledSearch()
    const down = await rate({ trace_id: search.body.trace_id, rating: 'down', reason: 'incomplete' })
    const flagged = await adminList('flagged=true&limit=100')
    expect(flagged.items.length).toBeGreaterThan(0)
    expect(flagged.items.every((i) => i.flagged_for_review && i.rating === 'down')).toBe(true)
    expect(flagged.items[0]?.feedback_id).toBe(down.json.feedback_id)
    const pageOne = await adminList('flagged=true&limit=1&offset=0')
    const pageTwo = await adminList('flagged=true&limit=1&offset=1')
    expect(pageOne.items).toHaveLength(1)
    expect(pageOne.total).toBe(flagged.total)
    if (flagged.total > 1) expect(pageTwo.items[0]?.feedback_id).not.toBe(pageOne.items[0]?.feedback_id)
    expect(JSON.stringify(flagged)).not.toMatch(/ip_hash|cache_key|root_span_id/)
  })
})
