import { type Span, TraceFlags } from '@opentelemetry/api'
import { hashClientIp } from '../privacy/ip-hash.ts'
import { ATTR, SPAN } from '../telemetry/catalogue.ts'
import { addUserContext, withSpan } from '../telemetry/helpers.ts'
import { servedAnswer } from './answer-id.ts'
import { findSearch, type SearchRef } from './find-search.ts'
import { FEEDBACK_TABLE, type FeedbackRecord, feedbackId, type RatedSearch, readRecord } from './records.ts'
import { countRaters, countsTowardRetirement, type RaterCount, retireAnswer } from './retirement.ts'
import type { FeedbackRun } from './run.ts'
import type { FeedbackFormat, FeedbackReason, Rating } from './schemas.ts'

/** Either request body, mapped onto one shape. */
export interface FeedbackInput {
  ref: SearchRef
  rating: Rating
  reason: FeedbackReason | null
  comment: string | null
  format: FeedbackFormat
}

export type SubmitOutcome =
  | {
      reason: 'stored'
      record: FeedbackRecord
      replaced: boolean
      /** This rating retired the answer (it was the last rater needed). */
      cacheRetired: boolean
      retirement: RaterCount | null
    }
  | { reason: 'search_not_found' }
  /** The same caller's rating of the same search is being stored by another request right now. */
  | { reason: 'busy' }

/** Long enough for any request to finish under it; a lock left by a dead Worker frees itself. */
const LOCK_TTL_SECONDS = 60

/**
 * Finds the rated search, then in span `feedback.submit` (linked to the rated search's root span,
 * so Honeycomb jumps from a thumbs-down to that trace) stores one record per caller and search:
 * a second rating replaces the first. Rated down, the answer is flagged for review and stays
 * served: it is retired only under the retirement rule (retirement.ts), which this rating may
 * complete when it is the last signed-in rater needed.
 */
export async function submitFeedback(run: FeedbackRun, input: FeedbackInput): Promise<SubmitOutcome> {
  const found = await findSearch(run, input.ref)
  if (found.reason === 'not_found') return { reason: 'search_not_found' }
  const search = found.search
  return withSpan(
    SPAN.feedback('submit'),
    { attributes: spanAttributes(run, input, search) },
    async (span) => {
      addUserContext(run.user, span)
      linkToSearch(span, search)
      const ipHash = run.user.role === 'anonymous' ? hashClientIp(run.deps.config, run.clientIp) : null
      const callerKey = ipHash ? `ip:${ipHash}` : `user:${run.user.id}`
      const id = await feedbackId(callerKey, search.queryId)
      const lockKey = `lock:feedback:${id}`
      const lock = await run.deps.cache.setNx(lockKey, Date.now(), LOCK_TTL_SECONDS)
      // Upstash down: store anyway. The worst case is a duplicate row, not a lost rating.
      if (lock.reason === 'taken') return { reason: 'busy' as const }
      try {
        const answerId = input.rating === 'down' ? await ratedAnswerId(run, search) : null
        const now = new Date().toISOString()
        const record: FeedbackRecord = {
          feedback_id: id,
          query_id: search.queryId,
          trace_id: search.traceId,
          root_span_id: search.rootSpanId,
          user_id: run.user.id,
          ip_hash: ipHash,
          rating: input.rating,
          reason: input.reason,
          comment: input.comment,
          format: input.format,
          flagged_for_review: input.rating === 'down',
          cache_key: search.cacheKey,
          model: search.model,
          cached: search.cached,
          top_source_type: search.topSourceType,
          feedback_trace_id: run.traceId,
          signed_in: countsTowardRetirement(run.user),
          answer_id: answerId,
          retired_at: null,
          retired_by: null,
          created_at: now,
          updated_at: now,
        }
        const replaced = await store(run, record)
        const retirement = await countRaters(run, record)
        const retired = retirement?.retire ? await retireAnswer(run, record, 'raters', true) : undefined
        const cacheRetired = retired?.reason === 'retired' && retired.cacheRetired
        span.setAttributes({
          [ATTR.feedbackReplaced]: replaced,
          [ATTR.feedbackFlagged]: record.flagged_for_review,
          [ATTR.feedbackCacheRetired]: cacheRetired,
          [ATTR.feedbackRetireRaters]: retirement?.raters ?? undefined,
          [ATTR.feedbackRetireNeeded]: retirement?.counted ? retirement.needed : undefined,
        })
        return { reason: 'stored' as const, record, replaced, cacheRetired, retirement }
      } finally {
        if (lock.reason === 'claimed') await run.deps.cache.del(lockKey)
      }
    },
  )
}

function spanAttributes(run: FeedbackRun, input: FeedbackInput, search: RatedSearch) {
  return {
    [ATTR.feedbackRating]: input.rating,
    [ATTR.feedbackReason]: input.reason ?? undefined,
    [ATTR.feedbackFormat]: input.format,
    // User text: on the span only where query text may be (OTEL_RECORD_QUERY_TEXT).
    [ATTR.feedbackComment]: run.recordQueryText ? (input.comment ?? undefined) : undefined,
    [ATTR.searchQueryId]: search.queryId,
    [ATTR.searchTraceId]: search.traceId ?? undefined,
    [ATTR.searchModel]: search.model ?? undefined,
    [ATTR.searchCached]: search.cached,
    [ATTR.searchTopSourceType]: search.topSourceType ?? undefined,
  }
}

/**
 * otel-cf-workers rc.52 drops `links` passed to startSpan, but its spans keep links added later
 * and the OTLP encoder exports them. The search's trace was tracing on when logged; a search logged
 * with tracing off has no trace id and gets no link.
 */
function linkToSearch(span: Span, search: RatedSearch): void {
  if (!search.traceId || !search.rootSpanId) return
  span.addLink({
    context: {
      traceId: search.traceId,
      spanId: search.rootSpanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    },
  })
}

/** Creates the record or replaces the caller's earlier one (keeping its created_at): `true` if replaced. */
async function store(run: FeedbackRun, record: FeedbackRecord): Promise<boolean> {
  const zerodb = run.deps.zerodb
  const { rows } = await zerodb.queryRows(FEEDBACK_TABLE, {
    filter: { feedback_id: record.feedback_id },
    limit: 1,
  })
  const existing = rows[0]
  if (!existing) {
    await zerodb.createRow(FEEDBACK_TABLE, { ...record })
    return false
  }
  const createdAt = readRecord(existing)?.created_at ?? record.created_at
  const updated = await zerodb.updateRow(FEEDBACK_TABLE, existing.id, { ...record, created_at: createdAt })
  // Deleted between the query and the update: it is a first rating after all.
  if (!updated) await zerodb.createRow(FEEDBACK_TABLE, { ...record })
  record.created_at = createdAt
  return updated !== null
}

/**
 * The answer a rating down judges: the one cached under the rated search's key now. The search's
 * cache write settles before its log row is written (search/pipeline.ts), so once the row was found
 * the answer it wrote is in place. Nothing cached (expired, retired, Upstash down): null, and the
 * rating flags without counting toward any answer.
 */
async function ratedAnswerId(run: FeedbackRun, search: RatedSearch): Promise<string | null> {
  if (!search.cacheKey) return null
  const served = await servedAnswer(run, search.cacheKey)
  return served.reason === 'cached' ? served.answerId : null
}
