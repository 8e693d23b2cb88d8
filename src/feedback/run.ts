import type { Caller } from '../caller/caller.ts'
import type { SearchDeps } from '../search/deps.ts'
import type { UserContext } from '../telemetry/helpers.ts'

/** One feedback request: the search clients (ZeroDB, Upstash) and who is asking. */
export interface FeedbackRun {
  deps: SearchDeps
  user: UserContext
  /** Who is calling (src/caller/): ratings are counted against its own budgets. */
  caller: Caller
  clientIp: string
  /** OTEL_RECORD_QUERY_TEXT: a comment is user text and follows the same rule as query text. */
  recordQueryText: boolean
  /** This request's trace id, stored with the record. */
  traceId: string | null
  /** ctx.waitUntil in the request's trace context; absent: such work is awaited instead. */
  background?: (work: () => Promise<unknown>) => void
}
