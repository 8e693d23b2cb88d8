import { describe, expect, it } from 'vitest'
import { UpstreamError } from '../errors.ts'
import { fakeFetch, json, type Scripted } from './fake-fetch.test-support.ts'
import { OpenAiClient } from './openai.ts'

const DIMS = 4

function client(...script: Scripted[]) {
  const fake = fakeFetch(...script)
  const openai = new OpenAiClient({
    baseUrl: 'http://openai.test/v1',
    apiKey: 'sk-test-secret',
    embeddingModel: 'text-embedding-3-small',
    embeddingDimensions: DIMS,
    chatModel: 'gpt-4o-mini',
    embeddingTimeoutMs: 100,
    chatTimeoutMs: 100,
    fetch: fake.fetch,
  })
  return { openai, calls: fake.calls }
}

const base64 = (v: number[]) => {
  const bytes = new Uint8Array(new Float32Array(v).buffer)
  return btoa(String.fromCharCode(...bytes))
}
const embeddings = (vectors: number[][]) =>
  json(200, {
    object: 'list',
    model: 'text-embedding-3-small',
    data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64(v) })),
    usage: { prompt_tokens: 7, total_tokens: 7 },
  })
const completion = (content: string) =>
  json(200, {
    id: 'c1',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-4o-mini-2024',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 },
  })
const sse = (chunks: unknown[]) =>
  new Response(`${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`, {
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
  })
const chunk = (content: string | undefined, finish: string | null = null, usage: unknown = null) => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'gpt-4o-mini-2024',
  choices:
    content === undefined && !finish
      ? []
      : [{ index: 0, delta: content ? { content } : {}, finish_reason: finish }],
  usage,
})

async function failure(p: Promise<unknown>): Promise<UpstreamError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UpstreamError)
  expect((error as UpstreamError).upstream).toBe('openai')
  return error as UpstreamError
}

describe('OpenAiClient.embed', () => {
  it('asks for the configured model and dimensions and decodes base64 vectors in order', async () => {
    const { openai, calls } = client(
      embeddings([
        [1, 0, 0, 0],
        [0, 0.5, 0, 0],
      ]),
    )
    const r = await openai.embed(['a', 'b'])
    expect(r.vectors).toEqual([
      [1, 0, 0, 0],
      [0, 0.5, 0, 0],
    ])
    expect(r.inputTokens).toBe(7)
    expect(calls[0]?.url).toBe('http://openai.test/v1/embeddings')
    expect(calls[0]?.body).toMatchObject({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      dimensions: DIMS,
      encoding_format: 'base64',
    })
    expect(calls[0]?.headers.get('authorization')).toBe('Bearer sk-test-secret')
  })

  it('a vector of the wrong length is malformed', async () => {
    const { openai } = client(embeddings([[1, 0]]))
    expect(await failure(openai.embed(['a']))).toMatchObject({ failure: 'malformed' })
  })

  it('401 is a status error', async () => {
    const { openai } = client(
      json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }),
    )
    const error = await failure(openai.embed(['a']))
    expect(error).toMatchObject({ failure: 'status', status: 401, httpStatus: 502 })
    expect(error.message).not.toContain('sk-test-secret')
  })

  it('500 is a status error, not retried', async () => {
    const { openai, calls } = client(json(500, { error: { message: 'server error', type: 'server_error' } }))
    expect(await failure(openai.embed(['a']))).toMatchObject({ failure: 'status', status: 500 })
    expect(calls).toHaveLength(1)
  })

  it('no answer in time is a timeout (504)', async () => {
    const { openai } = client('hang')
    expect(await failure(openai.embed(['a']))).toMatchObject({ failure: 'timeout', httpStatus: 504 })
  })

  it('a connection failure is network', async () => {
    const { openai } = client(new TypeError('fetch failed'))
    expect(await failure(openai.embed(['a']))).toMatchObject({ failure: 'network' })
  })

  it('a 200 that is not JSON is malformed', async () => {
    const { openai } = client(
      new Response('{"truncated": [1, 2', { status: 200, headers: { 'content-type': 'application/json' } }),
    )
    expect(await failure(openai.embed(['a']))).toMatchObject({ failure: 'malformed' })
  })
})

