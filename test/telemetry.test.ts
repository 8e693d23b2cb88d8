import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'

const REMOTE_TRACE = '0af7651916cd43dd8448eb211c80319c'
const REMOTE_PARENT = 'b7ad6b7169203331'

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack()
})
afterAll(async () => {
  await stack?.stop()
})

async function rootSpans(h: Harness, settleMs = 600) {
  await new Promise((r) => setTimeout(r, settleMs))
  return h.stack.otlp.spans().filter((s) => s.kind === 2)
}

describe('development defaults: every request is a complete trace', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      stack,
      seed: false,
      vars: { OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=team%20key%3D1,x-honeycomb-dataset=wwmaa' },
    })
  })
  afterAll(() => h?.stop())

  it('exports the resource, the route-named root span and its HTTP attributes', async () => {
    const res = await h.fetch('/health', { headers: { 'user-agent': 'e2e-agent/1.0' } })
    expect(res.status).toBe(200)
    const traceId = res.headers.get('x-trace-id')
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    const [root] = await h.stack.otlp.waitForTrace(traceId ?? '', { minSpans: 1 })
    expect(root?.name).toBe('GET /health')
    expect(root?.kind).toBe(2)
    expect(root?.attributes).toMatchObject({
      'http.route': '/health',
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'user_agent.original': 'e2e-agent/1.0',
    })
    expect(root?.resource).toMatchObject({
      'service.name': 'wwmaa-backend',
      'service.version': '0.1.0',
      'service.namespace': 'wwmaa',
      'deployment.environment.name': 'development',
      'deployment.environment': 'development',
    })
  })

  it('reports the data centre and the country from the cf-ray and cf-ipcountry headers', async () => {
    const res = await h.fetch('/health', {
      headers: { 'cf-ray': '8c2f1a2b3c4d5e6f-SJC', 'cf-ipcountry': 'JP' },
    })
    const [root] = await h.stack.otlp.waitForTrace(res.headers.get('x-trace-id') ?? '', { minSpans: 1 })
    expect(root?.attributes).toMatchObject({ 'wwmaa.cf.colo': 'SJC', 'geo.country.iso_code': 'JP' })
    // Nothing else comes from request.cf, whose first read deserialises the whole object.
    expect(root?.attributes['net.tls_version']).toBeUndefined()
  })

  it('sends the configured OTLP headers, percent-decoded', async () => {
    await h.fetch('/health')
    const payload = h.stack.otlp.payloads().at(-1)
    expect(payload?.headers['x-honeycomb-team']).toBe('team key=1')
    expect(payload?.headers['x-honeycomb-dataset']).toBe('wwmaa')
  })

  it('continues an incoming traceparent and returns the exported trace id', async () => {
    const res = await h.fetch('/health', {
      headers: { traceparent: `00-${REMOTE_TRACE}-${REMOTE_PARENT}-01` },
    })
    expect(res.headers.get('x-trace-id')).toBe(REMOTE_TRACE)
    expect(res.headers.get('traceresponse')).toMatch(new RegExp(`^00-${REMOTE_TRACE}-[0-9a-f]{16}-01$`))
    const [root] = await h.stack.otlp.waitForTrace(REMOTE_TRACE, { minSpans: 1 })
    expect(root?.parentSpanId).toBe(REMOTE_PARENT)
    expect(res.headers.get('traceresponse')).toContain(root?.spanId)
  })

  it('makes the request span the active span inside a handler', async () => {
    const res = await h.fetch('/health')
    const [root] = await h.stack.otlp.waitForTrace(res.headers.get('x-trace-id') ?? '', { minSpans: 1 })
    // /health writes wwmaa.health.status through trace.getActiveSpan(): it lands on the root span.
    expect(root?.attributes['wwmaa.health.status']).toBe('healthy')
  })

  it('exports every trace of a burst, several to an export request, none lost', async () => {
    const before = h.stack.otlp.payloads().length
    const replies = await Promise.all(Array.from({ length: 40 }, () => h.fetch('/health')))
    const ids = replies.map((res) => res.headers.get('x-trace-id') ?? '')
    for (const id of ids) await h.stack.otlp.waitForTrace(id, { minSpans: 1 })
    const requests = h.stack.otlp.payloads().length - before
    // A flush sends every trace finished by then in one POST: a burst shares POSTs.
    expect(requests).toBeGreaterThan(0)
    expect(requests).toBeLessThan(ids.length)
  })

  it('names unmatched requests by method only and answers a JSON 404', async () => {
    const res = await h.fetch('/no/such/route')
    expect(res.status).toBe(404)
    const body = (await res.json()) as { error: { code: string }; trace_id: string }
    expect(body.error.code).toBe('not_found')
    expect(body.trace_id).toBe(res.headers.get('x-trace-id'))
    const [root] = await h.stack.otlp.waitForTrace(body.trace_id, { minSpans: 1 })
    expect(root?.name).toBe('GET')
    expect(root?.attributes['http.route']).toBeUndefined()
  })
})

