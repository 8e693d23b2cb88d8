import { ATTR, SPAN } from '../telemetry/catalogue.ts'
import { addUserContext, withSpan } from '../telemetry/helpers.ts'
import { FEEDBACK_TABLE, type FeedbackRecord, readRecord, toItem } from './records.ts'
import { reviewLines } from './review-queue.ts'
import type { FeedbackRun } from './run.ts'
import type { FeedbackList, FeedbackListQuery } from './schemas.ts'

/** ZeroDB's page size cap: the review queue is built from the newest this many flagged ratings. */
const REVIEW_SCAN = 1000

/**
 * Admins' feedback list, newest first. `flagged=true` is the review queue: one item per rated
 * answer (review-queue.ts), paged by line; otherwise one item per rating, paged in ZeroDB.
 */
export function listFeedback(run: FeedbackRun, query: FeedbackListQuery): Promise<FeedbackList> {
  const attributes = { [ATTR.queryLimit]: query.limit, [ATTR.feedbackFlagged]: query.flagged }
  return withSpan(SPAN.feedback('list'), { attributes }, async (span) => {
    addUserContext(run.user, span)
    const list = query.flagged === true ? await reviewQueue(run, query) : await ratings(run, query)
    span.setAttribute(ATTR.queryResultCount, list.items.length)
    return list
  })
}

async function ratings(run: FeedbackRun, query: FeedbackListQuery): Promise<FeedbackList> {
  const result = await run.deps.zerodb.queryRows(FEEDBACK_TABLE, {
    filter: query.flagged === undefined ? undefined : { flagged_for_review: query.flagged },
    sort: { field: 'updated_at', direction: 'desc' },
    limit: query.limit,
    offset: query.offset,
  })
  const items = records(result.rows).map(toItem)
  return { items, total: result.total, limit: query.limit, offset: query.offset }
}

async function reviewQueue(run: FeedbackRun, query: FeedbackListQuery): Promise<FeedbackList> {
  const result = await run.deps.zerodb.queryRows(FEEDBACK_TABLE, {
    filter: { flagged_for_review: true },
    sort: { field: 'updated_at', direction: 'desc' },
    limit: REVIEW_SCAN,
  })
  const lines = reviewLines(records(result.rows), run.deps.config.feedback.retireMinRaters).filter(
    (line) => query.retired === undefined || line.review?.retired === query.retired,
  )
  const items = lines.slice(query.offset, query.offset + query.limit)
  return { items, total: lines.length, limit: query.limit, offset: query.offset }
}

function records(rows: Parameters<typeof readRecord>[0][]): FeedbackRecord[] {
  return rows.flatMap((row) => {
    const record = readRecord(row)
    return record ? [record] : []
  })
}
