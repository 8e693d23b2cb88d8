import OpenAI, { APIError, AuthenticationError } from 'openai'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { OpenAiServer } from './openai.ts'
import { startOpenAi } from './openai.ts'

const API_KEY = 'test-openai-key'
const CONTEXT_PROMPT = [
  'Context:',
  '[1] How to tie your belt',
  'Fold the belt in half to find its center. Wrap both ends around your waist twice. Tie a square knot in front.',
  '',
  '[2] Summer camp',
  'The summer camp takes place in Denver. Registration closes in June.',
  '',
  'Question: How do I tie my belt?',
].join('\n')

let server: OpenAiServer
let client: OpenAI

beforeAll(async () => {
  server = await startOpenAi({ apiKey: API_KEY })
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: API_KEY, maxRetries: 0 })
})
afterAll(() => server.close())
afterEach(() => {
  server.answers.clear()
  server.faults.clear()
  server.faults.clearRequests()
})

describe('embeddings', () => {
  it('returns base64 embeddings the openai SDK decodes to the requested dimensions', async () => {
    const res = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'tie a belt' })
    expect(server.faults.requests()[0]?.body).toMatchObject({ encoding_format: 'base64' })
    expect(res.data[0]?.embedding).toHaveLength(1536)
    const norm = Math.hypot(...(res.data[0]?.embedding ?? []))
    expect(norm).toBeCloseTo(1, 4)
  })

  it('returns float arrays when asked, honouring dimensions and batch order', async () => {
    const res = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['first text', 'second text'],
      dimensions: 256,
      encoding_format: 'float',
    })
    expect(res.object).toBe('list')
    expect(res.data.map((d) => d.index)).toEqual([0, 1])
    expect(res.data[1]?.embedding).toHaveLength(256)
    expect(res.usage.prompt_tokens).toBeGreaterThan(0)
    expect(res.usage.total_tokens).toBe(res.usage.prompt_tokens)
  })

  it('decodes base64 and float to the same vector', async () => {
    const a = await client.embeddings.create({ model: 'm', input: 'kata', dimensions: 64 })
    const b = await client.embeddings.create({
      model: 'm',
      input: 'kata',
      dimensions: 64,
      encoding_format: 'float',
    })
    const fromBase64 = a.data[0]!.embedding
    const fromFloat = b.data[0]!.embedding
    for (const [i, x] of fromBase64.entries()) expect(x).toBeCloseTo(fromFloat[i]!, 6)
  })

  it('accepts token arrays as input', async () => {
    const res = await client.embeddings.create({
      model: 'm',
      input: [[1, 2, 3]],
      encoding_format: 'float',
      dimensions: 8,
    })
    expect(res.data[0]?.embedding).toHaveLength(8)
  })

  it('rejects bad input with a 400 in OpenAI error shape', async () => {
    const res = await fetch(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', input: 42 }),
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: Record<string, unknown> }
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'input' })
    expect(typeof body.error.message).toBe('string')
  })
})

describe('chat completions', () => {
  it('answers non-streaming requests from the context with citations', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Answer only from the context.' },
        { role: 'user', content: CONTEXT_PROMPT },
      ],
    })
    expect(res.object).toBe('chat.completion')
    expect(res.id).toMatch(/^chatcmpl-/)
    expect(res.choices[0]?.finish_reason).toBe('stop')
    expect(res.choices[0]?.message.role).toBe('assistant')
    const content = res.choices[0]?.message.content ?? ''
    expect(content).toMatch(/belt/i)
    expect(content).toContain('[1]')
    expect(res.usage?.total_tokens).toBe(
      (res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0),
    )
  })

  it('says it has no information when no passages are given', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Context:\n\nQuestion: Who won the 1962 world cup?' }],
    })
    expect(res.choices[0]?.message.content).toMatch(/don't have information/)
  })

  it('streams chunks that add up to the non-streamed answer, then a usage chunk', async () => {
    const messages = [{ role: 'user' as const, content: CONTEXT_PROMPT }]
    const full = await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let finish: string | null | undefined
    let usage: OpenAI.CompletionUsage | null | undefined
    let chunks = 0
    for await (const chunk of stream) {
      chunks++
      expect(chunk.object).toBe('chat.completion.chunk')
      text += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
      if (chunk.usage) {
        expect(chunk.choices).toEqual([])
        usage = chunk.usage
      }
    }
    expect(chunks).toBeGreaterThan(3)
    expect(text).toBe(full.choices[0]?.message.content)
    expect(finish).toBe('stop')
    expect(usage?.completion_tokens).toBe(full.usage?.completion_tokens)
  })
})

describe('errors', () => {
  it('rejects a wrong key with the SDK AuthenticationError', async () => {
    const bad = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 })
    const err = await bad.embeddings.create({ model: 'm', input: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthenticationError)
    expect((err as AuthenticationError).code).toBe('invalid_api_key')
  })

  it('surfaces an injected 500 as an SDK APIError', async () => {
    server.faults.set({ match: '/v1/chat/completions', status: 500, times: 1 })
    const err = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(APIError)
    expect((err as APIError).status).toBe(500)
    const ok = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(ok.choices).toHaveLength(1)
  })
})

describe('scripted answers (/__control/answer)', () => {
  it('answers the next completions with the scripted text, streamed or not, then the model again', async () => {
    const set = await fetch(`${server.url}/__control/answer`, {
      method: 'POST',
      body: JSON.stringify({ text: 'See https://evil.example/x now.', times: 2 }),
    })
    expect(set.status).toBe(200)
    const messages = [{ role: 'user' as const, content: CONTEXT_PROMPT }]
    const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
    expect(plain.choices[0]?.message.content).toBe('See https://evil.example/x now.')
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    expect(text).toBe('See https://evil.example/x now.')
    const after = await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
    expect(after.choices[0]?.message.content).toContain('[1]')
    // Control calls are not upstream requests.
    expect(server.faults.requests().every((r) => r.path.endsWith('/chat/completions'))).toBe(true)
  })

  it('refuses a body without text, and DELETE clears it', async () => {
    const bad = await fetch(`${server.url}/__control/answer`, { method: 'POST', body: '{"times":1}' })
    expect(bad.status).toBe(400)
    server.answers.set('scripted')
    await fetch(`${server.url}/__control/answer`, { method: 'DELETE' })
    expect(server.answers.current()).toBeNull()
  })
})
