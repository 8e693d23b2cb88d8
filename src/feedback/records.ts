import { z } from 'zod'
import type { Row } from '../clients/zerodb/client.ts'
import { sha256Hex } from '../search/hash.ts'
import { FEEDBACK_FORMATS, FEEDBACK_REASONS, type FeedbackItem, RATINGS, RETIRED_BY } from './schemas.ts'

/** One row per caller and rated search; `npm run zerodb:setup` creates the table. */
export const FEEDBACK_TABLE = 'search_feedback'

export const FEEDBACK_SCHEMA = {
  feedback_id: 'string',
  query_id: 'string',
  trace_id: 'string',
  root_span_id: 'string',
  user_id: 'string',
  ip_hash: 'string',
  rating: 'string',
  reason: 'string',
  comment: 'string',
  format: 'string',
  flagged_for_review: 'boolean',
  cache_key: 'string',
  model: 'string',
  cached: 'boolean',
  top_source_type: 'string',
  feedback_trace_id: 'string',
  signed_in: 'boolean',
  answer_id: 'string',
  retired_at: 'timestamp',
  retired_by: 'string',
  created_at: 'timestamp',
  updated_at: 'timestamp',
} as const

/** The search being rated, as its query-log row (`search_queries`) recorded it. */
export interface RatedSearch {
  queryId: string
  traceId: string | null
  rootSpanId: string | null
  /** The exact answer-cache key it was served from or wrote. */
  cacheKey: string | null
  model: string | null
  cached: boolean
  topSourceType: string | null
}

const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null)
const logRow = z.object({
  query_id: z.string().optional(),
  trace_id: nullableString,
  root_span_id: nullableString,
  cache_key: nullableString,
  model: nullableString,
  cached: z.boolean().optional(),
  top_source_type: nullableString,
})

/** Rows written before query ids existed are named by their row id. */
export function ratedSearchOf(row: Row): RatedSearch {
  const r = logRow.parse(row.data)
  return {
    queryId: r.query_id ?? row.id,
    traceId: r.trace_id,
    rootSpanId: r.root_span_id,
    cacheKey: r.cache_key,
    model: r.model,
    cached: r.cached ?? false,
    topSourceType: r.top_source_type,
  }
}

/**
 * Deterministic: the same caller rating the same search always lands on the same record, so a
 * second rating replaces the first. Members are named by user id, anonymous callers by their IP's
 * hash (as the rate limit tells them apart); the IP itself is never stored.
 */
export async function feedbackId(callerKey: string, queryId: string): Promise<string> {
  return (await sha256Hex(`${callerKey}\n${queryId}`)).slice(0, 32)
}

/** A stored rating: what `submitFeedback` writes and `readRecord` reads back. */
const storedRecord = z.object({
  feedback_id: z.string(),
  query_id: z.string(),
  trace_id: nullableString,
  root_span_id: nullableString,
  user_id: z.string(),
  ip_hash: nullableString,
  rating: z.enum(RATINGS),
  reason: z
    .enum(FEEDBACK_REASONS)
    .nullish()
    .transform((v) => v ?? null),
  comment: nullableString,
  format: z.enum(FEEDBACK_FORMATS).catch('current'),
  flagged_for_review: z.boolean(),
  cache_key: nullableString,
  model: nullableString,
  cached: z.boolean().catch(false),
  top_source_type: nullableString,
  /** The trace of the feedback request itself. */
  feedback_trace_id: nullableString,
  /** A signed-in caller's rating: only these count toward retirement (rows from before: no). */
  signed_in: z.boolean().catch(false),
  /** Rated down: the cached answer served under cache_key at the time (src/feedback/answer-id.ts). */
  answer_id: nullableString,
  /** When the rated answer was retired (an admin's decision, or enough raters), and by whom. */
  retired_at: nullableString,
  retired_by: z
    .enum(RETIRED_BY)
    .nullish()
    .catch(null)
    .transform((v) => v ?? null),
  created_at: z.string(),
  updated_at: z.string(),
})
export type FeedbackRecord = z.infer<typeof storedRecord>

/** A stored row as a record; `undefined` for a row this code did not write (skipped, not fatal). */
export function readRecord(row: Row): FeedbackRecord | undefined {
  const parsed = storedRecord.safeParse(row.data)
  return parsed.success ? parsed.data : undefined
}

/** What an admin sees: no IP hash, no cache key, no root span id. */
export function toItem(r: FeedbackRecord): FeedbackItem {
  return {
    feedback_id: r.feedback_id,
    query_id: r.query_id,
    trace_id: r.trace_id,
    rating: r.rating,
    reason: r.reason,
    comment: r.comment,
    flagged_for_review: r.flagged_for_review,
    created_at: r.created_at,
    updated_at: r.updated_at,
    user_id: r.user_id,
    format: r.format,
    model: r.model,
    cached: r.cached,
    top_source_type: r.top_source_type,
    answer_id: r.answer_id,
    retired_at: r.retired_at,
    retired_by: r.retired_by,
  }
}
