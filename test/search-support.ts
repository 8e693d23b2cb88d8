import type { FlatSpan } from '../local/servers/otlp-receiver.ts'
import type { SearchResponse } from '../src/search/types.ts'
import type { Harness } from './harness.ts'

/** Shared helpers of the search end-to-end suites. */

let counter = 0
/** Seeded questions with a distinct suffix: a fresh cache key (and embedding) per test. */
export function freshQuery(base = 'how do I tie my belt'): string {
  counter += 1
  return `${base} ${process.pid}x${Date.now().toString(36)}x${counter}`
}

export async function traceOf(h: Harness, res: Response, minSpans = 1): Promise<FlatSpan[]> {
  const traceId = res.headers.get('x-trace-id')
  if (!traceId) throw new Error('response has no x-trace-id')
  return h.stack.otlp.waitForTrace(traceId, { minSpans, timeoutMs: 15_000 })
}

/**
 * The trace of `res` once it holds every span named in `names`. A streamed response's spans can
 * reach the receiver in more than one export, so waiting for a span count alone races.
 */
export async function traceWith(h: Harness, res: Response, ...names: string[]): Promise<FlatSpan[]> {
  const traceId = res.headers.get('x-trace-id')
  if (!traceId) throw new Error('response has no x-trace-id')
  const deadline = Date.now() + 15_000
  for (;;) {
    const spans = h.stack.otlp.traces().get(traceId) ?? []
    if (names.every((name) => spans.some((s) => s.name === name))) return spans
    if (Date.now() > deadline) throw new Error(`trace ${traceId} lacks ${names.join(', ')}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export function named(spans: FlatSpan[], name: string): FlatSpan[] {
  return spans.filter((s) => s.name === name)
}

export function one(spans: FlatSpan[], name: string): FlatSpan {
  const found = named(spans, name)
  if (found.length !== 1) {
    throw new Error(
      `expected one span ${name}, found ${found.length}: ${spans.map((s) => s.name).join(', ')}`,
    )
  }
  return found[0]!
}

export function rootOf(spans: FlatSpan[]): FlatSpan {
  const root = spans.find((s) => !s.parentSpanId || !spans.some((p) => p.spanId === s.parentSpanId))
  if (!root) throw new Error('trace has no root')
  return root
}

export function childrenOf(spans: FlatSpan[], parent: FlatSpan): FlatSpan[] {
  return spans.filter((s) => s.parentSpanId === parent.spanId)
}

export const startNs = (s: FlatSpan) => BigInt(s.startTimeUnixNano)
export const endNs = (s: FlatSpan) => BigInt(s.endTimeUnixNano)

export interface SseEvent {
  event: string
  data: unknown
}

/** Parses a complete text/event-stream body. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => {
      let event = 'message'
      const data: string[] = []
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
      }
      return { event, data: JSON.parse(data.join('\n')) as unknown }
    })
}

/** The W3C trace id in a recorded request's traceparent header. */
export function traceparentTraceId(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const value = headers.traceparent
  const tp = Array.isArray(value) ? value[0] : value
  return tp?.split('-')[1]
}

/** The JSON body of a search, as the API declares it. */
export type SearchBody = SearchResponse
