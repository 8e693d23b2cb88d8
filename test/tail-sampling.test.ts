import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { endNs, freshQuery, one, parseSse, rootOf, startNs, traceWith } from './search-support.ts'

/**
 * Production settings (parentbased_traceidratio) at ratio 0: the head sampler keeps nothing, so
 * every trace the real receiver gets was kept by the tail rule, through otel-cf-workers' own
 * processor and exporter. Latency is injected into the local upstreams with wide margins around
 * OTEL_SLOW_TRACE_MS, so that a loaded machine cannot flip an outcome.
 */
const SLOW_MS = 2000
const INJECTED_MS = 3000
const REQUEST_TIMEOUT_MS = 6000
const PRODUCTION = {
  OTEL_DEPLOYMENT_ENVIRONMENT: 'production',
  OTEL_TRACES_SAMPLER_ARG: '0',
  OTEL_SLOW_TRACE_MS: String(SLOW_MS),
  REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  ZERODB_MAX_RETRIES: '0',
  // Above the request deadline, so that a hung ZeroDB call meets the deadline first.
  ZERODB_TIMEOUT_MS: '20000',
}

let stack: LocalStack
let h: Harness
beforeAll(async () => {
  stack = await startLocalStack()
  h = await startHarness({ stack, vars: PRODUCTION })
})
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})
afterEach(() => {
  stack.zerodb.faults.clear()
  stack.openai.faults.clear()
})

const ms = (ns: bigint) => Number(ns) / 1e6
const traceIdOf = (res: Response) => res.headers.get('x-trace-id') ?? ''

/** Whether the trace reached the receiver, judged after a later, kept trace has arrived. */
async function exported(res: Response): Promise<boolean> {
  const marker = await h.fetch('/no/such/route/is/a/4xx') // dropped: ratio 0, fast, not a 5xx
  await marker.arrayBuffer()
  stack.zerodb.faults.set({ match: '/vectors/search', status: 500, times: 1 })
  const kept = await h.post('/api/search/query', { query: freshQuery() })
  expect(kept.status).toBe(502)
  await stack.otlp.waitForTrace(traceIdOf(kept), { minSpans: 2, timeoutMs: 15_000 })
  // Exports are per trace and independent: give the earlier one a moment more than the later.
  await new Promise((r) => setTimeout(r, 500))
  expect(stack.otlp.traces().has(traceIdOf(marker))).toBe(false)
  return stack.otlp.traces().has(traceIdOf(res))
}

