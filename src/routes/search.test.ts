import { describe, expect, it } from 'vitest'
import { createApp } from '../app.ts'

const ENV = {
  ZERODB_API_URL: 'http://127.0.0.1:9',
  ZERODB_API_KEY: 'zk-unit',
  ZERODB_PROJECT_ID: 'p',
  OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
  OPENAI_API_KEY: 'sk-unit',
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
  UPSTASH_REDIS_REST_TOKEN: 'upstash-unit',
  JWT_SECRET: 'unit-test-secret-0123456789',
  OTEL_SDK_DISABLED: 'true',
}
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext
const app = createApp()

const post = (body: unknown, env: Record<string, string> = ENV) =>
  app.request(
    '/api/search/query',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    { ...env },
    ctx,
  )

async function expectValidationError(res: Response, field: string) {
  expect(res.status).toBe(400)
  const body = (await res.json()) as { error: { code: string; message: string } }
  expect(body.error.code).toBe('validation_error')
  expect(body.error.message).toContain(field)
}

describe('POST /api/search/query validation', () => {
  it('rejects unknown fields', async () => {
    await expectValidationError(await post({ query: 'kata', sort: 'new' }), 'sort')
  })

  it('rejects unknown filter fields', async () => {
    await expectValidationError(await post({ query: 'kata', filters: { author: 'x' } }), 'author')
  })

  it('rejects a blank or over-long query', async () => {
    await expectValidationError(await post({ query: '   ' }), 'query')
    await expectValidationError(await post({ query: 'x'.repeat(501) }), 'query')
    await expectValidationError(await post({}), 'query')
  })

  it('rejects top_k outside 1..20 and unknown source types', async () => {
    await expectValidationError(await post({ query: 'kata', top_k: 0 }), 'top_k')
    await expectValidationError(await post({ query: 'kata', top_k: 21 }), 'top_k')
    await expectValidationError(await post({ query: 'kata', top_k: 2.5 }), 'top_k')
    await expectValidationError(
      await post({ query: 'kata', filters: { source_type: 'video' } }),
      'source_type',
    )
  })

  it('a query with nothing visible after normalizing is a 400 before any upstream call', async () => {
    await expectValidationError(await post({ query: '\u0000\u0001\u200b' }), 'query')
  })

  it('answers 503 not_configured naming variables, never values', async () => {
    const res = await post({ query: 'kata' }, { JWT_SECRET: ENV.JWT_SECRET })
    expect(res.status).toBe(503)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('not_configured')
    expect(body.error.message).toContain('ZERODB_API_KEY')
    expect(body.error.message).not.toContain(ENV.JWT_SECRET)
  })
})

describe('GET /api/search validation', () => {
  const get = (qs: string) => app.request(`/api/search?${qs}`, {}, { ...ENV }, ctx)

  it('needs q and rejects unknown parameters and bad top_k', async () => {
    await expectValidationError(await get(''), 'q')
    await expectValidationError(await get('q=kata&page=2'), 'page')
    await expectValidationError(await get('q=kata&top_k=50'), 'top_k')
  })
})
