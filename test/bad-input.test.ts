import fc from 'fast-check'
import { SignJWT, UnsecuredJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newApiClient } from '../local/api-key.ts'
import { type Harness, startHarness, TEST_JWT_SECRET } from './harness.ts'

// One configured API client, so that a wrong X-API-Key meets a real key list.
const apiClient = newApiClient('bad-input-client')
let h: Harness
beforeAll(async () => {
  h = await startHarness({ vars: { API_CLIENTS: JSON.stringify([apiClient.entry]) } })
})
afterAll(() => h?.stop())

const SEARCH = '/api/search/query'
const FEEDBACK = '/api/search/feedback'
type Case = {
  name: string
  path?: string
  method?: string
  body?: string
  headers?: Record<string, string>
  expect: number
}

const json = (value: unknown) => JSON.stringify(value)
const jsonHeaders = { 'content-type': 'application/json' }
const token = (claims: Record<string, unknown>, exp: string, secret = TEST_JWT_SECRET) =>
  new SignJWT({ type: 'access', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('u-1')
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret))

async function cases(): Promise<Case[]> {
  const q = (query: unknown, extra: Record<string, unknown> = {}) => json({ query, ...extra })
  return [
    { name: 'empty body', body: '', expect: 400 },
    { name: 'empty object', body: '{}', expect: 400 },
    { name: 'empty query', body: q(''), expect: 400 },
    { name: 'whitespace query', body: q('   \t  '), expect: 400 },
    { name: 'newlines only', body: q('\n\n\r\n'), expect: 400 },
    { name: 'control characters only', body: q('\u0000\u0001\u0007\u001b'), expect: 400 },
    { name: '10 000 characters', body: q('belt '.repeat(2000)), expect: 400 },
    { name: '501 characters', body: q('a'.repeat(501)), expect: 400 },
    // U+FDFA is one character that NFKC makes 18: 500 of them pass the raw limit as 9 000.
    { name: '500 × U+FDFA (9 000 after NFKC)', body: q('\uFDFA'.repeat(500)), expect: 400 },
    { name: '28 × U+FDFA (504 after NFKC)', body: q('\uFDFA'.repeat(28)), expect: 400 },
    { name: 'streamed 500 × U+FDFA', body: q('\uFDFA'.repeat(500), { stream: true }), expect: 400 },
    { name: 'number query', body: q(42), expect: 400 },
    { name: 'null query', body: q(null), expect: 400 },
    { name: 'array query', body: q(['belt']), expect: 400 },
    { name: 'object query', body: q({ text: 'belt' }), expect: 400 },
    { name: 'boolean query', body: q(true), expect: 400 },
    { name: 'top_k 0', body: q('belt', { top_k: 0 }), expect: 400 },
    { name: 'top_k 21', body: q('belt', { top_k: 21 }), expect: 400 },
    { name: 'huge top_k', body: q('belt', { top_k: 1e12 }), expect: 400 },
    { name: 'negative top_k', body: q('belt', { top_k: -3 }), expect: 400 },
    { name: 'fractional top_k', body: q('belt', { top_k: 2.5 }), expect: 400 },
    { name: 'string top_k', body: q('belt', { top_k: '5' }), expect: 400 },
    { name: 'string bypass_cache', body: q('belt', { bypass_cache: 'yes' }), expect: 400 },
    { name: 'string stream', body: q('belt', { stream: 'true' }), expect: 400 },
    { name: 'filters as string', body: q('belt', { filters: 'article' }), expect: 400 },
    { name: 'unknown source_type', body: q('belt', { filters: { source_type: 'video' } }), expect: 400 },
    { name: 'numeric source_type', body: q('belt', { filters: { source_type: 1 } }), expect: 400 },
    { name: 'unknown filter', body: q('belt', { filters: { author: 'x' } }), expect: 400 },
    { name: 'extra field', body: q('belt', { admin: true }), expect: 400 },
    { name: 'prototype pollution field', body: '{"query":"belt","__proto__":{"admin":true}}', expect: 400 },
    { name: 'truncated JSON', body: '{"query": "belt"', expect: 400 },
    { name: 'JSON array', body: '[]', expect: 400 },
    { name: 'JSON string', body: '"how do I tie my belt"', expect: 400 },
    { name: 'JSON null', body: 'null', expect: 400 },
    { name: 'text/plain', body: q('belt'), headers: { 'content-type': 'text/plain' }, expect: 415 },
    {
      name: 'form encoded',
      body: 'query=belt',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      expect: 415,
    },
    { name: '100 KB body', body: q('belt', { pad: 'x'.repeat(100_000) }), expect: 413 },
    { name: 'garbage bearer', body: q('belt'), headers: { authorization: 'Bearer garbage' }, expect: 401 },
    {
      name: 'expired JWT',
      body: q('belt'),
      headers: { authorization: `Bearer ${await token({}, '-1h')}` },
      expect: 401,
    },
    {
      name: 'alg none JWT',
      body: q('belt'),
      headers: {
        authorization: `Bearer ${new UnsecuredJWT({ sub: 'u-1', role: 'admin' }).setExpirationTime('1h').encode()}`,
      },
      expect: 401,
    },
    {
      name: 'JWT with the wrong key',
      body: q('belt'),
      headers: { authorization: `Bearer ${await token({}, '1h', 'not-the-server-secret-123456')}` },
      expect: 401,
    },
    {
      name: 'JWT without exp',
      body: q('belt'),
      headers: {
        authorization: `Bearer ${await new SignJWT({ sub: 'u-1', role: 'member', type: 'access' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(TEST_JWT_SECRET))}`,
      },
      expect: 401,
    },
    {
      name: 'JWT living ten years',
      body: q('belt'),
      headers: { authorization: `Bearer ${await token({ role: 'member' }, '10y')}` },
      expect: 401,
    },
    {
      name: 'refresh JWT',
      body: q('belt'),
      headers: { authorization: `Bearer ${await token({ role: 'member', type: 'refresh' }, '1h')}` },
      expect: 401,
    },
    {
      name: 'JWT with an unknown role',
      body: q('belt'),
      headers: { authorization: `Bearer ${await token({ role: 'superuser' }, '1h')}` },
      expect: 403,
    },
    { name: 'Basic auth', body: q('belt'), headers: { authorization: 'Basic dXNlcjpwYXNz' }, expect: 401 },
    { name: 'Bearer without a token', body: q('belt'), headers: { authorization: 'Bearer ' }, expect: 401 },
    { name: 'oversized header', body: q('belt'), headers: { 'x-padding': 'p'.repeat(20_000) }, expect: 431 },
    { name: 'encoded dot segments', path: '/api/search/%2e%2e/query', body: q('belt'), expect: 404 },
    { name: 'double slash', path: '/api//search/query', body: q('belt'), expect: 404 },
    { name: 'upper-case path', path: '/API/SEARCH/QUERY', body: q('belt'), expect: 404 },
    { name: 'NUL in path', path: '/api/search/query%00', body: q('belt'), expect: 404 },
    { name: 'wrong method', method: 'PUT', body: q('belt'), expect: 404 },
    { name: 'GET without q', path: '/api/search', method: 'GET', expect: 400 },
    {
      name: 'GET with 10 000 characters',
      path: `/api/search?q=${'a'.repeat(10_000)}`,
      method: 'GET',
      expect: 400,
    },
    { name: 'GET with bad top_k', path: '/api/search?q=belt&top_k=abc', method: 'GET', expect: 400 },
    {
      name: 'GET with 500 × U+FDFA',
      path: `/api/search?q=${encodeURIComponent('\uFDFA'.repeat(500))}`,
      method: 'GET',
      expect: 400,
    },
    ...feedbackCases(),
    ...(await feedbackListCases()),
    ...apiKeyCases(),
  ]
}

