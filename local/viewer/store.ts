import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { FlatSpan } from '../servers/otlp-spans.ts'

// In-memory trace store behind the OTLP receiver and its web viewer. Spans of one trace arrive in
// several export batches (waitUntil work is flushed after the response), so traces grow in place.

export interface TraceSummary {
  traceId: string
  rootName: string
  status: 'ok' | 'error'
  spanCount: number
  errorCount: number
  durationMs: number
  /** Epoch milliseconds of the earliest span start. */
  startTime: number
  startTimeUnixNano: string
  services: string[]
  receivedAt: number
}

export interface TraceFilter {
  /** Case-insensitive substring of the root span name. */
  route?: string
  errorsOnly?: boolean
  minMs?: number
  limit?: number
}

interface StoredTrace {
  spans: FlatSpan[]
  /** First-seen order breaks ties between traces that started in the same millisecond. */
  seq: number
  receivedAt: number
  summary?: TraceSummary
}

export interface TraceStoreOptions {
  maxTraces?: number
  /** Append one `{traceId, spans}` line per trace per received batch. */
  jsonlFile?: string
}

export class TraceStore {
  readonly maxTraces: number
  // Map order is last-touched order, so eviction drops the trace idle the longest.
  private readonly traces = new Map<string, StoredTrace>()
  private readonly listeners = new Set<(traceIds: string[]) => void>()
  private seq = 0
  private jsonlFile: string | undefined

  constructor(options: TraceStoreOptions = {}) {
    this.maxTraces = Math.max(1, options.maxTraces ?? 1000)
    this.setJsonlFile(options.jsonlFile)
  }

  setJsonlFile(file: string | undefined): void {
    if (file) mkdirSync(dirname(file), { recursive: true })
    this.jsonlFile = file || undefined
  }

  /** Adds one export batch; returns the ids of the traces it touched. */
  add(spans: FlatSpan[]): string[] {
    const batches = new Map<string, FlatSpan[]>()
    for (const span of spans) {
      const list = batches.get(span.traceId) ?? []
      list.push(span)
      batches.set(span.traceId, list)
    }
    const now = Date.now()
    for (const [traceId, batch] of batches) {
      const existing = this.traces.get(traceId)
      this.traces.delete(traceId)
      this.traces.set(traceId, {
        spans: [...(existing?.spans ?? []), ...batch],
        seq: existing?.seq ?? this.seq++,
        receivedAt: now,
      })
    }
    while (this.traces.size > this.maxTraces) this.traces.delete(this.traces.keys().next().value!)
    // Synchronous on purpose: lines land in arrival order and a test (or `tail -f`) sees them at once.
    if (this.jsonlFile && batches.size > 0) {
      const lines = [...batches].map(([traceId, batch]) => JSON.stringify({ traceId, spans: batch }))
      appendFileSync(this.jsonlFile, `${lines.join('\n')}\n`)
    }
    const touched = [...batches.keys()]
    if (touched.length > 0) for (const listener of this.listeners) listener(touched)
    return touched
  }

  spans(traceId: string): FlatSpan[] | undefined {
    return this.traces.get(traceId.toLowerCase())?.spans
  }

  all(): Map<string, FlatSpan[]> {
    return new Map([...this.traces].map(([id, t]) => [id, t.spans]))
  }

  summary(traceId: string): TraceSummary | undefined {
    const id = traceId.toLowerCase()
    const trace = this.traces.get(id)
    if (!trace) return undefined
    trace.summary ??= summarize(id, trace.spans, trace.receivedAt)
    return trace.summary
  }

  /** Summaries newest first (by trace start), filtered. */
  list(filter: TraceFilter = {}): TraceSummary[] {
    const route = filter.route?.trim().toLowerCase()
    const rows = [...this.traces.keys()]
      .map((id) => ({ seq: this.traces.get(id)!.seq, summary: this.summary(id)! }))
      .filter(({ summary: s }) => {
        if (route && !s.rootName.toLowerCase().includes(route)) return false
        if (filter.errorsOnly && s.errorCount === 0) return false
        if (filter.minMs !== undefined && s.durationMs < filter.minMs) return false
        return true
      })
      .sort((a, b) => compareNanos(b.summary.startTimeUnixNano, a.summary.startTimeUnixNano) || b.seq - a.seq)
      .map((r) => r.summary)
    return filter.limit !== undefined ? rows.slice(0, filter.limit) : rows
  }

  get size(): number {
    return this.traces.size
  }

  clear(): void {
    this.traces.clear()
  }

  /** Called after each batch with the touched trace ids; returns an unsubscribe function. */
  subscribe(listener: (traceIds: string[]) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

function compareNanos(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b)
  return d === 0n ? 0 : d > 0n ? 1 : -1
}

export function rootSpan(spans: FlatSpan[]): FlatSpan | undefined {
  const ids = new Set(spans.map((s) => s.spanId))
  // A real root beats an orphan whose parent has not arrived (or was sampled away).
  return spans.find((s) => !s.parentSpanId) ?? spans.find((s) => !ids.has(s.parentSpanId!)) ?? spans[0]
}

export function summarize(traceId: string, spans: FlatSpan[], receivedAt: number): TraceSummary {
  let min: bigint | undefined
  let max: bigint | undefined
  for (const s of spans) {
    const start = BigInt(s.startTimeUnixNano)
    const end = BigInt(s.endTimeUnixNano)
    if (min === undefined || start < min) min = start
    if (max === undefined || end > max) max = end
  }
  min ??= 0n
  max ??= 0n
  const errorCount = spans.filter((s) => s.status.code === 2).length
  return {
    traceId,
    rootName: rootSpan(spans)?.name ?? '',
    status: errorCount > 0 ? 'error' : 'ok',
    spanCount: spans.length,
    errorCount,
    durationMs: Number(max - min) / 1e6,
    startTime: Number(min / 1_000_000n),
    startTimeUnixNano: min.toString(),
    services: [...new Set(spans.map((s) => String(s.resource['service.name'] ?? '')))].filter(Boolean),
    receivedAt,
  }
}
