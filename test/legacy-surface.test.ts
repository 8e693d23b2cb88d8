import { type JWTPayload, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness, TEST_JWT_SECRET } from './harness.ts'
import { freshQuery, rootOf, type SearchBody, traceOf, traceWith } from './search-support.ts'

// Issue 24, the legacy surface, replayed from outside against the instrumented Worker: what the
// original WWMAA site (AINative-Studio/wwmaa) and its clients send, as they send it.

const SEARCH = '/api/search/query'
const FEEDBACK = '/api/search/feedback'
const RATE_LIMIT = 3

let h: Harness
/** The same stack with a short ZeroDB timeout and a small rate-limit window. */
let tight: Harness
beforeAll(async () => {
  h = await startHarness({ vars: { FEEDBACK_SEARCH_WAIT_MS: '300' } })
  tight = await startHarness({
    stack: h.stack,
    vars: { ZERODB_TIMEOUT_MS: '200', ZERODB_MAX_RETRIES: '0', RATE_LIMIT_REQUESTS: String(RATE_LIMIT) },
  })
})
afterAll(async () => {
  await tight?.stop()
  await h?.stop()
})
afterEach(() => h.stack.clearFaults())

interface LegacyError {
  error: { code: string; message: string }
  detail: string
  trace_id: string | null
}

/** Every error body: `detail` is the message as a string, beside `error` and `trace_id`. */
async function expectDetail(res: Response, status: number, code: string): Promise<LegacyError> {
  expect(res.status).toBe(status)
  const body = (await res.json()) as LegacyError
  expect(body.error.code).toBe(code)
  expect(typeof body.detail).toBe('string')
  expect(body.detail).toBe(body.error.message)
  expect(body.detail.length).toBeGreaterThan(0)
  expect(body.trace_id).toMatch(/^[0-9a-f]{32}$/)
  return body
}

const now = () => Math.floor(Date.now() / 1000)
/** A token as the original login signs it (backend/services/auth_service.py create_access_token). */
function originalToken(extra: JWTPayload = {}, secret = TEST_JWT_SECRET, drop: string[] = []) {
  const claims: JWTPayload = {
    user_id: `legacy-${crypto.randomUUID()}`,
    role: 'member',
    email: 'someone@example.com',
    type: 'access',
    iat: now(),
    exp: now() + 30 * 60,
    ...extra,
  }
  for (const name of drop) delete claims[name]
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret))
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('the original health paths', () => {
  it.each(['/api/health', '/api/search/health'])('%s answers as /health does', async (path) => {
    const [plain, alias] = await Promise.all([h.fetch('/health'), h.fetch(path)])
    expect(alias.status).toBe(200)
    expect(alias.status).toBe(plain.status)
    const [a, b] = (await Promise.all([alias.json(), plain.json()])) as Array<Record<string, unknown>>
    expect(a).toEqual(b)
    expect(a?.status).toBe('healthy')
  })

  it.each(['/api/health', '/api/search/health'])(
    '%s?deep=1 probes the dependencies as /health does',
    async (path) => {
      const res = await h.fetch(`${path}?deep=1`)
      expect(res.status).toBe(200)
      const body = (await res.json()) as { dependencies: Record<string, { status: string }> }
      expect(Object.keys(body.dependencies).sort()).toEqual(['openai', 'upstash', 'zerodb'])
      expect(body.dependencies.zerodb?.status).toBe('up')
      await expectDetail(await h.fetch(`${path}?deep=maybe`), 400, 'validation_error')
    },
  )

  it('lists both as deprecated aliases in the OpenAPI document', async () => {
    const doc = (await (await h.fetch('/openapi.json')).json()) as {
      paths: Record<string, { get?: { deprecated?: boolean; operationId?: string } }>
    }
    expect(doc.paths['/api/health']?.get?.deprecated).toBe(true)
    expect(doc.paths['/api/search/health']?.get?.deprecated).toBe(true)
    expect(doc.paths['/health']?.get?.deprecated).toBeUndefined()
  })
})

/** A search whose query-log row has landed: the rating can find it. */
async function settledSearch(headers: Record<string, string> = {}) {
  const res = await h.post(SEARCH, { query: freshQuery('what does a black belt mean') }, headers)
  expect(res.status).toBe(200)
  const body = (await res.json()) as SearchBody
  await traceWith(h, res, 'search.log_query')
  return body
}

