import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { endNs, freshQuery, one, type SearchBody, startNs, traceOf } from './search-support.ts'

// Upstream latencies close to production, and a very slow cache write and query log: the answer
// and media steps must overlap, and the response must not wait for the background steps.
const BACKGROUND_DELAY_MS = 1000

let stack: LocalStack
let h: Harness
beforeAll(async () => {
  stack = await startLocalStack()
  // A cache deadline above the injected delay, so that the slow write completes instead of timing out.
  h = await startHarness({ stack, vars: { CACHE_TIMEOUT_MS: '2000' } })
  // The first request of a fresh workerd pays a one-off start-up cost (about a second here).
  await traceOf(h, await h.post('/api/search/query', { query: freshQuery() }))
  stack.openai.faults.set({ match: '/embeddings', latencyMs: 50 })
  stack.zerodb.faults.set({ match: '/vectors/search', latencyMs: 30 })
  stack.openai.faults.set({ match: '/chat/completions', latencyMs: 300 })
  stack.zerodb.faults.set({ match: '/tables/media/query', latencyMs: 40 })
  stack.zerodb.faults.set({ match: '/tables/search_queries/rows', latencyMs: BACKGROUND_DELAY_MS })
  // The cache write: the pipeline of SETs (the search lookup is a pipeline too, of EVAL and GETs).
  stack.upstash.faults.set({ match: '/pipeline', bodyIncludes: '["set",', latencyMs: BACKGROUND_DELAY_MS })
})
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})

describe('latency', () => {
  it('runs answer and media in parallel and sends the response before the background steps end', async () => {
    const started = Date.now()
    const res = await h.post('/api/search/query', { query: freshQuery() })
    const body = (await res.json()) as SearchBody
    const elapsed = Date.now() - started
    expect(res.status).toBe(200)
    expect(body.cached).toBe(false)
    // embedding 50 + search 30 + max(chat 300, media 40) ≈ 380 ms; the 1 s writes are not in it.
    expect(elapsed).toBeGreaterThanOrEqual(380)
    expect(elapsed).toBeLessThan(BACKGROUND_DELAY_MS - 100)
    expect(body.latency_ms).toBeLessThan(BACKGROUND_DELAY_MS - 100)

    const spans = await traceOf(h, res)
    const answer = one(spans, 'search.generate_answer')
    const media = one(spans, 'search.attach_media')
    // Overlap: each starts before the other ends; media (40 ms) finishes inside the answer (300 ms).
    expect(startNs(media) < endNs(answer)).toBe(true)
    expect(startNs(answer) < endNs(media)).toBe(true)
    expect(endNs(media) < endNs(answer)).toBe(true)
    expect(answer.durationMs).toBeGreaterThanOrEqual(300)

    const respond = one(spans, 'search.respond')
    for (const name of ['search.cache_write', 'search.log_query']) {
      const background = one(spans, name)
      expect(background.durationMs, name).toBeGreaterThanOrEqual(BACKGROUND_DELAY_MS - 5)
      expect(startNs(background) >= endNs(respond), `${name} starts after the response is built`).toBe(true)
    }
  })
})
