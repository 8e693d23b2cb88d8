import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { childrenOf, named, one, rootOf, traceOf } from './search-support.ts'

interface Dependency {
  status: 'up' | 'down'
  required: boolean
  latency_ms: number
  error?: string
}
interface Health {
  status: 'healthy' | 'degraded' | 'unhealthy'
  dependencies?: Record<'zerodb' | 'openai' | 'upstash', Dependency>
  checked_at?: string
  cached?: boolean
}

const PROBE_TIMEOUT_MS = 400

let stack: LocalStack
let h: Harness
beforeAll(async () => {
  stack = await startLocalStack()
  // No result cache here, so that every deep probe reaches the upstreams and sees its fault.
  h = await startHarness({
    stack,
    seed: false,
    vars: { HEALTH_CACHE_MS: '0', HEALTH_PROBE_TIMEOUT_MS: String(PROBE_TIMEOUT_MS) },
  })
})
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})
afterEach(() => {
  stack.clearFaults()
})

const upstreamRequests = () =>
  stack.zerodb.faults.requests().length +
  stack.openai.faults.requests().length +
  stack.upstash.faults.requests().length

/** The probes' own calls: ZeroDB's and OpenAI's, and Upstash's PING (not the budget script). */
const probeRequests = () =>
  stack.zerodb.faults.requests().length +
  stack.openai.faults.requests().length +
  stack.upstash.faults.requests().filter((r) => /\bping\b/i.test(JSON.stringify(r.body))).length

async function get(harness: Harness, path: string) {
  const res = await harness.fetch(path)
  const text = await res.text()
  return { res, text, body: JSON.parse(text) as Health }
}

describe('GET /health', () => {
  it('stays cheap: no upstream is called and no dependency is reported', async () => {
    const before = upstreamRequests()
    const { res, body } = await get(h, '/health')
    expect(res.status).toBe(200)
    expect(body.status).toBe('healthy')
    expect(body.dependencies).toBeUndefined()
    const spans = await traceOf(h, res)
    expect(spans.filter((s) => s.name.startsWith('health.check.'))).toEqual([])
    expect(upstreamRequests()).toBe(before)
  })
})

describe('GET /health?deep=1', () => {
  it('probes ZeroDB, OpenAI and Upstash in parallel, each in its own span, and shows no secret', async () => {
    const { res, body, text } = await get(h, '/health?deep=1')
    expect(res.status).toBe(200)
    expect(body.status).toBe('healthy')
    expect(body.cached).toBe(false)
    for (const [name, required] of [
      ['zerodb', true],
      ['openai', true],
      ['upstash', false],
    ] as const) {
      expect(body.dependencies?.[name]).toMatchObject({ status: 'up', required })
      expect(body.dependencies?.[name]?.latency_ms).toBeGreaterThanOrEqual(0)
    }
    for (const name of [
      'ZERODB_API_KEY',
      'ZERODB_PROJECT_ID',
      'OPENAI_API_KEY',
      'UPSTASH_REDIS_REST_TOKEN',
    ]) {
      const value = stack.env[name]
      if (value) expect(text).not.toContain(value)
    }

    const spans = await traceOf(h, res, 4)
    const root = rootOf(spans)
    expect(root.attributes).toMatchObject({ 'wwmaa.health.status': 'healthy', 'wwmaa.health.deep': true })
    const checks = childrenOf(spans, root).filter((s) => s.name.startsWith('health.check.'))
    expect(checks.map((s) => s.name).sort()).toEqual([
      'health.check.openai',
      'health.check.upstash',
      'health.check.zerodb',
    ])
    // Parallel: every probe starts before any of them ends.
    const firstEnd = checks.map((s) => BigInt(s.endTimeUnixNano)).sort()[0] ?? 0n
    for (const check of checks) expect(BigInt(check.startTimeUnixNano) <= firstEnd).toBe(true)
    expect(one(spans, 'health.check.zerodb').attributes).toMatchObject({
      'wwmaa.health.dependency.name': 'zerodb',
      'wwmaa.health.dependency.status': 'up',
      'wwmaa.health.dependency.required': true,
    })
    // The ZeroDB probe goes through the ZeroDB client: GET /tables, under its client span.
    expect(named(spans, 'zerodb.list_tables')).toHaveLength(1)
    expect(stack.zerodb.faults.requests().at(-1)?.path).toMatch(/\/database\/tables$/)
  })

  it('answers 503 when a required dependency is down, and marks the request span', async () => {
    stack.zerodb.faults.set({ match: '/database/tables', status: 500 })
    const { res, body } = await get(h, '/health?deep=1')
    expect(res.status).toBe(503)
    expect(body.status).toBe('unhealthy')
    expect(body.dependencies?.zerodb).toMatchObject({ status: 'down', error: 'status (HTTP 500)' })
    expect(body.dependencies?.openai.status).toBe('up')
    const spans = await traceOf(h, res, 4)
    const root = rootOf(spans)
    expect(root.status.code).toBe(2)
    expect(root.attributes).toMatchObject({
      'http.response.status_code': 503,
      'error.type': 'health_unhealthy',
      'error.message': 'required dependency down: zerodb',
    })
    expect(one(spans, 'health.check.zerodb').status.code).toBe(2)
  })

  it('gives up on a hanging dependency after HEALTH_PROBE_TIMEOUT_MS', async () => {
    stack.openai.faults.set({ match: '/models', hang: true })
    const { res, body } = await get(h, '/health?deep=1')
    expect(res.status).toBe(503)
    expect(body.dependencies?.openai).toMatchObject({ status: 'down', error: 'timeout' })
    // Far below the search timeouts (5 s and more): the probe has its own deadline.
    expect(body.dependencies?.openai.latency_ms).toBeLessThan(PROBE_TIMEOUT_MS + 2000)
  })

  it('is only degraded when Upstash, which the API can do without, is down', async () => {
    stack.upstash.faults.set({ status: 500 })
    const { res, body } = await get(h, '/health?deep=1')
    expect(res.status).toBe(200)
    expect(body.status).toBe('degraded')
    expect(body.dependencies?.upstash).toMatchObject({ status: 'down', required: false })
  })
})

describe('GET /health?deep=1 under a probe storm', () => {
  it('reuses the last result for HEALTH_CACHE_MS instead of calling the upstreams again', async () => {
    const cached = await startHarness({ stack, seed: false, vars: { HEALTH_CACHE_MS: '60000' } })
    try {
      const first = await get(cached, '/health?deep=1')
      expect(first.body.cached).toBe(false)
      const before = upstreamRequests()
      const probesBefore = probeRequests()
      for (let i = 0; i < 5; i++) {
        const again = await get(cached, '/health?deep=1')
        expect(again.res.status).toBe(200)
        expect(again.body).toMatchObject({ cached: true, checked_at: first.body.checked_at })
      }
      // Only the caller's `health` budget is counted (one Upstash script each): no probe ran again.
      expect(upstreamRequests()).toBe(before + 5)
      expect(probeRequests()).toBe(probesBefore)
    } finally {
      await cached.stop()
    }
  })
})
