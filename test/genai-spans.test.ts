import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlatSpan } from '../local/servers/otlp-receiver.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, one, traceWith } from './search-support.ts'

// The OpenAI spans follow the GenAI semantic conventions the catalogue pins (commit e8fc575 of
// open-telemetry/semantic-conventions-genai); the spec's step attributes stay on the step spans.

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.stop())

const CLIENT = 3
const CHAT = 'chat gpt-4o-mini'
const EMBEDDINGS = 'embeddings text-embedding-3-small'

/** Keys the chat span carried before the GenAI conventions: none of them may come back. */
function expectNoPrivateGenAiKeys(spans: FlatSpan[]) {
  for (const span of spans) {
    expect(span.attributes, span.name).not.toHaveProperty('time_to_first_token_ms')
    expect(
      span.events.map((e) => e.name),
      span.name,
    ).not.toContain('gen_ai.first_token')
  }
  expect(one(spans, CHAT).attributes).not.toHaveProperty('stream')
}

describe('GenAI spans', () => {
  it('a JSON answer: chat with stream=false, the response id and finish reasons; embeddings with the dimension count', async () => {
    const res = await h.post('/api/search/query', { query: freshQuery(), bypass_cache: true })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const spans = await traceWith(h, res, CHAT, EMBEDDINGS, 'search.generate_embedding')

    const chat = one(spans, CHAT)
    expect(chat.kind).toBe(CLIENT)
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.stream': false,
      'gen_ai.response.finish_reasons': ['stop'],
    })
    expect(String(chat.attributes['gen_ai.response.id'])).toMatch(/^chatcmpl-/)
    expect(chat.attributes['gen_ai.response.model']).toEqual(expect.any(String))
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0)
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0)
    // Only a stream has a first chunk.
    expect(chat.attributes).not.toHaveProperty('gen_ai.response.time_to_first_chunk')

    const embeddings = one(spans, EMBEDDINGS)
    expect(embeddings.kind).toBe(CLIENT)
    expect(embeddings.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.embeddings.dimension.count': 1536,
    })
    expect(embeddings.attributes).not.toHaveProperty('embedding_dimensions')
    // The spec's step attributes are the contract and stay where it puts them.
    expect(one(spans, 'search.generate_embedding').attributes).toMatchObject({
      embedding_dimensions: 1536,
      model: 'text-embedding-3-small',
    })
    expect(one(spans, 'search.generate_answer').attributes).toMatchObject({ model: 'gpt-4o-mini' })
    expect(one(spans, 'search.generate_answer').attributes.tokens_used).toBeGreaterThan(0)
    expectNoPrivateGenAiKeys(spans)
  })

  it('a streamed answer: stream=true and the time to the first chunk in seconds', async () => {
    // A model that takes 300 ms to answer: in seconds that is 0.3, in milliseconds it would be 300.
    h.stack.openai.faults.set({ match: '/chat/completions', latencyMs: 300, times: 1 })
    try {
      const res = await h.post('/api/search/query', { query: freshQuery(), stream: true, bypass_cache: true })
      expect(res.status).toBe(200)
      await res.text()
      const spans = await traceWith(h, res, CHAT, 'search.respond')
      const chat = one(spans, CHAT)
      expect(chat.attributes).toMatchObject({
        'gen_ai.request.stream': true,
        'gen_ai.response.finish_reasons': ['stop'],
      })
      expect(String(chat.attributes['gen_ai.response.id'])).toMatch(/^chatcmpl-/)
      const ttfc = chat.attributes['gen_ai.response.time_to_first_chunk']
      expect(typeof ttfc).toBe('number')
      expect(ttfc as number).toBeGreaterThanOrEqual(0.29)
      expect(ttfc as number).toBeLessThan(5)
      expect(ttfc as number).toBeLessThanOrEqual(chat.durationMs / 1000)
      expectNoPrivateGenAiKeys(spans)
    } finally {
      h.stack.openai.faults.clear()
    }
  })
})