describe('production sampling', () => {
  it('drops healthy traces at ratio 0 but keeps a request that fails', async () => {
    const h = await startHarness({
      stack,
      vars: {
        OTEL_DEPLOYMENT_ENVIRONMENT: 'production',
        OTEL_TRACES_SAMPLER_ARG: '0',
        ZERODB_MAX_RETRIES: '0',
      },
    })
    try {
      stack.otlp.clear()
      for (let i = 0; i < 20; i++) expect((await h.fetch('/health')).status).toBe(200)
      stack.zerodb.faults.set({ match: '/vectors/search', status: 500, body: { detail: 'boom' } })
      const failed = await h.post('/api/search/query', { query: 'how do I tie my belt', bypass_cache: true })
      stack.zerodb.faults.clear()
      expect(failed.status).toBe(502)
      const failedTrace = failed.headers.get('x-trace-id') ?? ''
      const spans = await stack.otlp.waitForTrace(failedTrace, { minSpans: 2 })
      expect(spans.some((s) => s.status.code === 2)).toBe(true)
      const roots = await rootSpans(h)
      expect(roots.map((s) => s.traceId)).toEqual([failedTrace])
    } finally {
      await h.stop()
    }
  })

  it('exports about 10% of traces at ratio 0.1 over 500 requests', async () => {
    const h = await startHarness({ stack, seed: false, vars: { OTEL_DEPLOYMENT_ENVIRONMENT: 'production' } })
    try {
      stack.otlp.clear()
      const health = (await (await h.fetch('/health')).json()) as {
        tracing: { sampler: string; sampler_ratio: number }
      }
      expect(health.tracing).toMatchObject({ sampler: 'parentbased_traceidratio', sampler_ratio: 0.1 })
      for (let batch = 0; batch < 25; batch++) {
        const responses = await Promise.all(Array.from({ length: 20 }, () => h.fetch('/health')))
        for (const r of responses) expect(r.status).toBe(200)
      }
      const exported = new Set((await rootSpans(h, 1500)).map((s) => s.traceId)).size
      // 501 requests; binomial(501, 0.1) stays inside 25..75 with probability > 0.9998.
      expect(exported).toBeGreaterThanOrEqual(25)
      expect(exported).toBeLessThanOrEqual(75)
    } finally {
      await h.stop()
    }
  })
})

describe('a collector outage', () => {
  it('keeps answering 200 when the receiver is gone', async () => {
    const own = await startLocalStack()
    const h = await startHarness({ stack: own, seed: false })
    try {
      expect((await h.fetch('/health')).status).toBe(200)
      await own.otlp.close()
      for (let i = 0; i < 5; i++) expect((await h.fetch('/health')).status).toBe(200)
    } finally {
      await h.stop()
      await own.stop()
    }
  })
})
