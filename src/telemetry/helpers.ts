import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api'
import { ATTR } from './catalogue.ts'
import { setSpanError } from './span-errors.ts'

// otel-cf-workers stamps its own scope on every span whatever name is asked for; one tracer is enough.
// Taken once: the API hands out a ProxyTracer that finds the provider instrument() registers on its
// first use after registration and keeps it (the provider is registered once per isolate), where
// `trace.getTracer()` per span looked up the global, checked its version and built a key each time.
const TRACER = trace.getTracer('wwmaa-backend')
const tracer = () => TRACER

export interface SpanOptions {
  attributes?: Record<string, unknown>
  kind?: SpanKind
}

/**
 * Runs `fn` inside an active child span; ends it however `fn` ends, and marks it as an error when
 * `fn` throws: with the exception event and stack if the error happened here, status and
 * `error.type` only if a span below already recorded it.
 */
export function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T>
export function withSpan<T>(name: string, fn: (span: Span) => Promise<T>): Promise<T>
export function withSpan<T>(
  name: string,
  optionsOrFn: SpanOptions | ((span: Span) => Promise<T>),
  maybeFn?: (span: Span) => Promise<T>,
): Promise<T> {
  const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn
  if (!fn) throw new TypeError('withSpan needs a function')
  // Attributes go on after the start: otel-cf-workers validates start attributes three times over
  // (twice in startSpan, once in the span's constructor), setAttributes once. The head samplers
  // decide on the trace id alone, so they lose nothing.
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL }, async (span) => {
    if (options.attributes) span.setAttributes(toAttributes(options.attributes))
    try {
      return await fn(span)
    } catch (error: unknown) {
      setSpanError(error, span)
      throw error
    } finally {
      span.end()
    }
  })
}

/**
 * Starts a span that the caller ends, for work that outlives the function that starts it (a
 * streamed response). Not made active: pass `trace.setSpan(ctx, span)` to run work under it.
 */
export function startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL }, ctx)
  if (options.attributes) span.setAttributes(toAttributes(options.attributes))
  return span
}

/** Wraps a function so that every call runs in a span of the given name. */
export function traceFunction<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => Promise<R>,
  options: SpanOptions = {},
): (...args: A) => Promise<R> {
  return (...args: A) => withSpan(name, options, () => fn(...args))
}

/** OTel attribute values: primitives and homogeneous primitive arrays; anything else becomes JSON. */
export function toAttributes(values: Record<string, unknown>): Attributes {
  const out: Attributes = {}
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue
    out[key] = toAttributeValue(value)
  }
  return out
}

function toAttributeValue(value: unknown): AttributeValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[]
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[]
  if (value instanceof Date) return value.toISOString()
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

export function addSpanAttributes(values: Record<string, unknown>, span = trace.getActiveSpan()): void {
  span?.setAttributes(toAttributes(values))
}

// Errors are recorded once per trace (span-errors.ts); the spec names setSpanError among these helpers.
export { errorTypeOf, setSpanError, setSpanFailed } from './span-errors.ts'

const INVALID_TRACE = '00000000000000000000000000000000'

export function getTraceId(span = trace.getActiveSpan()): string | undefined {
  const id = span?.spanContext().traceId
  return id && id !== INVALID_TRACE ? id : undefined
}

export function getSpanId(span = trace.getActiveSpan()): string | undefined {
  const id = span?.spanContext().spanId
  return id && id !== '0000000000000000' ? id : undefined
}

export interface UserContext {
  id: string
  role: string
}

export function addUserContext(user: UserContext, span = trace.getActiveSpan()): void {
  span?.setAttributes({ [ATTR.userId]: user.id, [ATTR.userRole]: user.role })
}

export interface HttpContext {
  method: string
  route?: string
  status?: number
  userAgent?: string | null
}

export function addHttpContext(http: HttpContext, span = trace.getActiveSpan()): void {
  addSpanAttributes(
    {
      [ATTR.httpMethod]: http.method.toUpperCase(),
      [ATTR.httpRoute]: http.route,
      [ATTR.httpStatus]: http.status,
      [ATTR.userAgent]: http.userAgent ?? undefined,
    },
    span,
  )
}

/** Writes W3C `traceparent`/`tracestate` for the active context into `headers`. */
export function injectTraceContext(
  headers: Headers | Record<string, string>,
  ctx: Context = context.active(),
): void {
  if (headers instanceof Headers) {
    propagation.inject(ctx, headers, { set: (carrier, key, value) => carrier.set(key, value) })
  } else {
    propagation.inject(ctx, headers)
  }
}

/** Reads W3C trace context from incoming headers into a Context to run work under. */
export function extractTraceContext(
  headers: Headers | Record<string, string>,
  ctx: Context = context.active(),
): Context {
  if (headers instanceof Headers) {
    return propagation.extract(ctx, headers, {
      get: (carrier, key) => carrier.get(key) ?? undefined,
      keys: (carrier) => [...carrier.keys()],
    })
  }
  return propagation.extract(ctx, headers)
}
