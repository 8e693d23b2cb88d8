import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, rootOf, type SearchBody, traceWith } from './search-support.ts'
import { findSecrets } from './secrets-scan.ts'

/**
 * Issue 24, API clients: a server calls with `X-API-Key`, the way the original WWMAA website's
 * Next.js route (app/api/search/route.ts) calls from its server. The key comes from
 * `npm run token -- --api-client`, the Worker runs as in production (ratio 1, so every trace is
 * exported) and everything is read where it crosses a boundary: HTTP answers and what the OTLP
 * receiver got.
 */
const run = promisify(execFile)
const SEARCH = '/api/search/query'
const ROOT = `POST ${SEARCH}`
const hex = (bytes: number) => randomBytes(bytes).toString('hex')
const traceIdOf = (res: Response) => res.headers.get('x-trace-id') ?? ''
// Well-formed keys the Worker does not know, and a malformed one: none may leave a trace either.
const UNKNOWN_KEY = `wwmaa_${randomBytes(32).toString('base64url')}`
const MALFORMED_KEY = `wwmaa_bad key ${hex(8)}`

/** The original route's request, verbatim: only Content-Type, and bypass_cache from its public URL. */
function originalRoute(h: Harness, query: string): Promise<Response> {
  return fetch(`${h.url}${SEARCH}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: query.trim(), bypass_cache: false }),
  })
}

/** The same route after the README's change: two headers more, and no bypass_cache. */
function changedRoute(h: Harness, query: string, apiKey: string, extra: Record<string, string> = {}) {
  return fetch(`${h.url}${SEARCH}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-API-Key': apiKey,
      'X-Forwarded-For': '203.0.113.7',
      ...extra,
    },
    body: JSON.stringify({ query: query.trim() }),
  })
}

/** What the route reads from a search answer (its SearchResult mapping). */
function expectRouteFields(body: SearchBody) {
  expect(typeof body.answer).toBe('string')
  expect(Array.isArray(body.sources)).toBe(true)
  expect(Array.isArray(body.media.images)).toBe(true)
  expect(Array.isArray(body.media.videos)).toBe(true)
  expect(Array.isArray(body.related_queries)).toBe(true)
  expect(typeof body.cached).toBe('boolean')
}

let stack: LocalStack
let h: Harness
let key: string
beforeAll(async () => {
  const { stdout } = await run('node', ['--import', 'tsx', 'scripts/token.ts', '--api-client', 'wwmaa-site'])
  const [printedKey, entry] = stdout.trim().split('\n')
  key = printedKey ?? ''
  expect(key).toMatch(/^wwmaa_[\w-]{43}$/)
  expect(entry).not.toContain(key)
  stack = await startLocalStack()
  h = await startHarness({
    stack,
    vars: {
      OTEL_DEPLOYMENT_ENVIRONMENT: 'production',
      OTEL_TRACES_SAMPLER_ARG: '1',
      API_CLIENTS: `[${entry}]`,
    },
  })
})
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})

describe('the original site’s route, with and without a key', () => {
  it('answers the changed route (X-API-Key, X-Forwarded-For) and names the client on the root span', async () => {
    const res = await changedRoute(h, '  how do I tie my belt ', key)
    expect(res.status).toBe(200)
    expectRouteFields((await res.json()) as SearchBody)
    const root = rootOf(await traceWith(h, res, ROOT))
    expect(root.name).toBe(ROOT)
    expect(root.attributes['wwmaa.api_client.id']).toBe('wwmaa-site')
  })

  it('still answers the original route’s exact request, anonymously', async () => {
    const res = await originalRoute(h, freshQuery())
    expect(res.status).toBe(200)
    expectRouteFields((await res.json()) as SearchBody)
    const root = rootOf(await traceWith(h, res, ROOT))
    expect(root.attributes['wwmaa.api_client.id']).toBeUndefined()
    expect(root.attributes['user.id']).toBe('anonymous')
  })
})