/** X-API-Key: present is never ignored; every bad value is a 401 `invalid_api_key`. */
function apiKeyCases(): Case[] {
  const k = (name: string, key: string, path = SEARCH): Case => ({
    name: `X-API-Key: ${name}`,
    path,
    body: path === SEARCH ? json({ query: 'belt' }) : json({ trace_id: 'ab'.repeat(16), rating: 'up' }),
    headers: { 'x-api-key': key },
    expect: 401,
  })
  const unknown = `wwmaa_${'A'.repeat(43)}`
  return [
    k('empty', ''),
    k('unknown key', unknown),
    k('valid key with one character more', `${apiClient.key}x`),
    k('the key’s SHA-256 instead of the key', apiClient.entry.key_sha256),
    k('two keys in one header', `${apiClient.key}, ${apiClient.key}`),
    k('inner whitespace', 'wwmaa_abc def ghi jkl mno pqr'),
    k('too short', 'abc'),
    k('10 KB key', 'k'.repeat(10_000)),
    k('Bearer-style value', `Bearer ${apiClient.key}`),
    k('unknown key on feedback', unknown, FEEDBACK),
  ]
}

async function feedbackListCases(): Promise<Case[]> {
  const admin = { authorization: `Bearer ${await token({ role: 'admin' }, '1h')}` }
  const member = { authorization: `Bearer ${await token({ role: 'member' }, '1h')}` }
  const get = (name: string, query: string, headers: Record<string, string>, status: number): Case => ({
    name,
    path: `${FEEDBACK}?${query}`,
    method: 'GET',
    headers,
    expect: status,
  })
  return [
    get('feedback list: member', 'flagged=true', member, 403),
    get('feedback list: admin, flagged=maybe', 'flagged=maybe', admin, 400),
    get('feedback list: admin, limit 0', 'flagged=true&limit=0', admin, 400),
    get('feedback list: admin, limit 101', 'limit=101', admin, 400),
    get('feedback list: admin, negative offset', 'offset=-1', admin, 400),
    get('feedback list: admin, unknown parameter', 'flagged=true&user=x', admin, 400),
  ]
}

