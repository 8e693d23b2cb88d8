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

const DEFAULT_PORTS: Record<string, number> = { 'https:': 443, 'http:': 80 }

/** The port a URL reaches: its own, else the scheme's default (`server.port` is Required). */
export function serverPort(url: URL): number | undefined {
  return url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol]
}

/**
 * The HTTP client span's request attributes: `http.request.method`, `url.full` (scrubbed),
 * `server.address` (the host without brackets or port) and `server.port` (a number).
 */
export function recordHttpRequest(span: Span, method: string, input: string | URL): void {
  const full = spanUrl(input)
  if (!full) return
  const url = new URL(full)
  span.setAttributes({
    [ATTR.httpMethod]: method.toUpperCase(),
    [ATTR.urlFull]: full,
    // An IPv6 hostname comes bracketed in the URL API; the convention wants the bare address.
    [ATTR.serverAddress]: url.hostname.replace(/^\[(.*)\]$/, '$1'),
  })
  const port = serverPort(url)
  if (port !== undefined) span.setAttribute(ATTR.serverPort, port)
}

/** Per CLIENT span: attempts so far and what the last one got (status or error name). */
const attemptsBySpan = new WeakMap<Span, { count: number; last: Record<string, string | number> }>()

/**
 * A fetch for a client whose call already runs inside its own CLIENT span (the global fetch is
 * not instrumented, so there is no child span per attempt). Each attempt: W3C `traceparent` with
 * the CLIENT span as parent, the HTTP attributes and response status on that span, and from the
 * second attempt on `http.request.resend_count` (resends so far: the span stands for the logical
 * call, its attempts are not spans of their own) and an `http.retry` event saying what the
 * previous attempt got.
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
    if (state.count > 1) {
      span.setAttribute(ATTR.httpResendCount, state.count - 1)
      span.addEvent(EVENT.httpRetry, { [ATTR.httpResendCount]: state.count - 1, ...state.last })
    } else recordHttpRequest(span, method, url)
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
