import { context, type Span, SpanKind, trace } from '@opentelemetry/api'
import { ATTR, EVENT } from '../telemetry/catalogue.ts'
import { injectTraceContext } from '../telemetry/helpers.ts'
import type { FetchLike } from './fetch.ts'

/**
 * The URL as recorded on a span: no query string (it may carry user text or a key) and no
 * credentials. The exporter's scrubber runs again on export; this keeps the span clean at source.
 */
export function spanUrl(input: string | URL): string {
  try {
    const url = new URL(String(input))
    url.search = ''
    url.hash = ''
    url.username = ''
    url.password = ''
    return url.toString()
  } catch {
    return ''
  }
}

/**
 * `http.request.method`, `url.full` (scrubbed) and `server.address`. No `server.port`: url.full
 * says it, and every attribute costs ~50 bytes of OTLP per span (docs/benchmarks.md).
 */
export function recordHttpRequest(span: Span, method: string, input: string | URL): void {
  const full = spanUrl(input)
  if (!full) return
  span.setAttributes({
    [ATTR.httpMethod]: method.toUpperCase(),
    [ATTR.urlFull]: full,
    [ATTR.serverAddress]: new URL(full).hostname,
  })
}

/** Per CLIENT span: attempts so far and what the last one got (status or error name). */
const attemptsBySpan = new WeakMap<Span, { count: number; last: Record<string, string | number> }>()

/**
 * A fetch for a client whose call already runs inside its own CLIENT span (the global fetch is
 * not instrumented, so there is no child span per attempt). Each attempt: W3C `traceparent` with
 * the CLIENT span as parent, the HTTP attributes and response status on that span, and from the
 * second attempt on an `http.retry` event saying what the previous attempt got.
 */
export function tracedFetch(inner: FetchLike): FetchLike {
  return async (input, init) => {
    const span = trace.getActiveSpan()
    // Only the call's CLIENT span gets HTTP attributes (a client's own, or a step or lookup span
    // that is itself the call's CLIENT span): never the root or an internal step span.
    if (!span || (span as Partial<{ kind: SpanKind }>).kind !== SpanKind.CLIENT) return inner(input, init)
    const request = input instanceof Request ? input : undefined
    const url = request ? request.url : input instanceof URL ? input : String(input)
    const method = init?.method ?? request?.method ?? 'GET'
    const state = attemptsBySpan.get(span) ?? { count: 0, last: {} }
    attemptsBySpan.set(span, state)
    state.count += 1
    if (state.count > 1) span.addEvent(EVENT.httpRetry, { [ATTR.retryCount]: state.count - 1, ...state.last })
    else recordHttpRequest(span, method, url)
    const headers = new Headers(init?.headers ?? request?.headers)
    injectTraceContext(headers, context.active())
    try {
      const response = await inner(input, { ...init, headers })
      span.setAttribute(ATTR.httpStatus, response.status)
      state.last = { [ATTR.httpStatus]: response.status }
      return response
    } catch (error: unknown) {
      // Not on the span itself: a later attempt may succeed. The client marks a final failure.
      state.last = { [ATTR.errorType]: error instanceof Error ? error.name : 'Error' }
      throw error
    }
  }
}