describe('tail sampling at ratio 0 with production settings', () => {
  it('does not export a fast, successful search', async () => {
    const res = await h.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    expect(await exported(res)).toBe(false)
  })

  it('exports a search whose similarity lookup failed open: the lookup is a failed ZeroDB call', async () => {
    const similar = await startHarness({ stack, vars: { ...PRODUCTION, SEARCH_SIMILAR_CACHE: 'true' } })
    try {
      stack.zerodb.faults.set({
        match: '/vectors/search',
        bodyIncludes: 'wwmaa_similar_questions',
        status: 500,
      })
      const res = await similar.post('/api/search/query', { query: freshQuery() })
      expect(res.status).toBe(200)
      await res.arrayBuffer()
      stack.zerodb.faults.clear()
      expect(await exported(res)).toBe(true)
      const lookup = one(
        await traceWith(h, res, 'search.similar_cache.lookup'),
        'search.similar_cache.lookup',
      )
      expect(lookup.status.code).toBe(2)
    } finally {
      await similar.stop()
    }
  })

  it('exports a search slower than OTEL_SLOW_TRACE_MS, without marking it as an error', async () => {
    stack.zerodb.faults.set({ match: '/vectors/search', latencyMs: INJECTED_MS, times: 1 })
    const res = await h.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const spans = await traceWith(h, res, 'search.respond', 'search.vector_search')
    const root = rootOf(spans)
    expect(ms(endNs(root) - startNs(root))).toBeGreaterThanOrEqual(SLOW_MS)
    expect(spans.every((s) => s.status.code !== 2)).toBe(true)
  })

  it('exports a slow stream whose request span ended fast: step 11 lasts the stream', async () => {
    stack.openai.faults.set({ match: '/chat/completions', latencyMs: INJECTED_MS, times: 1 })
    const res = await h.post('/api/search/query', { query: freshQuery(), stream: true })
    const events = parseSse(await res.text())
    expect(events.at(-1)?.event).toBe('done')
    const spans = await traceWith(h, res, 'search.respond', 'search.generate_answer', 'search.log_query')
    const root = rootOf(spans)
    const respond = one(spans, 'search.respond')
    // The headers went out before the model answered; the trace lasts until the last event.
    expect(ms(endNs(root) - startNs(root))).toBeLessThan(SLOW_MS)
    expect(ms(endNs(respond) - startNs(root))).toBeGreaterThanOrEqual(SLOW_MS)
    expect(respond.attributes['wwmaa.stream.outcome']).toBe('completed')
  })

  it('exports and marks every 5xx: 502 from an upstream, 504 at the request deadline', async () => {
    stack.zerodb.faults.set({ match: '/vectors/search', status: 500, times: 1 })
    const bad = await h.post('/api/search/query', { query: freshQuery() })
    expect(bad.status).toBe(502)
    stack.zerodb.faults.set({ match: '/vectors/search', hang: true, times: 1 })
    const late = await h.post('/api/search/query', { query: freshQuery() })
    expect(late.status).toBe(504)
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('request_timeout')

    const badRoot = rootOf(await stack.otlp.waitForTrace(traceIdOf(bad), { minSpans: 2, timeoutMs: 15_000 }))
    expect(badRoot.status.code).toBe(2)
    expect(badRoot.attributes).toMatchObject({ 'error.type': '500', 'wwmaa.error.upstream': 'zerodb' })
    const lateRoot = rootOf(
      await stack.otlp.waitForTrace(traceIdOf(late), { minSpans: 2, timeoutMs: 15_000 }),
    )
    expect(lateRoot.status.code).toBe(2)
    expect(lateRoot.attributes).toMatchObject({
      'http.response.status_code': 504,
      'error.type': 'request_timeout',
      'error.message': `The request did not complete within ${REQUEST_TIMEOUT_MS} ms`,
    })
  })

  it('ends a stream that outlives the request deadline with an error event, and keeps its trace', async () => {
    stack.openai.faults.set({ match: '/chat/completions', latencyMs: REQUEST_TIMEOUT_MS + 4000, times: 1 })
    const res = await h.post('/api/search/query', { query: freshQuery(), stream: true })
    expect(res.status).toBe(200)
    const events = parseSse(await res.text())
    // Sources and media went out; the answer never came, so no delta and no `done`.
    expect(events.map((e) => e.event)).toEqual(['sources', 'media', 'error'])
    expect(events[2]?.data).toEqual({
      error: {
        code: 'request_timeout',
        message: `The answer did not complete within ${REQUEST_TIMEOUT_MS} ms`,
      },
      detail: `The answer did not complete within ${REQUEST_TIMEOUT_MS} ms`,
      trace_id: traceIdOf(res),
    })
    const spans = await traceWith(h, res, 'search.respond', 'search.generate_answer')
    const respond = one(spans, 'search.respond')
    expect(respond.status.code).toBe(2)
    expect(respond.attributes).toMatchObject({
      'wwmaa.stream.outcome': 'error',
      'error.type': 'request_timeout',
    })
    // The model call was aborted, not left to run until its own timeout.
    const chat = one(spans, 'chat gpt-4o-mini')
    expect(chat.attributes['wwmaa.stream.outcome']).toBe('cancelled')
    expect(ms(endNs(chat) - startNs(chat))).toBeLessThan(REQUEST_TIMEOUT_MS + 3000)
  })
})

describe('a 503 from configuration', () => {
  it('marks the request span and is exported at ratio 0', async () => {
    const broken = await startHarness({ stack, seed: false, vars: { ...PRODUCTION, JWT_SECRET: '' } })
    try {
      const res = await broken.post('/api/search/query', { query: 'kata' })
      expect(res.status).toBe(503)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_configured')
      const [root] = await stack.otlp.waitForTrace(traceIdOf(res), { timeoutMs: 15_000 })
      expect(root?.status.code).toBe(2)
      expect(root?.attributes).toMatchObject({
        'http.response.status_code': 503,
        'error.type': 'not_configured',
      })
      expect(String(root?.attributes['error.message'])).toContain('JWT_SECRET')
    } finally {
      await broken.stop()
    }
  })
})
