import type { Span } from '@opentelemetry/api'
import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from '../env.ts'
import { ApiError, DEFAULT_CODES, type ErrorBody, errorBodyOf, UpstreamError } from '../errors.ts'
import { getTraceId, setSpanError, setSpanFailed } from '../telemetry/helpers.ts'

export function errorBody(
  c: Context<AppEnv>,
  code: string,
  message: string,
  extra?: { budget?: string },
): ErrorBody {
  return errorBodyOf(code, message, c.get('traceId') ?? getTraceId() ?? null, extra)
}

export function errorResponse(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  extra?: { budget?: string },
): Response {
  return c.json(errorBody(c, code, message, extra), status, headers)
}

/**
 * Marks the request span as a server failure: status ERROR and `error.type`; the exception event
 * (with `error.message`) only when no span below recorded this error already, so that one failure
 * counts once. The tail sampler keeps every trace marked so, whatever the sampling ratio, so the
 * trace id a client quotes from a 5xx always leads somewhere. Never called for a 4xx: bad input is
 * the caller's fault, not an incident.
 */
export function markServerError(span: Span | undefined, error: unknown, type?: string): void {
  if (!span) return
  setSpanError(error, span, type)
  marked.add(span)
}

/** A 5xx with nothing thrown (a health verdict, a returned 5xx): status and `error.type`, no exception. */
export function markServerFailure(span: Span | undefined, type: string, message?: string): void {
  if (!span) return
  setSpanFailed(span, type, message)
  marked.add(span)
}

const marked = new WeakSet<Span>()

/**
 * Every error leaves as `{error: {code, message}, detail, trace_id}`. Any status >= 500 marks the request
 * span, whatever threw it (ApiError, UpstreamError, HTTPException or a bug); internals of a bug are
 * never echoed to the client.
 */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const root = c.get('rootSpan')
  if (err instanceof ApiError) {
    if (err.status >= 500) markServerError(root, err)
    return errorResponse(c, err.status as ContentfulStatusCode, err.code, err.message, err.headers, {
      budget: err.budget,
    })
  }
  if (err instanceof UpstreamError) {
    // `error.type` from the failure (`timeout`, `503`, `malformed_response`…), not the class name.
    markServerError(root, err)
    const message =
      err.failure === 'timeout'
        ? `The ${err.upstream} service did not answer in time. Please retry.`
        : `The ${err.upstream} service returned an unusable answer. Please retry.`
    return errorResponse(c, err.httpStatus, DEFAULT_CODES[err.httpStatus] ?? 'upstream_error', message)
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode
    const code = DEFAULT_CODES[status] ?? 'error'
    if (status >= 500) markServerError(root, err, code)
    return errorResponse(c, status, code, err.message || 'Request failed')
  }
  markServerError(root, err)
  console.error(`[error] ${c.req.method} ${c.req.path}: ${err instanceof Error ? err.stack : String(err)}`)
  return errorResponse(
    c,
    500,
    'internal_error',
    'An unexpected error occurred. Quote the trace id when reporting it.',
  )
}

/**
 * The net under onError: a handler that *returns* a 5xx (no exception) marks the request span too,
 * with the status as `error.type` (the semconv fallback when there is no error class), and no
 * exception event: nothing was thrown, and what failed below recorded its own.
 */
export const markReturned5xx = createMiddleware<AppEnv>(async (c, next) => {
  await next()
  const status = c.res.status
  const root = c.get('rootSpan')
  if (status >= 500 && c.error === undefined && root && !marked.has(root)) {
    markServerFailure(root, String(status))
  }
})

export const notFound: NotFoundHandler<AppEnv> = (c) => {
  c.set('unmatched', true)
  return errorResponse(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}`)
}