describe('a key that is not right is a 401, never anonymous', () => {
  it.each([
    ['an unknown key', UNKNOWN_KEY, 'not the key of any configured API client'],
    ['a malformed key', MALFORMED_KEY, 'malformed'],
    ['an empty key', '', 'empty'],
  ])('answers %s with invalid_api_key, without the key in the body', async (_name, badKey, says) => {
    const res = await changedRoute(h, freshQuery(), badKey)
    expect(res.status).toBe(401)
    const text = await res.text()
    const body = JSON.parse(text) as { error: { code: string; message: string }; trace_id: string }
    expect(body.error.code).toBe('invalid_api_key')
    expect(body.error.message).toContain(says)
    expect(body.trace_id).toMatch(/^[0-9a-f]{32}$/)
    if (badKey) expect(text).not.toContain(badKey)
    const root = rootOf(await traceWith(h, res, ROOT))
    expect(root.attributes['wwmaa.api_client.id']).toBeUndefined()
  })

  it('refuses a key on the other API routes too (feedback)', async () => {
    const res = await fetch(`${h.url}/api/search/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': UNKNOWN_KEY },
      body: JSON.stringify({ trace_id: hex(16), rating: 'up' }),
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key')
  })
})

describe('an API client is a trusted source of trace context (production policy)', () => {
  const traceparent = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`

  it('continues a keyed request’s traceparent: same trace id, the caller’s span as parent', async () => {
    const callerTrace = hex(16)
    const callerSpan = hex(8)
    const res = await changedRoute(h, freshQuery(), key, {
      traceparent: traceparent(callerTrace, callerSpan),
    })
    expect(res.status).toBe(200)
    expect(traceIdOf(res)).toBe(callerTrace)
    const root = rootOf(await traceWith(h, res, ROOT))
    expect(root.parentSpanId).toBe(callerSpan)
    expect(root.attributes['wwmaa.trace_context.remote']).toBe('parent')
  })

  it.each([
    ['without a key', undefined],
    ['with an unknown key', UNKNOWN_KEY],
  ])('starts its own trace, linked to the caller’s, %s', async (_name, badKey) => {
    const callerTrace = hex(16)
    const headers = { traceparent: traceparent(callerTrace, hex(8)), 'content-type': 'application/json' }
    const res = await fetch(`${h.url}${SEARCH}`, {
      method: 'POST',
      headers: badKey ? { ...headers, 'x-api-key': badKey } : headers,
      body: JSON.stringify({ query: freshQuery() }),
    })
    expect(res.status).toBe(badKey ? 401 : 200)
    expect(traceIdOf(res)).not.toBe(callerTrace)
    const root = rootOf(await traceWith(h, res, ROOT))
    expect(root.links?.map((l) => l.traceId)).toEqual([callerTrace])
    expect(root.attributes['wwmaa.trace_context.remote']).toBe('linked')
  })
})

describe('the key never reaches a trace', () => {
  it('exports neither the valid key nor a bad one, from any request above', async () => {
    // Ratio 1: every request above was exported; wait for the last one, then read everything.
    const last = await changedRoute(h, freshQuery(), key)
    await traceWith(h, last, ROOT)
    await new Promise((r) => setTimeout(r, 500))
    const text = JSON.stringify(stack.otlp.payloads().map((p) => p.body))
    expect(text).toContain('wwmaa.api_client.id')
    expect(findSecrets(text, [key, UNKNOWN_KEY, MALFORMED_KEY])).toEqual([])
  })
})

describe('API_CLIENTS unset', () => {
  let bare: Harness
  beforeAll(async () => {
    bare = await startHarness({ stack, seed: false })
  })
  afterAll(() => bare?.stop())

  it('refuses any key with 401, saying no API clients are configured', async () => {
    const res = await changedRoute(bare, freshQuery(), key)
    expect(res.status).toBe(401)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('invalid_api_key')
    expect(body.error.message).toContain('no API clients are configured')
  })

  it('answers a request without a key as before', async () => {
    const res = await originalRoute(bare, 'how do I tie my belt')
    expect(res.status).toBe(200)
  })
})
