import type { Span } from '@opentelemetry/api'
import { ATTR } from './catalogue.ts'
import type { ResolvedTelemetryConfig } from './config.ts'
import { addSpanAttributes } from './helpers.ts'

export interface LegacyHttpContext {
  method: string
  url: string
  status: number
  userAgent?: string | null
}

/**
 * The old HTTP attribute names (`http.method`, `http.url`, `http.status_code`, `http.user_agent`)
 * beside the current ones on the root span, when OTEL_SEMCONV_STABILITY_OPT_IN has `http/dup`: the
 * original backend's Honeycomb queries keep working while boards move to the new names.
 */
export function addLegacyHttpAttributes(
  http: LegacyHttpContext,
  config: Pick<ResolvedTelemetryConfig, 'semconv' | 'recordQueryText'> | undefined,
  span: Span,
): void {
  if (config?.semconv.http !== 'dup') return
  // The query string is user text (GET /api/search?q=…): only where query text may be recorded.
  const url = config.recordQueryText ? http.url : http.url.replace(/\?.*$/, '')
  addSpanAttributes(
    {
      [ATTR.legacyHttpMethod]: http.method.toUpperCase(),
      [ATTR.legacyHttpUrl]: url,
      [ATTR.legacyHttpStatusCode]: http.status,
      [ATTR.legacyHttpUserAgent]: http.userAgent ?? undefined,
    },
    span,
  )
}
