import { context, trace } from '@opentelemetry/api'
import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import type { AppEnv } from '../env.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { databaseSemconvOf, withDatabaseSemconv } from '../telemetry/db-attributes.ts'
import { addHttpContext, getTraceId } from '../telemetry/helpers.ts'
import { addLegacyHttpAttributes } from '../telemetry/http-compat.ts'
import { telemetryState } from '../telemetry/trace-config.ts'
import { ANONYMOUS } from './auth.ts'

/**
 * Binds the request span (created by otel-cf-workers) to the Hono context, names it after the
 * matched route (`POST /api/search/query`, never the raw path, so Honeycomb groups by route), and
 * returns the trace id to the caller in `x-trace-id` and the W3C `traceresponse` header.
 */
export const traceContext = createMiddleware<AppEnv>(async (c, next) => {
  const span = trace.getActiveSpan()
  const traceId = getTraceId(span)
  c.set('rootSpan', span)
  c.set('traceId', traceId)
  c.set('user', ANONYMOUS)
  // The DB spans' names (old and new, or new only) for everything this request runs, background too.
  const dbSemconv = databaseSemconvOf(telemetryState(c.env).config)
  try {
    await context.with(withDatabaseSemconv(dbSemconv), next)
  } finally {
    const route = c.get('unmatched') ? undefined : routePath(c, -1)
    const method = c.req.method.toUpperCase()
    if (span) {
      span.updateName(route ? `${method} ${route}` : method)
      addHttpContext({ method, route, status: c.res.status, userAgent: c.req.header('user-agent') }, span)
      span.setAttribute(ATTR.urlPath, c.req.path)
      const http = { method, url: c.req.url, status: c.res.status, userAgent: c.req.header('user-agent') }
      addLegacyHttpAttributes(http, telemetryState(c.env).config, span)
    }
    if (traceId && span) {
      c.header('x-trace-id', traceId)
      const flags = (span.spanContext().traceFlags & 1).toString(16).padStart(2, '0')
      c.header('traceresponse', `00-${traceId}-${span.spanContext().spanId}-${flags}`)
    }
  }
})