/** The documented US-040 client (backend/SEARCH_FEEDBACK_IMPLEMENTATION_SUMMARY.md), verbatim. */
async function submitFeedback(queryId: string, rating: string, text: string | null = null) {
  const response = await fetch(`${h.url}${FEEDBACK}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query_id: queryId, rating: rating, feedback_text: text }),
  })
  if (!response.ok) {
    const error = (await response.json()) as { detail: string }
    throw new Error(error.detail)
  }
  return (await response.json()) as Record<string, unknown>
}

describe('the US-040 feedback client', () => {
  it('rates with feedback_text: null and hears back its own vocabulary', async () => {
    const search = await settledSearch()
    expect(await submitFeedback(search.query_id, 'positive')).toMatchObject({
      success: true,
      query_id: search.query_id,
      rating: 'positive',
      flagged_for_review: false,
      comment: null,
    })
    // The same caller again: replaced, and still in its vocabulary.
    expect(await submitFeedback(search.query_id, 'negative', '  wrong belt order  ')).toMatchObject({
      success: true,
      rating: 'negative',
      flagged_for_review: true,
      comment: 'wrong belt order',
      replaced: true,
    })
  })

  it('gets its error text from detail when the search is unknown', async () => {
    await expect(submitFeedback(crypto.randomUUID(), 'negative')).rejects.toThrow(/No search/)
  })

  it('keeps this API’s own vocabulary for this API’s body', async () => {
    const search = await settledSearch()
    const res = await h.post(FEEDBACK, { query_id: search.query_id, rating: 'down', reason: 'wrong' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ rating: 'down', flagged_for_review: true })
  })

  it('still refuses a mix of the two vocabularies and a non-string text', async () => {
    const queryId = crypto.randomUUID()
    await expectDetail(
      await h.post(FEEDBACK, { query_id: queryId, rating: 'up', feedback_text: null }),
      400,
      'validation_error',
    )
    await expectDetail(
      await h.post(FEEDBACK, { query_id: queryId, rating: 'positive', feedback_text: 5 }),
      400,
      'validation_error',
    )
  })
})

describe('tokens of the original login', () => {
  it('searches with one, its user_id on the trace', async () => {
    const token = await originalToken({ user_id: 'legacy-member-1' })
    const res = await h.post(
      SEARCH,
      { query: freshQuery(), filters: { source_type: 'profile' } },
      bearer(token),
    )
    expect(res.status).toBe(200)
    const spans = await traceOf(h, res)
    expect(rootOf(spans).attributes).toMatchObject({ 'user.id': 'legacy-member-1', 'user.role': 'member' })
  })

  it('lets an original admin use the admin API; a board member (staff) and a public account may not', async () => {
    const list = `${FEEDBACK}?flagged=true`
    expect((await h.fetch(list, { headers: bearer(await originalToken({ role: 'admin' })) })).status).toBe(
      200,
    )
    const board = await h.fetch(list, { headers: bearer(await originalToken({ role: 'board_member' })) })
    await expectDetail(board, 403, 'forbidden')
    const pub = await h.fetch(list, { headers: bearer(await originalToken({ role: 'public' })) })
    await expectDetail(pub, 401, 'unauthorized')
  })

  it('serves a public (non-member) account as an anonymous caller: no member-only sources', async () => {
    const token = await originalToken({ role: 'public' })
    const res = await h.post(
      SEARCH,
      { query: freshQuery(), filters: { source_type: 'profile' } },
      bearer(token),
    )
    const body = await expectDetail(res, 401, 'unauthorized')
    expect(body.detail).toMatch(/signed-in members/)
  })

  it.each([
    ['without exp', () => originalToken({}, TEST_JWT_SECRET, ['exp']), 401, 'unauthorized'],
    ['of type refresh', () => originalToken({ type: 'refresh' }), 401, 'unauthorized'],
    [
      'signed with another secret',
      () => originalToken({}, 'not-the-secret-0123456789abcdef'),
      401,
      'unauthorized',
    ],
    ['with an unknown role', () => originalToken({ role: 'grandmaster' }), 403, 'forbidden'],
  ] as const)('refuses one %s', async (_name, make, status, code) => {
    const token = await make()
    const res = await h.post(SEARCH, { query: freshQuery() }, bearer(token))
    const text = await res.clone().text()
    await expectDetail(res, status, code)
    for (const part of token.split('.')) expect(text).not.toContain(part)
  })
})

describe('detail on every error class', () => {
  it('400 validation, 404 unknown route, 413 too large, 415 not JSON', async () => {
    await expectDetail(await h.post(SEARCH, { query: '' }), 400, 'validation_error')
    await expectDetail(await h.fetch('/api/nothing-here'), 404, 'not_found')
    await expectDetail(await h.post(SEARCH, { query: 'x'.repeat(70_000) }), 413, 'payload_too_large')
    const text = await h.fetch(SEARCH, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'belts',
    })
    await expectDetail(text, 415, 'unsupported_media_type')
  })

  it('401 for a malformed Authorization header, 403 for a member on the admin API', async () => {
    await expectDetail(
      await h.fetch('/api/documents', { headers: { authorization: 'Basic abc' } }),
      401,
      'unauthorized',
    )
    const member = await h.token({ sub: 'legacy-surface-member' })
    await expectDetail(await h.fetch('/api/documents', { headers: bearer(member) }), 403, 'forbidden')
  })

  it('502 when an upstream answers badly', async () => {
    h.stack.openai.faults.set({ match: '/embeddings', status: 500 })
    await expectDetail(await h.post(SEARCH, { query: freshQuery() }), 502, 'upstream_error')
  })

  it('504 when an upstream does not answer in time', async () => {
    h.stack.zerodb.faults.set({ match: '/vectors/search', hang: true })
    // Its own member: the two Workers share one Upstash, and so one budget per address.
    const token = await h.token({ sub: `legacy-504-${crypto.randomUUID()}` })
    await expectDetail(
      await tight.post(SEARCH, { query: freshQuery() }, bearer(token)),
      504,
      'upstream_timeout',
    )
  })

  it('429 once the window is spent', async () => {
    let res: Response | undefined
    const token = await h.token({ sub: `legacy-429-${crypto.randomUUID()}` })
    const seen: number[] = []
    for (let i = 0; i <= RATE_LIMIT; i++) {
      res = await tight.post(SEARCH, { query: freshQuery() }, bearer(token))
      seen.push(res.status)
      if (res.status === 429) break
      await res.arrayBuffer()
    }
    expect(seen).toContain(429)
    expect(res?.headers.get('retry-after')).toMatch(/^\d+$/)
    await expectDetail(res as Response, 429, 'rate_limited')
  })
})
