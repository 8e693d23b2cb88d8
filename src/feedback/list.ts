import { ATTR, SPAN } from '../telemetry/catalogue.ts'
import { addUserContext, withSpan } from '../telemetry/helpers.ts'
import { FEEDBACK_TABLE, readRecord, toItem } from './records.ts'
import type { FeedbackRun } from './run.ts'
import type { FeedbackList, FeedbackListQuery } from './schemas.ts'

/** Admins' review queue: newest first, `flagged=true` for the answers rated down. */
export function listFeedback(run: FeedbackRun, query: FeedbackListQuery): Promise<FeedbackList> {
  const attributes = { [ATTR.queryLimit]: query.limit, [ATTR.feedbackFlagged]: query.flagged }
  return withSpan(SPAN.feedback('list'), { attributes }, async (span) => {
    addUserContext(run.user, span)
    const result = await run.deps.zerodb.queryRows(FEEDBACK_TABLE, {
      filter: query.flagged === undefined ? undefined : { flagged_for_review: query.flagged },
      sort: { field: 'updated_at', direction: 'desc' },
      limit: query.limit,
      offset: query.offset,
    })
    const items = result.rows.flatMap((row) => {
      const record = readRecord(row)
      return record ? [toItem(record)] : []
    })
    span.setAttribute(ATTR.queryResultCount, items.length)
    return { items, total: result.total, limit: query.limit, offset: query.offset }
  })
}
