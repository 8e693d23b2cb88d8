import { describe, expect, it } from 'vitest'
import { createApp } from '../app.ts'
import { TEST_ENV, testExecutionContext } from '../testing.ts'

// Validation and access of the feedback routes, in workerd. The upstream URLs resolve nowhere: any
// request that got past validation would fail with a 5xx, so a 4xx here proves nothing was called.
const app = createApp()
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'

const post = (body: unknown) =>
  app.request(
    '/api/search/feedback',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    { ...TEST_ENV },
    testExecutionContext(),
  )

async function expectValidationError(res: Response, ...words: string[]) {
  expect(res.status).toBe(400)
  const body = (await res.json()) as { error: { code: string; message: string } }
  expect(body.error.code).toBe('validation_error')
  for (const word of words) expect(body.error.message).toContain(word)
}

describe('POST /api/search/feedback validation', () => {
  it('names the field at fault in the current body, not "Invalid input"', async () => {
    await expectValidationError(await post({ trace_id: 'xyz', rating: 'up' }), 'trace_id', '32 hex')
    await expectValidationError(await post({ trace_id: TRACE, rating: 'meh' }), 'rating')
    await expectValidationError(await post({ trace_id: TRACE, rating: 'down', reason: 'boring' }), 'reason')
    await expectValidationError(
      await post({ trace_id: TRACE, rating: 'up', comment: 'x'.repeat(1001) }),
      'comment',
    )
  })

  it('wants exactly one of trace_id and query_id', async () => {
    await expectValidationError(await post({ rating: 'up' }), 'exactly one')
    await expectValidationError(
      await post({ trace_id: TRACE, query_id: crypto.randomUUID(), rating: 'up' }),
      'exactly one',
    )
  })

  it('takes feedback_text: null as no text, and still refuses a number there', async () => {
    // A 4xx other than validation (the unreachable upstreams make it a 5xx) means the body passed.
    const res = await post({ query_id: crypto.randomUUID(), rating: 'positive', feedback_text: null })
    expect(res.status).not.toBe(400)
    await expectValidationError(
      await post({ query_id: crypto.randomUUID(), rating: 'positive', feedback_text: 7 }),
      'feedback_text',
    )
  })

  it('reports the legacy body’s own problems for a legacy rating', async () => {
    await expectValidationError(await post({ query_id: 'q-1', rating: 'positive' }), 'query_id', 'UUID')
    await expectValidationError(
      await post({ query_id: crypto.randomUUID(), rating: 'negative', feedback_text: 'x'.repeat(2001) }),
      'feedback_text',
    )
    // 2000 characters are fine there: the problem reported is the unknown field, not the length.
    await expectValidationError(
      await post({
        query_id: crypto.randomUUID(),
        rating: 'negative',
        feedback_text: 'x'.repeat(2000),
        reason: 'wrong',
      }),
      'reason',
    )
  })

  it('rejects the all-zero trace id, which names no trace', async () => {
    await expectValidationError(await post({ trace_id: '0'.repeat(32), rating: 'down' }), 'all-zero')
  })

  it('a body that is not an object is a 400', async () => {
    await expectValidationError(await post([TRACE]))
    await expectValidationError(await post('up'))
  })
})

describe('GET /api/search/feedback access', () => {
  it('is for admins: 401 without a token', async () => {
    const res = await app.request(
      '/api/search/feedback?flagged=true',
      {},
      { ...TEST_ENV },
      testExecutionContext(),
    )
    expect(res.status).toBe(401)
  })
})

describe('POST /api/search/feedback/{feedback_id}/retire access', () => {
  it('is for admins: 401 without a token, before anything is looked up', async () => {
    const res = await app.request(
      `/api/search/feedback/${'a'.repeat(32)}/retire`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      { ...TEST_ENV },
      testExecutionContext(),
    )
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized')
  })
})
