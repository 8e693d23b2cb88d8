import type { LocalTrace, TailSampleFn } from '@microlabs/otel-cf-workers'
import type { Context } from '@opentelemetry/api'
import { ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core'
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { ATTR } from './catalogue.ts'

/**
 * Traces held at once. Each open trace keeps its spans (a search trace is ~30) until it is flushed;
 * a Workers isolate serves a few dozen requests at a time, so 128 leaves room for bursts while
 * capping the worst case at a few MB of a 128 MB isolate.
 */
export const MAX_TRACES_IN_FLIGHT = 128
/** Tail decisions remembered after a flush, for spans that end after it (an SSE stream). */
export const REMEMBERED_DECISIONS = 256
/** Finished traces waiting for a carrier at which the next flush sends them all. */
export const MAX_WAITING_TRACES = 16
/**
 * How long a finished trace may wait for a carrier: the first flush after this sends it. Also the
 * age up to which a running request counts as a carrier (an older one may be a stream, or a request
 * that was cancelled and will never flush).
 */
export const MAX_EXPORT_DELAY_MS = 1000

export interface FlushingProcessorOptions {
  exporter: SpanExporter
  /** The tail rule (sampling.ts `createTailSampler`): which finished traces are exported. */
  tailSampler: TailSampleFn
  maxTraces?: number
  /** Spans per export request; a bigger backlog leaves in several. */
  maxBatchSpans?: number
  /** Defaults: MAX_WAITING_TRACES, MAX_EXPORT_DELAY_MS. */
  maxWaitingTraces?: number
  maxExportDelayMs?: number
}

interface OpenTrace {
  spans: ReadableSpan[]
  inProgress: number
  localRoot: ReadableSpan
  startedAt: number
  /**
   * Whether a flush of this trace is still to come: false for spans that started after their
   * request's flush (an SSE stream's tail), which otel-cf-workers will not flush again.
   */
  carrier: boolean
}

/** Spans per export request (the OpenTelemetry default batch size, OTEL_BSP_MAX_EXPORT_BATCH_SIZE). */
export const MAX_EXPORT_BATCH_SPANS = 512

/**
 * The span processor handed to otel-cf-workers (`spanProcessors`), replacing its
 * BatchTraceSpanProcessor, which keeps every trace in `traces[traceId]` for the life of the isolate
 * (~5 KB per request). This one keeps the per-trace contract (otel-cf-workers calls
 * `forceFlush(traceId)` inside waitUntil once the response and the request's waitUntil work are
 * done) but forgets a trace the moment its spans are handed to the exporter, and holds at most
 * `maxTraces` traces (dropping the oldest, counted on the next exported trace).
 *
 * Exports never wait for a timer, and a flush sends every finished trace held in one request. An
 * export POST is a subrequest whose CPU (≈ 0.65–0.8 ms under `wrangler dev`, however few spans
 * it carries) was most of what tracing cost, and it ran while the isolate served the next request. So
 * a request's flush leaves its finished trace for a carrier, a request that started less than
 * `maxExportDelayMs` ago and is still running: the first flush that finds no carrier, or
 * `maxWaitingTraces` traces waiting, or the oldest waiting for `maxExportDelayMs`, sends them all
 * in one POST. An isolate with one request at a time sends each trace with its own request, at
 * once. The cost: while requests keep overlapping, a trace reaches the collector up to
 * `maxExportDelayMs` later (or, at worst, when its carrier ends; if the carrier is cancelled, with
 * the next request's flush), and an isolate evicted or killed before then loses it.
 *
 * A flush never waits for an export another request started: workerd cancels a request whose
 * waitUntil only waits on another request's I/O ("the Worker's code had hung"). The request that
 * takes a trace exports it and waits for its own POST, which keeps that I/O alive; a trace left to
 * wait is data, not I/O, so no request ever waits on another's.
 */
export class FlushingSpanProcessor implements SpanProcessor {
  /** Traces with spans still running, oldest first. */
  private readonly open = new Map<string, OpenTrace>()
  /** Finished traces the tail rule kept, waiting for a forceFlush (off the response's path). */
  private readonly ready = new Map<string, ReadableSpan[]>()
  private readonly decisions = new Map<string, boolean>()
  private readonly maxTraces: number
  private readonly maxBatchSpans: number
  private readonly maxWaitingTraces: number
  private readonly maxExportDelayMs: number
  /** When the oldest trace in `ready` finished (Date.now()). */
  private readySince = 0
  private dropped = 0

  constructor(private readonly options: FlushingProcessorOptions) {
    this.maxTraces = Math.max(1, options.maxTraces ?? MAX_TRACES_IN_FLIGHT)
    this.maxBatchSpans = Math.max(1, options.maxBatchSpans ?? MAX_EXPORT_BATCH_SPANS)
    this.maxWaitingTraces = Math.max(1, options.maxWaitingTraces ?? MAX_WAITING_TRACES)
    this.maxExportDelayMs = Math.max(0, options.maxExportDelayMs ?? MAX_EXPORT_DELAY_MS)
  }

  /** Traces held (running or waiting for export): what the bound applies to. */
  get heldTraces(): number {
    return this.open.size + this.ready.size
  }

  onStart(span: Span, _parentContext: Context): void {
    const traceId = span.spanContext().traceId
    const trace = this.open.get(traceId)
    if (trace) {
      trace.spans.push(span)
      trace.inProgress += 1
      return
    }
    if (this.heldTraces >= this.maxTraces) this.dropOldest()
    this.open.set(traceId, {
      spans: [span],
      inProgress: 1,
      localRoot: span,
      startedAt: hrTimeToMilliseconds(span.startTime),
      carrier: !this.decisions.has(traceId),
    })
  }

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId
    const trace = this.open.get(traceId)
    // A span of a trace that was dropped for room: nothing to do.
    if (!trace) return
    trace.inProgress -= 1
    if (trace.inProgress <= 0) this.finish(traceId, trace)
  }

  /**
   * Exports every finished trace held (in requests of at most `maxBatchSpans` spans) and waits for
   * those exports, unless a request's flush (`traceId` given) can leave them to a request still in
   * flight (see the class). Spans of `traceId` still running when the request is over are ended
   * first, as otel-cf-workers does, so a span someone forgot to end cannot pin its trace in memory.
   * A trace another flush already took is that flush's to send: this one does not wait for it.
   * Without `traceId` (shutdown) everything leaves now.
   */
  async forceFlush(traceId?: string): Promise<void> {
    const ids = traceId ? [traceId] : [...this.open.keys()]
    for (const id of ids) {
      const trace = this.open.get(id)
      if (!trace) continue
      for (const span of trace.spans) if (!span.ended) (span as Span).end()
      // Counting went wrong somewhere (a span ended twice): finish the trace anyway.
      if (this.open.get(id) === trace) this.finish(id, trace)
    }
    if (traceId !== undefined && this.canWait()) return
    const batches: ReadableSpan[][] = []
    let batch: ReadableSpan[] = []
    for (const [id, spans] of this.ready) {
      this.ready.delete(id)
      if (batch.length > 0 && batch.length + spans.length > this.maxBatchSpans) {
        batches.push(batch)
        batch = []
      }
      batch.push(...spans)
    }
    if (batch.length > 0) batches.push(batch)
    await Promise.all(batches.map((spans) => this.export(spans)))
  }

  async shutdown(): Promise<void> {
    await this.forceFlush()
  }

  /** Whether the finished traces can wait for a carrier: few, young, and a young request running. */
  private canWait(): boolean {
    if (this.ready.size === 0) return true
    if (this.ready.size >= this.maxWaitingTraces) return false
    const now = Date.now()
    if (now - this.readySince >= this.maxExportDelayMs) return false
    for (const trace of this.open.values()) {
      if (trace.carrier && now - trace.startedAt < this.maxExportDelayMs) return true
    }
    return false
  }

  private dropOldest(): void {
    // Map iteration is insertion order: the first key is the oldest trace.
    const from = this.open.size > 0 ? this.open : this.ready
    const oldest = from.keys().next().value
    if (oldest === undefined) return
    from.delete(oldest)
    this.dropped += 1
  }

  private finish(traceId: string, trace: OpenTrace): void {
    this.open.delete(traceId)
    if (!this.keep(traceId, trace)) return
    if (this.dropped > 0) {
      // On the local root when this part of the trace has it (an SSE tail arrives without it).
      const carrier = trace.spans.includes(trace.localRoot) ? trace.localRoot : trace.spans[0]
      if (carrier) carrier.attributes[ATTR.telemetryDroppedTraces] = this.dropped
      this.dropped = 0
    }
    const earlier = this.ready.get(traceId)
    if (this.ready.size === 0) this.readySince = Date.now()
    this.ready.set(traceId, earlier ? [...earlier, ...trace.spans] : trace.spans)
  }

  /** The tail rule once per trace; a later part of the same trace follows the first decision. */
  private keep(traceId: string, trace: OpenTrace): boolean {
    const known = this.decisions.get(traceId)
    if (known !== undefined) return known
    const local: LocalTrace = { traceId, localRootSpan: trace.localRoot, spans: trace.spans }
    const decision = this.options.tailSampler(local)
    if (this.decisions.size >= REMEMBERED_DECISIONS) {
      this.decisions.delete(this.decisions.keys().next().value as string)
    }
    this.decisions.set(traceId, decision)
    return decision
  }

  private export(spans: ReadableSpan[]): Promise<void> {
    // A failed export is the collector's problem, never the request's: log it and move on.
    const warn = (error: unknown) =>
      console.warn(`[telemetry] export failed: ${error instanceof Error ? error.message : 'unknown error'}`)
    return new Promise<void>((resolve) => {
      try {
        this.options.exporter.export(spans, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) warn(result.error)
          resolve()
        })
      } catch (error: unknown) {
        warn(error)
        resolve()
      }
    })
  }
}
