import { describe, expect, it } from 'vitest'
import type { FeedbackRecord } from './records.ts'
import { reviewGroupKey, reviewLines, waitingFilter } from './review-queue.ts'

let n = 0
function rating(over: Partial<FeedbackRecord>): FeedbackRecord {
  n += 1
  return {
    feedback_id: `f-${n}`,
    query_id: `q-${n}`,
    trace_id: null,
    root_span_id: null,
    user_id: 'anonymous',
    ip_hash: null,
    rating: 'down',
    reason: null,
    comment: null,
    format: 'current',
    flagged_for_review: true,
    cache_key: 'search:k',
    model: null,
    cached: true,
    top_source_type: null,
    feedback_trace_id: null,
    signed_in: false,
    answer_id: 'a-1',
    retired_at: null,
    retired_by: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    ...over,
  }
}

describe('reviewLines', () => {
  it('makes a flood of anonymous ratings of one answer one line, counting no rater', () => {
    const flood = Array.from({ length: 300 }, () => rating({}))
    const lines = reviewLines(flood, 3)
    expect(lines).toHaveLength(1)
    expect(lines[0]?.feedback_id).toBe(flood[0]?.feedback_id)
    expect(lines[0]?.review).toEqual({ down_ratings: 300, signed_in_raters: 0, needed: 3, retired: false })
  })

  it('counts each signed-in member once, however many of their searches they rated', () => {
    const lines = reviewLines(
      [
        rating({ user_id: 'm-1', signed_in: true }),
        rating({ user_id: 'm-1', signed_in: true }),
        rating({ user_id: 'm-2', signed_in: true }),
        rating({}),
      ],
      3,
    )
    expect(lines[0]?.review).toMatchObject({ down_ratings: 4, signed_in_raters: 2 })
  })

  it('keeps answers apart, newest line first, and a retired episode apart from a new one', () => {
    const lines = reviewLines(
      [
        rating({ answer_id: 'a-2' }),
        rating({ answer_id: 'a-1' }),
        rating({ answer_id: 'a-1', retired_at: '2026-01-01T00:00:00.000Z', retired_by: 'admin' }),
        rating({ answer_id: 'a-2' }),
      ],
      3,
    )
    expect(lines.map((l) => [l.answer_id, l.review?.retired, l.review?.down_ratings])).toEqual([
      ['a-2', false, 2],
      ['a-1', false, 1],
      ['a-1', true, 1],
    ])
  })

  it('groups ratings of an answer no longer cached by question, and a rating without a cache key alone', () => {
    const a = rating({ answer_id: null })
    const b = rating({ answer_id: null })
    const c = rating({ answer_id: null, cache_key: null })
    expect(reviewGroupKey(a)).toBe(reviewGroupKey(b))
    expect(reviewLines([a, b, c], 3)).toHaveLength(2)
    expect(waitingFilter(a)).toEqual({ cache_key: 'search:k', answer_id: null, retired_at: null })
    expect(waitingFilter(c)).toEqual({ feedback_id: c.feedback_id })
    expect(waitingFilter(rating({}))).toEqual({ answer_id: 'a-1', retired_at: null })
  })

  it('never shows the cache key, IP hash or root span id', () => {
    const json = JSON.stringify(reviewLines([rating({ ip_hash: 'h'.repeat(64) })], 3))
    expect(json).not.toMatch(/ip_hash|cache_key|root_span_id|search:k/)
  })
})
