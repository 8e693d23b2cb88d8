import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectInspector, heapAfterGc } from '../local/inspector.ts'
import { seedStack } from '../local/seed.ts'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { startLocalWorker } from '../local/worker.ts'
import { type Harness, startHarness, TEST_JWT_SECRET } from './harness.ts'

/**
 * Tracing off means off: the request never enters otel-cf-workers, so it carries no trace id,
 * sends no traceparent upstream and exports nothing. And the isolate's heap stays flat.
 */
let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack()
  await seedStack(stack)
})
afterAll(async () => {
  await stack?.stop()
})

async function searchTwice(h: Harness, query: string): Promise<[Response, Response]> {
  const miss = await h.post('/api/search/query', { query })
  // No trace to wait on with tracing off: ask again until the background cache write has landed.
  for (let i = 0; ; i++) {
    const hit = await h.post('/api/search/query', { query })
    if (hit.headers.get('x-cache') === 'HIT' || i === 20) return [miss, hit]
    await new Promise((r) => setTimeout(r, 100))
  }
}

const OFF: Array<[string, Record<string, string>]> = [
  ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true' }],
  ['a tracing configuration error', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }],
  ['exporter none with sampling off', { OTEL_EXPORTER_TYPE: 'none', OTEL_TRACES_SAMPLER: 'always_off' }],
]

describe.each(OFF)('tracing off by %s', (label, vars) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ stack, seed: false, vars })
  })
  afterAll(() => h?.stop())

  it('answers searches and /health without trace headers, traceparent or exports', async () => {
    stack.otlp.clear()
    const before = stack.zerodb.faults.requests().length
    const [miss, hit] = await searchTwice(h, `belt knots with tracing off (${label})`)
    const health = await h.fetch('/health')
    for (const res of [miss, hit, health]) {
      expect(res.status).toBe(200)
      expect(res.headers.get('x-trace-id')).toBeNull()
      expect(res.headers.get('traceresponse')).toBeNull()
    }
    expect(((await hit.json()) as { cached: boolean }).cached).toBe(true)
    const upstream = stack.zerodb.faults.requests().slice(before)
    expect(upstream.length).toBeGreaterThan(0)
    for (const r of upstream) expect(r.headers.traceparent, r.path).toBeUndefined()
    await new Promise((r) => setTimeout(r, 500))
    expect(stack.otlp.payloads()).toHaveLength(0)
  })
})

describe('exporter none with sampling on', () => {
  it('still returns trace ids (for logs) but exports nothing', async () => {
    const h = await startHarness({ stack, seed: false, vars: { OTEL_EXPORTER_TYPE: 'none' } })
    try {
      stack.otlp.clear()
      const res = await h.fetch('/health')
      expect(res.status).toBe(200)
      expect(res.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/)
      await new Promise((r) => setTimeout(r, 500))
      expect(stack.otlp.payloads()).toHaveLength(0)
    } finally {
      await h.stop()
    }
  })
})

/**
 * JS heap kept per request after forced GC, over mixed hits and misses (read via the inspector):
 * the smaller of two consecutive measured rounds. A leak adds its bytes to every round; what
 * settles once (late JIT tiering, a bounded cache reaching its cap) lands in one round only.
 */
async function heapPerRequest(
  vars: Record<string, string>,
  requests: number,
): Promise<{ perRequest: number; detail: string }> {
  const worker = await startLocalWorker(
    {
      ...stack.env,
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_REQUESTS: '100000',
      HEALTH_RATE_LIMIT_REQUESTS: '10000',
      ...vars,
    },
    { inspector: true },
  )
  const inspector = await connectInspector(worker.inspectorUrl ?? '')
  try {
    let n = 0
    const search = async (i: number) => {
      const query = i % 4 === 0 ? `heap question ${n++} ${JSON.stringify(vars)}` : 'how do I tie my belt'
      const res = await fetch(`${worker.url}/api/search/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      })
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    }
    const poke = () => fetch(`${worker.url}/health`).then((r) => r.arrayBuffer())
    // Compiled code, config memos, the cached answer and the span processor's bounded memory (256
    // remembered tail decisions) fill up in the warm-up.
    for (let i = 0; i < WARMUP; i++) await search(i)
    const readings = [await heapAfterGc(inspector, poke)]
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < requests; i++) await search(i)
      readings.push(await heapAfterGc(inspector, poke))
    }
    const perRound = readings.slice(1).map((after, i) => (after - (readings[i] ?? after)) / requests)
    const detail = `heap ${readings.join(' → ')} B, ${perRound.map((b) => b.toFixed(0)).join(' then ')} B/request`
    return { perRequest: Math.min(...perRound), detail }
  } finally {
    inspector.close()
    await worker.dispose()
  }
}

/** Past the processor's REMEMBERED_DECISIONS (256), so its bounded map is full before measuring. */
const WARMUP = 300
/**
 * A flat heap measures ~50–200 B per request here; the leaks this guards against kept ~2.2 KB
 * (otel-cf-workers probing every env entry per request) and ~5 KB (its BatchTraceSpanProcessor)
 * per request. 512 B sits well between them, on a loaded machine too.
 */
const FLAT_BYTES_PER_REQUEST = 512

describe('memory', () => {
  it('keeps the heap flat with tracing off (the request bypasses the SDK)', async () => {
    const { perRequest, detail } = await heapPerRequest({ OTEL_SDK_DISABLED: 'true' }, 300)
    expect(perRequest, detail).toBeLessThan(FLAT_BYTES_PER_REQUEST)
  }, 300_000)

  it('keeps the heap flat with tracing on, exporting every trace over OTLP', async () => {
    const { perRequest, detail } = await heapPerRequest(
      { OTEL_EXPORTER_TYPE: 'http', OTEL_TRACES_SAMPLER: 'parentbased_always_on' },
      300,
    )
    expect(perRequest, detail).toBeLessThan(FLAT_BYTES_PER_REQUEST)
  }, 300_000)
})
