import { type Attributes, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { ATTR } from './catalogue.ts'

/**
 * Errors whose `exception` event is already on a span. An error travels up through every span it
 * leaves (CLIENT span, step span, root): only the first one records it, so an error-count query
 * counts one failure once. WeakSet: an error object is forgotten with the request that made it.
 */
const recorded = new WeakSet<object>()

/** How deep a `cause` chain is followed: wrappers of wrappers are rare, loops are possible. */
const MAX_CAUSES = 5

/** Whether `error`, or an error it wraps (`cause`), already has its `exception` event. */
export function wasRecorded(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; depth <= MAX_CAUSES; depth++) {
    if (typeof current !== 'object' || current === null) return false
    if (recorded.has(current)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

/**
 * `error.type`: low-cardinality and saying what failed. Our failures know it (`errorType`: `timeout`,
 * the upstream's HTTP status, `malformed_response`, `connection_error`, an API error's code); for
 * anything else the class name, as the conventions suggest for exceptions.
 */
export function errorTypeOf(error: unknown): string {
  const own = (error as { errorType?: unknown } | null | undefined)?.errorType
  if (typeof own === 'string' && own) return own
  return error instanceof Error ? error.name : 'Error'
}

/** Which upstream failed, for failures that say so (UpstreamError, CacheError) or wrap one that does. */
function upstreamOf(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth <= MAX_CAUSES; depth++) {
    if (typeof current !== 'object' || current === null) return undefined
    const upstream = (current as { upstream?: unknown }).upstream
    if (typeof upstream === 'string') return upstream
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

const isClient = (span: Span) => (span as Partial<{ kind: SpanKind }>).kind === SpanKind.CLIENT

/** The status description of a span an error only passed through: short, no upstream text. */
function passedThrough(type: string, upstream: string | undefined): string {
  return upstream ? `${upstream} call failed: ${type}` : `failed: ${type}`
}

/**
 * Marks `span` as failed by `error`. Where the error happened (the first span to see it): status
 * ERROR with the message, `error.type`, `error.message` and the `exception` event with the stack.
 * On every span it then leaves: status ERROR with a short description and `error.type`, and no
 * second `exception` event. A failed CLIENT span names its peer (`server.service.name`); a span above
 * it says which upstream failed (`wwmaa.error.upstream`).
 */
export function setSpanError(error: unknown, span = trace.getActiveSpan(), type?: string): void {
  if (!span) return
  const err = error instanceof Error ? error : new Error(String(error))
  const errorType = type ?? errorTypeOf(err)
  const upstream = upstreamOf(err)
  const attributes: Attributes = { [ATTR.errorType]: errorType }
  if (upstream) attributes[isClient(span) ? ATTR.serverServiceName : ATTR.errorUpstream] = upstream
  if (wasRecorded(error)) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: passedThrough(errorType, upstream) })
    span.setAttributes(attributes)
    return
  }
  recorded.add(err)
  span.recordException(err)
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message })
  span.setAttributes({ ...attributes, [ATTR.errorMessage]: err.message })
}

/**
 * A span that failed with nothing thrown (a handler returned a 5xx, a health verdict): status ERROR,
 * `error.type`, and `error.message` when there is more to say; never an `exception` event.
 */
export function setSpanFailed(span: Span | undefined, type: string, message?: string): void {
  if (!span) return
  span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? `failed: ${type}` })
  span.setAttribute(ATTR.errorType, type)
  if (message) span.setAttribute(ATTR.errorMessage, message)
}
