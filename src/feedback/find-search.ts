import { QUERY_LOG_TABLE } from '../search/query-log.ts'
import { ATTR, SPAN } from '../telemetry/catalogue.ts'
import { addUserContext, withSpan } from '../telemetry/helpers.ts'
import { type RatedSearch, ratedSearchOf } from './records.ts'
import type { FeedbackRun } from './run.ts'

/** How the client named the search: by its trace id or by its query-log row id. */
export type SearchRef = { by: 'trace_id'; value: string } | { by: 'query_id'; value: string }

export type FindOutcome =
  | { reason: 'found'; search: RatedSearch }
  /** No query-log row within FEEDBACK_SEARCH_WAIT_MS: unknown, or not a search at all. */
  | { reason: 'not_found' }

const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 800

/**
 * The rated search's query-log row. That row is written after the search answered (waitUntil), so
 * a rating sent right after the answer can arrive first: the lookup is repeated, backing off, for
 * up to FEEDBACK_SEARCH_WAIT_MS before the search counts as unknown. Each attempt is one
 * `zerodb.query_documents` span under this one.
 */
export function findSearch(run: FeedbackRun, ref: SearchRef): Promise<FindOutcome> {
  const attributes = { [ATTR.feedbackLookupBy]: ref.by }
  return withSpan(SPAN.feedback('find_search'), { attributes }, async (span) => {
    addUserContext(run.user, span)
    const deadline = Date.now() + run.deps.config.feedback.searchWaitMs
    let attempts = 0
    let delay = FIRST_RETRY_MS
    for (;;) {
      attempts += 1
      const { rows } = await run.deps.zerodb.queryRows(QUERY_LOG_TABLE, {
        filter: { [ref.by]: ref.value },
        limit: 1,
      })
      const row = rows[0]
      const left = deadline - Date.now()
      if (row || left <= 0) {
        span.setAttributes({ [ATTR.feedbackLookupAttempts]: attempts, [ATTR.feedbackFound]: !!row })
        return row ? { reason: 'found', search: ratedSearchOf(row) } : { reason: 'not_found' }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)))
      delay = Math.min(delay * 2, MAX_RETRY_MS)
    }
  })
}
