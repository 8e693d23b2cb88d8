import { type Context, type Span, SpanKind } from '@opentelemetry/api'
import type { Caller } from '../caller/caller.ts'
import { ATTR, SEARCH_STEPS, type SearchStep } from '../telemetry/catalogue.ts'
import { addUserContext, startSpan, type UserContext, withSpan } from '../telemetry/helpers.ts'
import type { SearchDeps } from './deps.ts'

/** One search request: what every step needs besides its own input. */
export interface SearchRun {
  deps: SearchDeps
  user: UserContext
  /** Who is calling (src/caller/): every budget and cache policy reads it. */
  caller: Caller
  /** The caller's network address (or its API client's visitor's), for keyed-hash `ip_hash` rows. */
  clientIp: string
  /** Whether the query text may go on spans (OTEL_RECORD_QUERY_TEXT; off in production). */
  recordQueryText: boolean
  /** performance.now() when the request reached the route. */
  startedAt: number
  traceId: string | null
  /**
   * The id of this search's query-log row, chosen up front so that the response can carry it
   * (feedback names the search by it) while the row is still being written in waitUntil.
   */
  queryId: string
  /** The request (root) span's id, logged so that feedback can link to this search's trace. */
  rootSpanId: string | null
  /** Hands background work to the runtime (ctx.waitUntil), inside the request's trace context. */
  background: (work: () => Promise<unknown>) => void
}

/**
 * A pipeline step: span named from SEARCH_STEPS, with its 1-based `step` number and the user, so
 * that every search.* span can be filtered by user in Honeycomb.
 */
export function step<T>(
  name: SearchStep,
  run: Pick<SearchRun, 'user'>,
  attributes: Record<string, unknown>,
  fn: (span: Span) => Promise<T>,
  /** `client`: the step is one outbound call, and its span is that call's CLIENT span. */
  kind: 'internal' | 'client' = 'internal',
): Promise<T> {
  const number = SEARCH_STEPS.indexOf(name) + 1
  const options = {
    attributes: { [ATTR.step]: number, ...attributes },
    ...(kind === 'client' ? { kind: SpanKind.CLIENT } : {}),
  }
  return withSpan(name, options, async (span) => {
    addUserContext(run.user, span)
    return fn(span)
  })
}

/** The same step span, started now and ended by the caller (a stream's step 11 lasts the stream). */
export function startStep(
  name: SearchStep,
  run: Pick<SearchRun, 'user'>,
  attributes: Record<string, unknown>,
  ctx: Context,
): Span {
  const number = SEARCH_STEPS.indexOf(name) + 1
  const span = startSpan(name, { attributes: { [ATTR.step]: number, ...attributes } }, ctx)
  addUserContext(run.user, span)
  return span
}

export const elapsedMs = (run: Pick<SearchRun, 'startedAt'>) => Math.round(performance.now() - run.startedAt)