describe('OpenAiClient.chat', () => {
  it('returns the text, usage and finish reasons', async () => {
    const { openai, calls } = client(completion('Bow when entering. [1]'))
    const r = await openai.chat([{ role: 'user', content: 'q' }])
    expect(r).toMatchObject({
      text: 'Bow when entering. [1]',
      model: 'gpt-4o-mini-2024',
      inputTokens: 30,
      outputTokens: 5,
      finishReasons: ['stop'],
    })
    expect(calls[0]?.body).toMatchObject({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'q' }] })
  })

  it('maps 401, 500, timeouts and bad shapes', async () => {
    expect(await failure(client(json(401, { error: { message: 'bad key' } })).openai.chat([]))).toMatchObject(
      { failure: 'status', status: 401 },
    )
    expect(await failure(client(json(500, { error: { message: 'boom' } })).openai.chat([]))).toMatchObject({
      failure: 'status',
      status: 500,
    })
    expect(await failure(client('hang').openai.chat([]))).toMatchObject({ failure: 'timeout' })
    expect(await failure(client(json(200, { choices: [] })).openai.chat([]))).toMatchObject({
      failure: 'malformed',
    })
  })
})

describe('OpenAiClient.chatStream', () => {
  it('streams deltas, asks for usage and returns it at the end', async () => {
    const { openai, calls } = client(
      sse([
        chunk(''),
        chunk('Bow '),
        chunk('first. [1]'),
        chunk(undefined, 'stop'),
        chunk(undefined, null, { prompt_tokens: 30, completion_tokens: 4, total_tokens: 34 }),
      ]),
    )
    const deltas: string[] = []
    const r = await openai.chatStream([{ role: 'user', content: 'q' }], (d) => {
      deltas.push(d)
    })
    expect(deltas).toEqual(['Bow ', 'first. [1]'])
    expect(r).toMatchObject({
      text: 'Bow first. [1]',
      inputTokens: 30,
      outputTokens: 4,
      finishReasons: ['stop'],
    })
    expect(r.timeToFirstChunkSeconds).toBeGreaterThanOrEqual(0)
    expect(calls[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
  })

  it('a stream that ends without a finish reason is malformed', async () => {
    const { openai } = client(sse([chunk('partial')]))
    expect(await failure(openai.chatStream([], () => {}))).toMatchObject({ failure: 'malformed' })
  })

  it('an HTTP error before the stream is a status error', async () => {
    const { openai } = client(json(500, { error: { message: 'boom' } }))
    expect(await failure(openai.chatStream([], () => {}))).toMatchObject({ failure: 'status', status: 500 })
  })

  it('a cancel signal aborts the HTTP call and returns what arrived, as cancelled, not as a failure', async () => {
    let upstreamAborted = false
    // An upstream that sends one delta and then never ends: only the abort can stop the read.
    const openai = new OpenAiClient({
      baseUrl: 'http://openai.test/v1',
      apiKey: 'sk-test-secret',
      embeddingModel: 'text-embedding-3-small',
      embeddingDimensions: DIMS,
      chatModel: 'gpt-4o-mini',
      embeddingTimeoutMs: 5000,
      chatTimeoutMs: 5000,
      fetch: async (_input, init) => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(chunk('Bow '))}\n\n`))
            init?.signal?.addEventListener('abort', () => {
              upstreamAborted = true
              controller.error(init.signal?.reason)
            })
          },
        })
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
      },
    })
    const cancel = new AbortController()
    const r = await openai.chatStream([], () => cancel.abort(), cancel.signal)
    expect(r).toMatchObject({ text: 'Bow ', cancelled: true })
    expect(upstreamAborted).toBe(true)
  })

  it('an already cancelled signal makes no call at all', async () => {
    const { openai, calls } = client(json(500, {}))
    const r = await openai.chatStream([], () => {}, AbortSignal.abort())
    expect(r).toMatchObject({ text: '', cancelled: true })
    expect(calls).toHaveLength(0)
  })
})
