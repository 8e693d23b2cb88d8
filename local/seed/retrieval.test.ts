import { readFileSync } from 'node:fs'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedStack } from '../seed.ts'
import { type LocalStack, startLocalStack } from '../stack.ts'

interface Question {
  question: string
  expected_id: string
}
interface SearchHit {
  vector_metadata: { document_id: string }
}

const questions = JSON.parse(readFileSync('local/seed/questions.json', 'utf8')) as Question[]
let stack: LocalStack

beforeAll(async () => {
  stack = await startLocalStack()
  await seedStack(stack)
})
afterAll(() => stack?.stop())

/** Through the same wire protocols the Worker uses: openai SDK embeddings, then ZeroDB search. */
async function top5(question: string): Promise<string[]> {
  const openai = new OpenAI({ baseURL: stack.env.OPENAI_BASE_URL, apiKey: stack.env.OPENAI_API_KEY ?? '' })
  const { data } = await openai.embeddings.create({
    model: 'text-embedding-3-small',
    input: question,
    dimensions: 1536,
  })
  const res = await fetch(
    `${stack.zerodb.url}/v1/public/${stack.env.ZERODB_PROJECT_ID}/database/vectors/search`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': stack.env.ZERODB_API_KEY ?? '' },
      // The API always sends SEARCH_MIN_SCORE (default 0.15); ZeroDB's own default would be 0.7.
      body: JSON.stringify({
        query_vector: data[0]?.embedding,
        namespace: 'wwmaa',
        limit: 5,
        threshold: 0.15,
      }),
    },
  )
  expect(res.status).toBe(200)
  const body = (await res.json()) as { vectors: SearchHit[] }
  return body.vectors.map((v) => v.vector_metadata.document_id)
}

describe('retrieval over the seeded corpus', () => {
  it('ships at least 15 hand-written questions', () => {
    expect(questions.length).toBeGreaterThanOrEqual(15)
  })

  it.each(questions.map((q) => [q.question, q.expected_id]))(
    'finds the answer to "%s" (%s) in the top 5',
    async (question, expected) => {
      expect(await top5(question)).toContain(expected)
    },
  )
})
