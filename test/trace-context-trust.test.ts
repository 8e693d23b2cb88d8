import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlatSpan } from '../local/servers/otlp-spans.ts'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, rootOf, type SearchBody, traceOf } from './search-support.ts'

/**
 * Issue 28, finding 5: in production a caller's `traceparent` is advice, not orders. An untrusted
 * caller neither forces export (`-01`) nor hides a request from head sampling (`-00`), and does not
 * pick the trace id: the Worker starts its own trace and links the caller's context. Callers on
 * TRACE_CONTEXT_TRUSTED_CIDRS, and every caller outside production, are continued as before.
 * Everything is read where it crosses a boundary: response headers and what the OTLP receiver got.
 */
const hex = (bytes: number) => randomBytes(bytes).toString('hex')
const traceparent = (traceId: string, spanId: string, sampled: boolean) =>
  `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`
const traceIdOf = (res: Response) => res.headers.get('x-trace-id') ?? ''
const serverRoots = (spans: FlatSpan[]) => spans.filter((s) => s.kind === 2)
// Admin-only: an anonymous caller gets a 401 before any upstream is called.
const CHEAP_401 = '/api/search/feedback?flagged=true'

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack()
})
afterAll(async () => {
  await stack?.stop()
})

/** Waits for a trace the tail keeps (a 5xx); any earlier export has landed by then. */
async function afterAKeptTrace(h: Harness): Promise<void> {
  stack.zerodb.faults.set({ match: '/vectors/search', status: 500, times: 1 })
  const kept = await h.post('/api/search/query', { query: freshQuery() })
  expect(kept.status).toBe(502)
  await stack.otlp.waitForTrace(traceIdOf(kept), { minSpans: 2, timeoutMs: 15_000 })
  await new Promise((r) => setTimeout(r, 500))
}

describe('production, head sampling ratio 0: a sampled traceparent does not force export', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      stack,
      seed: false,
      vars: {
        OTEL_DEPLOYMENT_ENVIRONMENT: 'production',
        OTEL_TRACES_SAMPLER_ARG: '0',
        ZERODB_MAX_RETRIES: '0',
      },
    })
  })
  afterAll(() => h?.stop())

  it('exports none of a flood of 401s that each carry a sampled traceparent', async () => {
    stack.otlp.clear()
    const callerTraces = Array.from({ length: 60 }, () => hex(16))
    const replies = await Promise.all(
      callerTraces.map((id) =>
        h.fetch(CHEAP_401, { headers: { traceparent: traceparent(id, hex(8), true) } }),
      ),
    )
    for (const res of replies) {
      expect(res.status).toBe(401)
      await res.arrayBuffer()
    }
    const ours = replies.map(traceIdOf)
    for (const [i, id] of ours.entries()) expect(id).not.toBe(callerTraces[i])
    await afterAKeptTrace(h)
    const exported = new Set(stack.otlp.spans().map((s) => s.traceId))
    for (const id of [...callerTraces, ...ours]) expect(exported.has(id), id).toBe(false)
    expect(exported.size).toBe(1)
  })

  it('still keeps a failing request that carried an unsampled traceparent (tail sampling)', async () => {
    stack.zerodb.faults.set({ match: '/vectors/search', status: 500, times: 1 })
    const callerTrace = hex(16)
    const res = await h.post(
      '/api/search/query',
      { query: freshQuery() },
      { traceparent: traceparent(callerTrace, hex(8), false) },
    )
    expect(res.status).toBe(502)
    expect(traceIdOf(res)).not.toBe(callerTrace)
    const spans = await stack.otlp.waitForTrace(traceIdOf(res), { minSpans: 2, timeoutMs: 15_000 })
    expect(rootOf(spans).links?.map((l) => l.traceId)).toEqual([callerTrace])
  })
})

