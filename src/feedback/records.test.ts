import { describe, expect, it } from 'vitest'
import { feedbackId, ratedSearchOf, readRecord, toItem } from './records.ts'

describe('feedbackId', () => {
  it('is the same for the same caller and search, and differs for another caller or search', async () => {
    const a = await feedbackId('user:u-1', 'q-1')
    expect(await feedbackId('user:u-1', 'q-1')).toBe(a)
    expect(await feedbackId('user:u-2', 'q-1')).not.toBe(a)
    expect(await feedbackId('user:u-1', 'q-2')).not.toBe(a)
    expect(a).toMatch(/^[0-9a-f]{32}$/)
  })

  it('cannot be forged by moving text between caller and search', async () => {
    expect(await feedbackId('user:a', 'bq')).not.toBe(await feedbackId('user:ab', 'q'))
  })
})

describe('ratedSearchOf', () => {
  it('reads what the query log records about a search', () => {
    const search = ratedSearchOf({
      id: 'row-1',
      data: {
        query_id: 'q-1',
        trace_id: 't'.repeat(32),
        root_span_id: 's'.repeat(16),
        cache_key: 'search:abc',
        model: 'gpt-4o-mini',
        cached: true,
        top_source_type: 'technique',
      },
    })
    expect(search).toEqual({
      queryId: 'q-1',
      traceId: 't'.repeat(32),
      rootSpanId: 's'.repeat(16),
      cacheKey: 'search:abc',
      model: 'gpt-4o-mini',
      cached: true,
      topSourceType: 'technique',
    })
  })

  it('names a row logged before query ids existed by its row id, with no link or cache key', () => {
    const search = ratedSearchOf({ id: 'row-7', data: { trace_id: null, cached: false } })
    expect(search).toMatchObject({ queryId: 'row-7', traceId: null, rootSpanId: null, cacheKey: null })
  })
})

describe('readRecord / toItem', () => {
  const stored = {
    feedback_id: 'f-1',
    query_id: 'q-1',
    trace_id: null,
    root_span_id: null,
    user_id: 'anonymous',
    ip_hash: 'h'.repeat(64),
    rating: 'down',
    reason: 'wrong',
    comment: null,
    format: 'legacy',
    flagged_for_review: true,
    cache_key: 'search:abc',
    model: null,
    cached: false,
    top_source_type: null,
    feedback_trace_id: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  }

  it('gives admins the rating without the IP hash, cache key or root span id', () => {
    const record = readRecord({ id: 'r', data: stored })
    expect(record).toBeDefined()
    const item = toItem(record!)
    expect(item).toMatchObject({
      feedback_id: 'f-1',
      rating: 'down',
      flagged_for_review: true,
      format: 'legacy',
    })
    expect(Object.keys(item)).not.toContain('ip_hash')
    expect(Object.keys(item)).not.toContain('cache_key')
    expect(Object.keys(item)).not.toContain('root_span_id')
  })

  it('skips a row it did not write instead of failing the listing', () => {
    expect(readRecord({ id: 'r', data: { rating: 'meh' } })).toBeUndefined()
  })
})
