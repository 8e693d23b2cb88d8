import type { FlatSpan } from '../local/servers/otlp-receiver.ts'
import { summarize } from './measure.ts'
import { round } from './report.ts'

/**
 * Where the time and the bytes go: per span name, the median duration over many traces (from the
 * receiver), and for one OTLP/JSON payload the bytes per part (resource, attributes by key, …).
 */
export interface SpanProfileRow {
  name: string
  perTrace: number
  p50Ms: number
}

/** `hosts`: host:port → upstream name, for otel-cf-workers' `fetch POST host:port` spans. */
export function spanProfile(traces: FlatSpan[][], hosts: Record<string, string> = {}): SpanProfileRow[] {
  const byName = new Map<string, { count: number; durations: number[] }>()
  const rename = (name: string) => name.replace(/\S+:\d+$/, (host) => hosts[host] ?? host)
  for (const trace of traces) {
    for (const span of trace) {
      const name = rename(span.name)
      const row = byName.get(name) ?? { count: 0, durations: [] }
      row.count += 1
      row.durations.push(span.durationMs)
      byName.set(name, row)
    }
  }
  return [...byName]
    .map(([name, r]) => ({
      name,
      perTrace: round(r.count / Math.max(1, traces.length), 2),
      p50Ms: round(summarize(r.durations).p50, 2),
    }))
    .sort((a, b) => b.p50Ms - a.p50Ms)
}

type Obj = Record<string, unknown>
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : [])
const size = (v: unknown) => (v === undefined ? 0 : JSON.stringify(v).length)

export interface PayloadProfile {
  bytes: number
  spans: number
  resourceBytes: number
  spanBytes: number
  attributeBytes: number
  eventBytes: number
  /** Largest attribute keys by bytes (key + value JSON) over the whole payload. */
  topAttributes: Array<{ key: string; count: number; bytes: number }>
}

export function payloadProfile(body: unknown): PayloadProfile {
  const attrs = new Map<string, { count: number; bytes: number }>()
  let spans = 0
  let resourceBytes = 0
  let spanBytes = 0
  let attributeBytes = 0
  let eventBytes = 0
  for (const rs of arr((body as Obj | undefined)?.resourceSpans)) {
    resourceBytes += size(rs.resource)
    for (const ss of arr(rs.scopeSpans)) {
      for (const span of arr(ss.spans)) {
        spans += 1
        spanBytes += size(span)
        eventBytes += size(span.events)
        for (const a of arr(span.attributes)) {
          const b = size(a)
          attributeBytes += b
          const key = String(a.key)
          const row = attrs.get(key) ?? { count: 0, bytes: 0 }
          row.count += 1
          row.bytes += b
          attrs.set(key, row)
        }
      }
    }
  }
  return {
    bytes: size(body),
    spans,
    resourceBytes,
    spanBytes,
    attributeBytes,
    eventBytes,
    topAttributes: [...attrs]
      .map(([key, r]) => ({ key, ...r }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 12),
  }
}