describe('production, ratio 1: an untrusted caller gets its own trace, linked to the caller’s', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      stack,
      vars: { OTEL_DEPLOYMENT_ENVIRONMENT: 'production', OTEL_TRACES_SAMPLER_ARG: '1' },
    })
  })
  afterAll(() => h?.stop())

  it('exports a successful request whose traceparent says unsampled', async () => {
    const callerTrace = hex(16)
    const res = await h.fetch('/health', {
      headers: { traceparent: traceparent(callerTrace, hex(8), false) },
    })
    expect(res.status).toBe(200)
    expect(traceIdOf(res)).not.toBe(callerTrace)
    expect(res.headers.get('traceresponse')).toMatch(new RegExp(`^00-${traceIdOf(res)}-[0-9a-f]{16}-01$`))
    const [root] = serverRoots(await traceOf(h, res))
    expect(root?.name).toBe('GET /health')
  })

  it('replaces a caller-chosen trace id and links the root span to the caller’s context', async () => {
    const callerTrace = hex(16)
    const callerSpan = hex(8)
    const res = await h.fetch('/health', {
      headers: { traceparent: traceparent(callerTrace, callerSpan, true), tracestate: 'vendor=abc' },
    })
    const traceId = traceIdOf(res)
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(traceId).not.toBe(callerTrace)
    const [root] = serverRoots(await traceOf(h, res))
    expect(root?.parentSpanId).toBeUndefined()
    expect(root?.links).toEqual([{ traceId: callerTrace, spanId: callerSpan, attributes: {} }])
    expect(root?.attributes['trace_context.remote']).toBe('linked')
    expect(stack.otlp.traces().has(callerTrace)).toBe(false)
  })

  it('gives two searches sent with the same traceparent two trace ids, so feedback can tell them apart', async () => {
    const headers = { traceparent: traceparent(hex(16), hex(8), true) }
    const first = await h.post('/api/search/query', { query: freshQuery() }, headers)
    const second = await h.post('/api/search/query', { query: freshQuery() }, headers)
    const [a, b] = (await Promise.all([first.json(), second.json()])) as SearchBody[]
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    expect(a?.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(b?.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(a?.trace_id).not.toBe(b?.trace_id)
  })
})

describe('production: callers on TRACE_CONTEXT_TRUSTED_CIDRS keep steering their trace', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      stack,
      seed: false,
      vars: {
        OTEL_DEPLOYMENT_ENVIRONMENT: 'production',
        OTEL_TRACES_SAMPLER_ARG: '0',
        // wrangler's dev server reports a loopback caller as 127.0.0.1 in cf-connecting-ip.
        TRACE_CONTEXT_TRUSTED_CIDRS: '127.0.0.1/32, 10.20.0.0/16',
      },
    })
  })
  afterAll(() => h?.stop())

  async function continued(headers: Record<string, string>): Promise<boolean> {
    const callerTrace = hex(16)
    const callerSpan = hex(8)
    const res = await h.fetch('/health', {
      headers: { traceparent: traceparent(callerTrace, callerSpan, true), ...headers },
    })
    expect(res.status).toBe(200)
    if (traceIdOf(res) !== callerTrace) return false
    // Continued: the caller's sampled flag is honoured even at ratio 0, and its span is the parent.
    const [root] = serverRoots(await stack.otlp.waitForTrace(callerTrace))
    expect(root?.parentSpanId).toBe(callerSpan)
    expect(root?.links ?? []).toEqual([])
    expect(root?.attributes['trace_context.remote']).toBe('parent')
    return true
  }

  it('continues a caller on a trusted network: same trace id, parent and sampling honoured', async () => {
    expect(await continued({})).toBe(true)
    // As Cloudflare sets it for a caller from a listed private network.
    expect(await continued({ 'cf-connecting-ip': '10.20.3.4' })).toBe(true)
  })

  it('does not continue a caller outside the list, whatever x-forwarded-for claims', async () => {
    expect(await continued({ 'cf-connecting-ip': '198.51.100.7' })).toBe(false)
    expect(await continued({ 'cf-connecting-ip': '198.51.100.7', 'x-forwarded-for': '10.20.3.4' })).toBe(
      false,
    )
  })
})

describe('development keeps continuing every caller’s trace', () => {
  it('uses the caller’s trace id and parent', async () => {
    const h = await startHarness({ stack, seed: false })
    try {
      const callerTrace = hex(16)
      const callerSpan = hex(8)
      const res = await h.fetch('/health', {
        headers: { traceparent: traceparent(callerTrace, callerSpan, true) },
      })
      expect(traceIdOf(res)).toBe(callerTrace)
      const [root] = serverRoots(await stack.otlp.waitForTrace(callerTrace))
      expect(root?.parentSpanId).toBe(callerSpan)
    } finally {
      await h.stop()
    }
  })
})
