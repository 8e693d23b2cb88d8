import { SpanStatusCode } from '@opentelemetry/api'
import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from '../env.ts'
import { ApiError, DEFAULT_CODES, UpstreamError } from '../errors.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { getTraceId, setSpanError } from '../telemetry/helpers.ts'

export interface ErrorBody {
  error: { code: string; message: string }
  trace_id: string | null
}

export function errorBody(c: Context<AppEnv>, code: string, message: string): ErrorBody {
  return { error: { code, message }, trace_id: c.get('traceId') ?? getTraceId() ?? null }
}

export function errorResponse(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return c.json(errorBody(c, code, message), status, headers)
}

/**
 * Every error leaves as `{error: {code, message}, trace_id}`. Server-side failures mark the request
 * span as an error (so the tail sampler keeps the trace) and never echo internals to the client.
 */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const root = c.get('rootSpan')
  if (err instanceof ApiError) {
    return errorResponse(c, err.status as ContentfulStatusCode, err.code, err.message, err.headers)
  }
  if (err instanceof UpstreamError) {
    setSpanError(err, root, err.name)
    root?.setAttribute(ATTR.errorUpstream, err.upstream)
    const message =
      err.failure === 'timeout'
        ? `The ${err.upstream} service did not answer in time. Please retry.`
        : `The ${err.upstream} service returned an unusable answer. Please retry.`
    return errorResponse(c, err.httpStatus, DEFAULT_CODES[err.httpStatus] ?? 'upstream_error', message)
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode
    if (status >= 500) root?.setStatus({ code: SpanStatusCode.ERROR, message: err.message })
    return errorResponse(c, status, DEFAULT_CODES[status] ?? 'error', err.message || 'Request failed')
  }
  setSpanError(err, root)
  console.error(`[error] ${c.req.method} ${c.req.path}: ${err instanceof Error ? err.stack : String(err)}`)
  return errorResponse(
    c,
    500,
    'internal_error',
    'An unexpected error occurred. Quote the trace id when reporting it.',
  )
}

export const notFound: NotFoundHandler<AppEnv> = (c) => {
  c.set('unmatched', true)
  return errorResponse(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}`)
}
