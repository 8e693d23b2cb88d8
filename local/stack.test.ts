import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedStack } from './seed.ts'
import { startZeroDb } from './servers/zerodb.ts'
import type { LocalStack } from './stack.ts'
import { startLocalStack } from './stack.ts'

let stack: LocalStack

beforeAll(async () => {
  stack = await startLocalStack()
})
afterAll(() => stack.stop())

const zerodb = (path: string, body?: unknown) =>
  fetch(`${stack.env.ZERODB_API_URL}/v1/public/${stack.env.ZERODB_PROJECT_ID}/database${path}`, {
    method: 'POST',
    headers: { 'x-api-key': stack.env.ZERODB_API_KEY!, 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  }).then((r) => r.json() as Promise<Record<string, unknown>>)

describe('local stack', () => {
  it('exposes the Worker variables with the default keys', () => {
    expect(stack.env).toMatchObject({
      ZERODB_API_KEY: 'local-zerodb-key',
      ZERODB_PROJECT_ID: 'wwmaa-local',
      OPENAI_API_KEY: 'local-openai-key',
      UPSTASH_REDIS_REST_TOKEN: 'local-upstash-token',
    })
    expect(stack.env.OPENAI_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    for (const key of ['ZERODB_API_URL', 'UPSTASH_REDIS_REST_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
      expect(stack.env[key]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    }
  })

  it('seeds the fixture corpus so a question finds the right document', async () => {
    const result = await seedStack(stack, 'local/seed/fixture.jsonl')
    expect(result).toEqual({ documents: 3, vectors: 3, media: 2 })
    expect(stack.zerodb.stats()).toEqual({
      vectors: { wwmaa: 3 },
      rows: { documents: 3, media: 2 },
      tables: ['documents', 'media', 'search_queries', 'search_feedback'],
    })

    const embedRes = await fetch(`${stack.env.OPENAI_BASE_URL}/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.env.OPENAI_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'text-embedding-3-small',
        input: 'how do I tie my belt',
        encoding_format: 'float',
      }),
    })
    const { data } = (await embedRes.json()) as { data: Array<{ embedding: number[] }> }
    const hits = (await zerodb('/vectors/search', {
      query_vector: data[0]!.embedding,
      namespace: 'wwmaa',
      limit: 3,
      threshold: 0,
    })) as {
      vectors: Array<{ vector_id: string; vector_metadata: Record<string, unknown> }>
    }
    expect(hits.vectors[0]?.vector_id).toBe('technique-belt-tying#0')
    expect(hits.vectors[0]?.vector_metadata).toEqual({
      document_id: 'technique-belt-tying',
      passage_index: 0,
      title: 'How to tie your belt',
      source_type: 'technique',
      url: 'https://wwmaa.org/techniques/belt-tying',
    })
    const media = (await zerodb('/tables/media/query', {
      filter: { source_id: 'technique-belt-tying' },
    })) as {
      data: Array<{ row_data: Record<string, unknown> }>
    }
    expect(media.data[0]?.row_data).toEqual({
      source_id: 'technique-belt-tying',
      kind: 'video',
      title: 'Tying the belt',
      cloudflare_stream_id: '5d5bc37ffcf54c9b82e996823bffbb81',
    })
  })

  it('fails with a clear message naming the server and port when a fixed port is busy', async () => {
    const busy = stack.zerodb.port
    await expect(startZeroDb({ port: busy, apiKey: 'k', projectId: 'p' })).rejects.toThrow(
      new RegExp(`ZeroDB: port ${busy} .*already in use`),
    )
    await expect(startLocalStack({ ports: { openai: stack.openai.port } })).rejects.toThrow(/OpenAI: port/)
  })
})
