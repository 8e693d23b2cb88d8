import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'

// OTEL_SEMCONV_STABILITY_OPT_IN on the root span, as the OTLP receiver gets it: `http/dup` (the
// default) keeps the original backend's Honeycomb queries working; `http` drops the old names.
// The old names' VALUES are checked here; which names may appear at all, on every span and under
// `http,database`, is test/semconv-conformance.test.ts's job.

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack()
})
afterAll(() => stack?.stop())

const OLD = ['http.method', 'http.url', 'http.status_code', 'http.user_agent']

async function rootOf(h: Harness, path: string) {
  const res = await h.fetch(path, { headers: { 'user-agent': 'compat-agent/2.0' } })
  await res.arrayBuffer()
  const traceId = res.headers.get('x-trace-id') ?? ''
  const spans = await h.stack.otlp.waitForTrace(traceId, { minSpans: 1 })
  const root = spans.find((s) => s.kind === 2 && !s.parentSpanId)
  expect(root).toBeDefined()
  return { res, attributes: root?.attributes ?? {} }
}

describe('default (http/dup)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ stack, seed: false })
  })
  afterAll(() => h?.stop())

  it('puts http.method, http.url, http.status_code and http.user_agent beside the new names', async () => {
    const { res, attributes } = await rootOf(h, '/health?probe=1')
    expect(attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': res.status,
      'user_agent.original': 'compat-agent/2.0',
      'http.method': 'GET',
      'http.url': `${h.url}/health?probe=1`,
      'http.status_code': res.status,
      'http.user_agent': 'compat-agent/2.0',
    })
  })

  it('says the real status on an error response too', async () => {
    const { attributes } = await rootOf(h, '/no/such/route')
    expect(attributes).toMatchObject({ 'http.status_code': 404, 'http.response.status_code': 404 })
  })
})

describe('OTEL_SEMCONV_STABILITY_OPT_IN=http', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ stack, seed: false, vars: { OTEL_SEMCONV_STABILITY_OPT_IN: 'http' } })
  })
  afterAll(() => h?.stop())

  it('emits only the new names', async () => {
    const { attributes } = await rootOf(h, '/health')
    expect(attributes['http.request.method']).toBe('GET')
    for (const name of OLD) expect(attributes).not.toHaveProperty(name)
  })
})

describe('http/dup where query text may not be recorded', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ stack, seed: false, vars: { OTEL_RECORD_QUERY_TEXT: 'false' } })
  })
  afterAll(() => h?.stop())

  it('keeps the query string out of http.url', async () => {
    const { attributes } = await rootOf(h, '/health?q=private+words')
    expect(attributes['http.url']).toBe(`${h.url}/health`)
  })
})

describe('OTEL_SEMCONV_STABILITY_OPT_IN parsed as OpenTelemetry says', () => {
  it('lets http/dup win over http, and keeps tracing on', async () => {
    const h = await startHarness({
      stack,
      seed: false,
      vars: { OTEL_SEMCONV_STABILITY_OPT_IN: 'http,http/dup' },
    })
    try {
      const { res, attributes } = await rootOf(h, '/health')
      expect(attributes).toMatchObject({
        'http.status_code': res.status,
        'http.response.status_code': res.status,
      })
    } finally {
      await h.stop()
    }
  })

  it('ignores a value it does not know instead of turning tracing off', async () => {
    const h = await startHarness({
      stack,
      seed: false,
      vars: { OTEL_SEMCONV_STABILITY_OPT_IN: 'http, messaging/dup' },
    })
    try {
      const { attributes } = await rootOf(h, '/health')
      expect(attributes['http.request.method']).toBe('GET')
      for (const name of OLD) expect(attributes).not.toHaveProperty(name)
    } finally {
      await h.stop()
    }
  })
})