/** POST /api/search/feedback (both bodies) and its admin listing. */
function feedbackCases(): Case[] {
  const path = FEEDBACK
  const trace = 'ab'.repeat(16)
  const f = (body: unknown): Case => ({ name: '', path, body: json(body), expect: 400 })
  const cases: Array<[string, Case]> = [
    ['feedback: empty body', { ...f(''), body: '' }],
    ['feedback: empty object', f({})],
    ['feedback: rating only', f({ rating: 'up' })],
    [
      'feedback: both trace_id and query_id',
      f({ trace_id: trace, query_id: crypto.randomUUID(), rating: 'up' }),
    ],
    ['feedback: short trace_id', f({ trace_id: 'abc', rating: 'up' })],
    ['feedback: non-hex trace_id', f({ trace_id: 'zz'.repeat(16), rating: 'up' })],
    ['feedback: all-zero trace_id', f({ trace_id: '0'.repeat(32), rating: 'down' })],
    ['feedback: numeric trace_id', f({ trace_id: 12345, rating: 'up' })],
    ['feedback: unknown rating', f({ trace_id: trace, rating: 'meh' })],
    ['feedback: boolean rating', f({ trace_id: trace, rating: true })],
    ['feedback: unknown reason', f({ trace_id: trace, rating: 'down', reason: 'boring' })],
    ['feedback: 1001-character comment', f({ trace_id: trace, rating: 'down', comment: 'x'.repeat(1001) })],
    ['feedback: object comment', f({ trace_id: trace, rating: 'down', comment: { text: 'x' } })],
    ['feedback: extra field', f({ trace_id: trace, rating: 'up', admin: true })],
    ['feedback: legacy without query_id', f({ rating: 'negative' })],
    ['feedback: legacy with a non-UUID query_id', f({ query_id: '1234', rating: 'positive' })],
    [
      'feedback: legacy 2001-character text',
      f({ query_id: crypto.randomUUID(), rating: 'negative', feedback_text: 'x'.repeat(2001) }),
    ],
    [
      'feedback: legacy rating with reason',
      f({ query_id: crypto.randomUUID(), rating: 'negative', reason: 'wrong' }),
    ],
    ['feedback: mixed vocabularies', f({ trace_id: trace, rating: 'positive' })],
    ['feedback: JSON array', { ...f(null), body: '[]' }],
    ['feedback: truncated JSON', { ...f(null), body: '{"trace_id": "ab' }],
    [
      'feedback: text/plain',
      { ...f({ trace_id: trace, rating: 'up' }), headers: { 'content-type': 'text/plain' }, expect: 415 },
    ],
    [
      'feedback: 100 KB body',
      { ...f({ trace_id: trace, rating: 'up', comment: 'x'.repeat(100_000) }), expect: 413 },
    ],
    ['feedback: unknown trace_id', { ...f({ trace_id: trace, rating: 'up' }), expect: 404 }],
    ['feedback list: anonymous', { name: '', path: `${path}?flagged=true`, method: 'GET', expect: 401 }],
    ['feedback list: bad flagged', { name: '', path: `${path}?flagged=maybe`, method: 'GET', expect: 401 }],
  ]
  return cases.map(([name, c]) => ({ ...c, name }))
}

