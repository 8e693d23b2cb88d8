import { ATTR } from '../telemetry/catalogue.ts'
import { elapsedMs, type SearchRun, step } from './run.ts'
import type { SearchResponse, SearchResult } from './types.ts'

export interface Rendered {
  body: string
  latencyMs: number
}

/** Step 11: the JSON body, with a fresh latency and trace id even when the result came from cache. */
export function renderJson(run: SearchRun, result: SearchResult, cached: boolean): Promise<Rendered> {
  return step('search.respond', run, { [ATTR.cached]: cached }, async (span) => {
    const latencyMs = elapsedMs(run)
    const response: SearchResponse = { ...result, latency_ms: latencyMs, cached, trace_id: run.traceId }
    const body = JSON.stringify(response)
    span.setAttributes({ [ATTR.responseBytes]: byteLength(body), [ATTR.latencyMs]: latencyMs })
    return { body, latencyMs }
  })
}

export const byteLength = (text: string) => new TextEncoder().encode(text).byteLength
