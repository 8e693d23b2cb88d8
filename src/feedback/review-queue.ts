import type { RowFilter } from '../clients/zerodb/wire.ts'
import { type FeedbackRecord, toItem } from './records.ts'
import type { FeedbackItem } from './schemas.ts'

/**
 * The admins' review queue: one line per rated answer, not one per rating, so a flood of ratings
 * down of one answer (anonymous callers from many addresses, or one caller's many searches) is a
 * single line with its counts. An answer retired and then cached again with the same text starts
 * a new line: the ratings already decided stay with the old one.
 */
export function reviewGroupKey(r: FeedbackRecord): string {
  const episode = r.retired_at ?? 'waiting'
  if (r.answer_id) return `answer:${r.answer_id}:${episode}`
  // Rated when nothing was cached under the key (expired, retired, Upstash down): one line per key.
  if (r.cache_key) return `key:${r.cache_key}:${episode}`
  return `rating:${r.feedback_id}`
}

/** The undecided ratings in the same line as `r`: what a retirement marks as decided. */
export function waitingFilter(r: FeedbackRecord): RowFilter {
  if (r.answer_id) return { answer_id: r.answer_id, retired_at: null }
  if (r.cache_key) return { cache_key: r.cache_key, answer_id: null, retired_at: null }
  return { feedback_id: r.feedback_id }
}

interface Line {
  newest: FeedbackRecord
  downRatings: number
  raters: Set<string>
}

/**
 * Groups flagged ratings, given newest first, into review lines in the order of each line's newest
 * rating. Only signed-in ratings count as raters (FEEDBACK_RETIRE_MIN_RATERS), each member once.
 */
export function reviewLines(records: FeedbackRecord[], needed: number): FeedbackItem[] {
  const lines = new Map<string, Line>()
  for (const r of records) {
    const key = reviewGroupKey(r)
    let line = lines.get(key)
    if (!line) {
      line = { newest: r, downRatings: 0, raters: new Set() }
      lines.set(key, line)
    }
    if (r.rating !== 'down') continue
    line.downRatings += 1
    if (r.signed_in) line.raters.add(r.user_id)
  }
  return [...lines.values()].map((line) => ({
    ...toItem(line.newest),
    review: {
      down_ratings: line.downRatings,
      signed_in_raters: line.raters.size,
      needed,
      retired: line.newest.retired_at !== null,
    },
  }))
}
