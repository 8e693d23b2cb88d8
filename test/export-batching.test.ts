import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { traceIdsOf } from '../local/servers/otlp-spans.ts'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery } from './search-support.ts'

/**
 * How traces leave a busy isolate (src/telemetry/span-processor.ts): a request's finished trace
 * waits for a request still running to carry it, so overlapping requests share export POSTs, and
 * the last request of a burst sends what is left. Checked at the real receiver: every trace
 * arrives whole, in fewer POSTs than traces.
 */
const BURST = 30

let stack: LocalStack
let h: Harness
beforeAll(async () => {
  stack = await startLocalStack()
  h = await startHarness({ stack })
})
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})

const traceIdOf = (res: Response) => res.headers.get('x-trace-id') ?? ''

describe('exports from a busy isolate', () => {
  it('sends every trace of a burst of overlapping searches whole, several to a POST', async () => {
    const query = freshQuery()
    // A miss fills the answer cache; the hit after it is the reference trace, sent alone.
    const miss = await h.post('/api/search/query', { query })
    expect(miss.status).toBe(200)
    await miss.arrayBuffer()
    const alone = await h.post('/api/search/query', { query })
    expect(alone.headers.get('x-cache')).toBe('HIT')
    await alone.arrayBuffer()
    const reference = await stack.otlp.waitForTrace(traceIdOf(alone), { minSpans: 7, timeoutMs: 10_000 })

    const burst = await Promise.all(
      Array.from({ length: BURST }, async () => {
        const res = await h.post('/api/search/query', { query })
        await res.arrayBuffer()
        return res
      }),
    )
    expect(burst.map((res) => res.status)).toEqual(burst.map(() => 200))
    const ids = burst.map(traceIdOf)
    expect(new Set(ids).size).toBe(BURST)

    for (const id of ids) {
      const spans = await stack.otlp.waitForTrace(id, { minSpans: reference.length, timeoutMs: 10_000 })
      expect(spans.map((span) => span.name).sort()).toEqual(reference.map((span) => span.name).sort())
    }
    const posts = stack.otlp
      .payloads()
      .filter((payload) => ids.some((id) => traceIdsOf(payload.body).has(id)))
    // Before traces waited for a carrier, overlapping searches left almost one POST each (30 here).
    expect(posts.length).toBeLessThanOrEqual(BURST / 3)
    expect(Math.max(...posts.map((payload) => traceIdsOf(payload.body).size))).toBeGreaterThan(1)
  })

  it('sends the trace of a request made alone without waiting for another request', async () => {
    const res = await h.post('/api/search/query', { query: freshQuery() })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    // No request follows: the trace must leave with its own request.
    const spans = await stack.otlp.waitForTrace(traceIdOf(res), { minSpans: 10, timeoutMs: 10_000 })
    expect(spans.length).toBeGreaterThanOrEqual(10)
  })
})
