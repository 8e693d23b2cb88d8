import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './harness.ts'
import {
  endNs,
  freshQuery,
  named,
  one,
  parseSse,
  rootOf,
  type SearchBody,
  startNs,
  traceOf,
  traceWith,
} from './search-support.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.stop())

const summary = (events: ReturnType<typeof parseSse>) => {
  const names = events.map((e) => e.event)
  // Consecutive deltas fold into one entry: the order of kinds is what the contract fixes.
  return names.filter((n, i) => n !== 'delta' || names[i - 1] !== 'delta')
}

describe('streamed answers (SSE)', () => {
  it('sends sources, media, deltas, done; the answer span lasts the stream and is exported', async () => {
    // A slow model makes the stream long enough to see the span cover it.
    h.stack.openai.faults.set({ match: '/chat/completions', latencyMs: 200, times: 1 })
    const query = freshQuery()
    const res = await h.post('/api/search/query', { query, stream: true })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const events = parseSse(await res.text())
    expect(summary(events)).toEqual(['sources', 'media', 'delta', 'done'])

    const sources = events[0]?.data as { sources: SearchBody['sources'] }
    expect(sources.sources[0]?.id).toBe('how-to-tie-your-belt')
    const media = events[1]?.data as SearchBody['media']
    expect(media.videos.length).toBeLessThanOrEqual(5)
    const deltas = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text)
    expect(deltas.length).toBeGreaterThan(1)
    const answer = deltas.join('')
    expect(answer).toMatch(/\[1\]/)
    const done = events.at(-1)?.data as { latency_ms: number; cached: boolean; trace_id: string }
    expect(done).toMatchObject({ cached: false, trace_id: res.headers.get('x-trace-id') })
    expect(done.latency_ms).toBeGreaterThanOrEqual(200)

    const spans = await traceWith(h, res, 'search.generate_answer', 'search.respond')
    const answerSpan = one(spans, 'search.generate_answer')
    expect(answerSpan.attributes).toMatchObject({
      'wwmaa.stream.requested': true,
      'wwmaa.answer.fallback': false,
      answer_length: answer.length,
    })
    // The time to the first chunk is the chat span's (GenAI conventions: seconds), not the step's.
    expect(answerSpan.attributes).not.toHaveProperty('time_to_first_token_ms')
    const chat = one(spans, 'chat gpt-4o-mini')
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['stop'],
    })
    expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0.19)
    expect(chat.parentSpanId).toBe(answerSpan.spanId)
    // Step 11 starts when the headers go out and ends with the last event: it outlives the request
    // span and covers the whole answer, so the trace lasts as long as the client waited.
    const respond = one(spans, 'search.respond')
    const root = rootOf(spans)
    expect(respond.parentSpanId).toBe(root.spanId)
    expect(startNs(respond) <= startNs(answerSpan)).toBe(true)
    expect(endNs(respond) >= endNs(answerSpan)).toBe(true)
    expect(endNs(respond) > endNs(root)).toBe(true)
    expect(respond.attributes).toMatchObject({
      'wwmaa.stream.outcome': 'completed',
      latency_ms: done.latency_ms,
    })
    expect(respond.attributes['wwmaa.response.bytes']).toBeGreaterThan(answer.length)
    expect(named(spans, 'search.cache_write')).toHaveLength(1)
    expect(one(spans, 'search.log_query').attributes.cached).toBe(false)

    // The streamed answer was cached whole: the same question now comes back from the cache.
    const again = await h.post('/api/search/query', { query })
    const body = (await again.json()) as SearchBody
    expect(body).toMatchObject({ cached: true, answer, media })
  })

  it('Accept: text/event-stream on GET streams too, and a cache hit streams the stored answer', async () => {
    const query = freshQuery('how should I address my instructor')
    const first = await h.post('/api/search/query', { query })
    const firstBody = (await first.json()) as SearchBody
    await traceOf(h, first)
    const res = await h.fetch(`/api/search?q=${encodeURIComponent(query)}`, {
      headers: { accept: 'text/event-stream' },
    })
    const events = parseSse(await res.text())
    expect(summary(events)).toEqual(['sources', 'media', 'delta', 'done'])
    expect((events[2]?.data as { text?: string } | undefined)?.text).toBe(firstBody.answer)
    expect(events.at(-1)?.data).toMatchObject({ cached: true })
    const spans = await traceWith(h, res, 'search.respond', 'search.log_query')
    expect(named(spans, 'search.generate_answer')).toEqual([])
    expect(one(spans, 'search.respond').attributes).toMatchObject({
      cached: true,
      'wwmaa.stream.requested': true,
    })
  })

  it('a model failure mid-request streams the fallback answer and stays 200', async () => {
    h.stack.openai.faults.set({ match: '/chat/completions', status: 500, times: 1 })
    const query = freshQuery()
    const res = await h.post('/api/search/query', { query, stream: true })
    expect(res.status).toBe(200)
    const events = parseSse(await res.text())
    expect(summary(events)).toEqual(['sources', 'media', 'delta', 'done'])
    const text = events
      .filter((e) => e.event === 'delta')
      .map((e) => (e.data as { text: string }).text)
      .join('')
    expect(text).toMatch(/^Here are some relevant resources/)
    const spans = await traceWith(h, res, 'search.generate_answer', 'search.respond')
    const answerSpan = one(spans, 'search.generate_answer')
    expect(answerSpan.status.code).toBe(2)
    expect(answerSpan.attributes['wwmaa.answer.fallback']).toBe(true)
    // A fallback answer is not cached: the next identical question asks the model again.
    const again = (await (await h.post('/api/search/query', { query })).json()) as SearchBody
    expect(again.cached).toBe(false)
    expect(again.answer).not.toMatch(/^Here are some relevant resources/)
  })
})
