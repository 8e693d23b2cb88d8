import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { ATTR, type CacheKind } from '../telemetry/catalogue.ts'
import { completeSearch, finishInBackground, type Prepared } from './pipeline.ts'
import { elapsedMs, type SearchRun, step } from './run.ts'
import type { SearchResponse, SearchResult } from './types.ts'

export interface Rendered {
  body: string
  latencyMs: number
}

/** Step 11: the JSON body, with a fresh latency and trace id even when the result came from cache. */
export function renderJson(
  run: SearchRun,
  result: SearchResult,
  cached: boolean,
  cacheKind?: CacheKind,
): Promise<Rendered> {
  return step('search.respond', run, { [ATTR.cached]: cached, [ATTR.cacheKind]: cacheKind }, async (span) => {
    const latencyMs = elapsedMs(run)
    const response: SearchResponse = {
      ...result,
      latency_ms: latencyMs,
      cached,
      trace_id: run.traceId,
      query_id: run.queryId,
    }
    const body = JSON.stringify(response)
    span.setAttributes({ [ATTR.responseBytes]: byteLength(body), [ATTR.latencyMs]: latencyMs })
    return { body, latencyMs }
  })
}

/** The JSON response: steps 6 and 8 (the pipeline's one completion path), step 11, then 9 and 10 in the background. */
export async function respondJson(c: Context<AppEnv>, run: SearchRun, prepared: Prepared): Promise<Response> {
  const done = await completeSearch(run, prepared)
  const cacheKind = prepared.kind === 'cached' ? prepared.cacheKind : undefined
  const { body, latencyMs } = await renderJson(run, done.result, prepared.kind === 'cached', cacheKind)
  finishInBackground(run, prepared, done, latencyMs)
  return c.body(body, 200, { 'content-type': 'application/json; charset=UTF-8' })
}

export const byteLength = (text: string) => new TextEncoder().encode(text).byteLength