async function send(c: Case): Promise<Response> {
  const method = c.method ?? 'POST'
  const headers = { ...(method === 'GET' ? {} : jsonHeaders), ...c.headers }
  return h.fetch(c.path ?? SEARCH, { method, headers, body: method === 'GET' ? undefined : c.body })
}

async function expectErrorShape(res: Response) {
  const body = (await res.json()) as { error?: { code?: unknown; message?: unknown }; trace_id?: unknown }
  expect(typeof body.error?.code).toBe('string')
  expect(typeof body.error?.message).toBe('string')
  expect(body.trace_id).toMatch(/^[0-9a-f]{32}$/)
  expect(JSON.stringify(body)).not.toMatch(/ZodError|"issues"|at .*\.ts:\d+/)
}

describe('the bad-input corpus', async () => {
  const all = await cases()
  it('has at least 40 cases', () => {
    expect(all.length).toBeGreaterThanOrEqual(40)
  })
  it.each(all.map((c) => [c.name, c] as const))(
    'answers %s with a 4xx in the error shape',
    async (_name, c) => {
      const res = await send(c)
      expect(res.status).toBe(c.expect)
      await expectErrorShape(res)
    },
  )

  it.each([
    ['control characters around words', '\u0000how do I\u0007 tie my belt\u001b'],
    ['mixed scripts', 'Как завязать пояс 帯の結び方 belt'],
    ['emoji', '🥋 belt 🥋'],
    ['right-to-left override', '\u202Ebelt tie'],
    ['exactly 500 characters', `belt ${'a'.repeat(495)}`],
    ['27 × U+FDFA (486 after NFKC)', '\uFDFA'.repeat(27)],
    ['SQL-ish text', "belt'; DROP TABLE documents; --"],
  ])('accepts %s as a query', async (_name, query) => {
    const res = await h.post(SEARCH, { query })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { answer: unknown }
    expect(typeof body.answer).toBe('string')
  })
})

describe('fuzzing the search body', () => {
  const value = fc.oneof(
    fc.string({ maxLength: 600 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  )
  const body = fc.record(
    {
      query: fc.oneof(value, fc.string({ minLength: 1, maxLength: 80 })),
      top_k: fc.oneof(value, fc.integer({ min: -5, max: 30 })),
      bypass_cache: value,
      stream: fc.oneof(fc.boolean(), value),
      filters: fc.oneof(
        value,
        fc.record({
          source_type: fc.oneof(value, fc.constantFrom('article', 'technique', 'event', 'profile')),
        }),
      ),
      extra: value,
    },
    { requiredKeys: [] },
  )

  it('never answers 5xx and always uses the error shape for 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const res = await h.post(SEARCH, payload, { accept: 'application/json' })
        expect(res.status).toBeLessThan(500)
        if (res.status >= 400) await expectErrorShape(res)
        else await res.arrayBuffer()
      }),
      { numRuns: 120 },
    )
  })

  it('never answers 5xx to arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (raw) => {
        const res = await h.fetch(SEARCH, { method: 'POST', headers: jsonHeaders, body: raw })
        expect(res.status).toBeLessThan(500)
        await res.arrayBuffer()
      }),
      { numRuns: 80 },
    )
  })
})

describe('fuzzing the feedback body', () => {
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  )
  const body = fc.record(
    {
      trace_id: fc.oneof(value, fc.stringMatching(/^[0-9a-g]{30,33}$/)),
      query_id: fc.oneof(value, fc.uuid()),
      rating: fc.oneof(value, fc.constantFrom('up', 'down', 'positive', 'negative')),
      reason: fc.oneof(value, fc.constantFrom('wrong', 'incomplete', 'other')),
      comment: fc.oneof(value, fc.string({ maxLength: 1100 })),
      feedback_text: value,
    },
    { requiredKeys: [] },
  )

  it('never answers 5xx and always uses the error shape for 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const res = await h.post(FEEDBACK, payload)
        expect(res.status).toBeLessThan(500)
        if (res.status >= 400) await expectErrorShape(res)
        else await res.arrayBuffer()
      }),
      { numRuns: 60 },
    )
  })
})
