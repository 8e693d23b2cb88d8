import type { Row } from '../clients/zerodb/client.ts'
import { deleteEdgeAnswer } from '../edge/answer-cache.ts'
import { ATTR, SPAN } from '../telemetry/catalogue.ts'
import { addUserContext, type UserContext, withSpan } from '../telemetry/helpers.ts'
import { servedAnswer } from './answer-id.ts'
import { FEEDBACK_TABLE, type FeedbackRecord } from './records.ts'
import { waitingFilter } from './review-queue.ts'
import type { FeedbackRun } from './run.ts'
import type { RetiredBy } from './schemas.ts'

/**
 * THE RETIREMENT RULE, which every cache layer follows (today the Upstash answer cache and the
 * similarity index that points into it, and this location's edge copy, src/edge/):
 *
 * - A rating down flags the rated answer for review. It never deletes a shared answer by itself:
 *   otherwise any caller could empty an answer for everyone by rating their own cache hit down.
 * - A shared answer is retired only by (a) an admin's decision (POST
 *   /api/search/feedback/{feedback_id}/retire), or (b) FEEDBACK_RETIRE_MIN_RATERS distinct
 *   signed-in members rating that same answer down (0 switches (b) off).
 * - Anonymous ratings never count: an IP is cheap to change, an account is not.
 * - Ratings count toward the answer they judged (answer-id.ts), not toward whatever is cached
 *   under that key later, and ratings already decided never count again.
 * - Retiring deletes the exact cache entry; similarity-index entries pointing at it then serve
 *   nothing and are dropped on their next lookup (src/search/similar-cache.ts).
 *
 * Raters are counted from the `search_feedback` rows themselves, the durable record: a member who
 * changes a rating to up stops counting with nothing else to update. It costs one ZeroDB query per
 * signed-in rating down (none for anonymous ones, none on the search path).
 */

/** ZeroDB's page size cap: raters are counted among the newest this many ratings of an answer. */
const RATER_SCAN = 1000
/** Ratings of one answer marked decided at a time. */
const MARK_CONCURRENCY = 4
/** Long enough for a retirement to finish under it; a lock left by a dead Worker frees itself. */
const LOCK_TTL_SECONDS = 60

export const countsTowardRetirement = (user: UserContext): boolean => user.role !== 'anonymous'

export interface RaterCount {
  /** This rating counts: a signed-in caller rating down an answer still cached. */
  counted: boolean
  /** Distinct signed-in members with an undecided rating down of this answer (null: not counted). */
  raters: number | null
  needed: number
  /** Enough raters: retire the answer now. */
  retire: boolean
}

/** Where a stored rating down leaves its answer; null for a rating up or no cached answer. */
export async function countRaters(run: FeedbackRun, record: FeedbackRecord): Promise<RaterCount | null> {
  if (record.rating !== 'down' || !record.answer_id) return null
  const needed = run.deps.config.feedback.retireMinRaters
  if (!record.signed_in) return { counted: false, raters: null, needed, retire: false }
  const { rows } = await run.deps.zerodb.queryRows(FEEDBACK_TABLE, {
    filter: { answer_id: record.answer_id, rating: 'down', signed_in: true, retired_at: null },
    sort: { field: 'updated_at', direction: 'desc' },
    limit: RATER_SCAN,
  })
  const members = new Set(rows.map((r) => r.data.user_id).filter((id) => typeof id === 'string'))
  // The rating just stored is one of them even if the query was served before it was visible.
  members.add(record.user_id)
  const raters = members.size
  return { counted: true, raters, needed, retire: needed > 0 && raters >= needed }
}

export type RetireOutcome =
  | {
      reason: 'retired'
      /** The answer's cache entry was deleted now (false: it was no longer cached). */
      cacheRetired: boolean
      retiredAt: string
      /** Ratings marked decided (0 when that runs in the background). */
      marked: number
    }
  /** Another request is retiring the same answer right now. */
  | { reason: 'busy' }

/**
 * Retires the answer `record` rated: deletes its cache entry if that entry still holds the same
 * answer (a newer answer under the key was never judged), and marks the answer's undecided
 * ratings as decided, which takes them out of the count and the review queue's waiting lines.
 * `inBackground`: the marking goes to waitUntil (a rater's request does not wait for it).
 */
export function retireAnswer(
  run: FeedbackRun,
  record: FeedbackRecord,
  by: RetiredBy,
  inBackground = false,
): Promise<RetireOutcome> {
  return withSpan(SPAN.feedback('retire'), { attributes: { [ATTR.feedbackRetiredBy]: by } }, async (span) => {
    addUserContext(run.user, span)
    const lockKey = `lock:feedback:retire:${record.answer_id ?? record.feedback_id}`
    const lock = await run.deps.cache.setNx(lockKey, Date.now(), LOCK_TTL_SECONDS)
    // Upstash down: go on. Two retirements of one answer at once only mark its ratings twice.
    if (lock.reason === 'taken') return { reason: 'busy' as const }
    try {
      const cacheRetired = await deleteIfStillServed(run, record)
      span.setAttribute(ATTR.feedbackCacheRetired, cacheRetired)
      const retiredAt = new Date().toISOString()
      const marking = markDecided(run, record, by, retiredAt)
      if (inBackground && run.background) {
        run.background(marking)
        return { reason: 'retired' as const, cacheRetired, retiredAt, marked: 0 }
      }
      return { reason: 'retired' as const, cacheRetired, retiredAt, marked: await marking() }
    } finally {
      if (lock.reason === 'claimed') await run.deps.cache.del(lockKey)
    }
  })
}

async function deleteIfStillServed(run: FeedbackRun, record: FeedbackRecord): Promise<boolean> {
  if (!record.answer_id || !record.cache_key) return false
  // This location's edge copy goes at once, whichever answer it holds (a newer one is only
  // refetched); other locations' copies live out EDGE_CACHE_TTL_SECONDS.
  await deleteEdgeAnswer(record.cache_key).catch(() => undefined)
  const served = await servedAnswer(run, record.cache_key)
  if (served.reason !== 'cached' || served.answerId !== record.answer_id) return false
  return (await run.deps.cache.del(record.cache_key)).reason === 'released'
}

/** Marks the line's undecided ratings (rating time `updated_at` kept, so the queue's order holds). */
function markDecided(run: FeedbackRun, record: FeedbackRecord, by: RetiredBy, retiredAt: string) {
  return async (): Promise<number> => {
    const zerodb = run.deps.zerodb
    const { rows } = await zerodb.queryRows(FEEDBACK_TABLE, {
      filter: waitingFilter(record),
      limit: RATER_SCAN,
    })
    const queue: Row[] = [...rows]
    let marked = 0
    const worker = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        const updated = await zerodb.updateRow(FEEDBACK_TABLE, row.id, {
          ...row.data,
          retired_at: retiredAt,
          retired_by: by,
        })
        if (updated) marked += 1
      }
    }
    await Promise.all(Array.from({ length: Math.min(MARK_CONCURRENCY, queue.length) }, worker))
    return marked
  }
}
