import type { Span } from '@opentelemetry/api'
import { hashClientIp } from '../privacy/ip-hash.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { type SearchRun, step } from './run.ts'
import type { SearchOptions } from './types.ts'

export const QUERY_LOG_TABLE = 'search_queries'

export interface QueryLogEntry {
  normalized: string
  options: SearchOptions
  latencyMs: number
  cached: boolean
  success: boolean
  resultCount: number
  fallback: boolean
  /** The exact answer-cache key the answer was served from or written to (null: cache unavailable). */
  cacheKey: string | null
  /** The chat model that answers this search (null when no model was needed). */
  model: string | null
  /** `source_type` of the first source: what Honeycomb breaks rated-down answers down by. */
  topSourceType: string | null
}

/**
 * Step 10, after the response: one row per search for analytics. The IP is stored hashed only.
 * A failure is recorded on the span and swallowed: nobody is waiting for it.
 */
export async function logQuery(run: SearchRun, entry: QueryLogEntry): Promise<void> {
  const attributes = {
    [ATTR.latencyMs]: entry.latencyMs,
    [ATTR.cached]: entry.cached,
    [ATTR.querySuccess]: entry.success,
  }
  try {
    // The step is its one ZeroDB write: one CLIENT span, not a step span over a zerodb.* span.
    const write = async (span: Span) => {
      const row = {
        query: entry.normalized,
        user_id: run.user.id,
        ip_hash: hashClientIp(run.deps.config, run.clientIp),
        latency_ms: entry.latencyMs,
        cached: entry.cached,
        success: entry.success,
        top_k: entry.options.topK,
        source_type: entry.options.sourceType ?? null,
        result_count: entry.resultCount,
        fallback: entry.fallback,
        trace_id: run.traceId,
        // Feedback finds this row by query_id or trace_id, links to root_span_id and retires
        // cache_key when the answer is rated down (src/feedback/).
        query_id: run.queryId,
        root_span_id: run.rootSpanId,
        cache_key: entry.cacheKey,
        model: entry.model,
        top_source_type: entry.topSourceType,
        created_at: new Date().toISOString(),
      }
      await run.deps.zerodb.createRow(QUERY_LOG_TABLE, row, { span })
    }
    await step('search.log_query', run, attributes, write, 'client')
  } catch {
    // Already on the span (withSpan records it); a lost log row must not surface anywhere else.
  }
}
