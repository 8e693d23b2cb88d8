import type { LocalTrace, TailSampleFn } from '@microlabs/otel-cf-workers'
import type { Context } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
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

export interface FlushingProcessorOptions {
  exporter: SpanExporter
  /** The tail rule (sampling.ts `createTailSampler`): which finished traces are exported. */
  tailSampler: TailSampleFn
  maxTraces?: number
  /** Spans per export request; a bigger backlog leaves in several. */
  maxBatchSpans?: number
}

interface OpenTrace {
  spans: ReadableSpan[]
  inProgress: number
  localRoot: ReadableSpan
}

/** Spans per export request (the OpenTelemetry default batch size, OTEL_BSP_MAX_EXPORT_BATCH_SIZE). */
export const MAX_EXPORT_BATCH_SPANS = 512

/** One export request in the making: the spans of one or more finished traces. */
interface Batch {
  spans: ReadableSpan[]
  traceIds: string[]
  started: boolean
  settled: Promise<void>
  settle: () => void
}

/**
 * The span processor handed to otel-cf-workers (`spanProcessors`), replacing its
 * BatchTraceSpanProcessor, which keeps every trace in `traces[traceId]` for the life of the isolate
 * (~5 KB per request). This one keeps the per-trace contract (otel-cf-workers calls
 * `forceFlush(traceId)` inside waitUntil once the response and the request's waitUntil work are
 * done) but forgets a trace the moment its spans are handed to the exporter, and holds at most
 * `maxTraces` traces (dropping the oldest, counted on the next exported trace).
 *
 * Exports start at once, without a timer, and at most one is in flight per isolate: traces that
 * finish while one is on the wire leave together in the next request. An idle isolate sends one
 * request per trace, as before; a busy one sends far fewer (each is a subrequest, with its own
 * CPU cost and its place in the request's subrequest limit). Each export is started by a request
 * whose trace is in it and which waits for it in its waitUntil, so the runtime keeps the export's
 * I/O alive until it settles.
 */
export class FlushingSpanProcessor implements SpanProcessor {
  /** Traces with spans still running, oldest first. */
  private readonly open = new Map<string, OpenTrace>()
  /** Finished traces the tail rule kept, waiting for a forceFlush (off the response's path). */
  private readonly ready = new Map<string, ReadableSpan[]>()
  /** Exports not yet started, oldest first; only the last one takes more spans. */
  private readonly queue: Batch[] = []
  /** The batch of each trace handed over but not yet exported, so forceFlush(traceId) can wait. */
  private readonly batchOf = new Map<string, Batch>()
  private readonly decisions = new Map<string, boolean>()
  private readonly maxTraces: number
  private readonly maxBatchSpans: number
  private inFlight: Promise<void> | undefined
  private dropped = 0

  constructor(private readonly options: FlushingProcessorOptions) {
    this.maxTraces = Math.max(1, options.maxTraces ?? MAX_TRACES_IN_FLIGHT)
    this.maxBatchSpans = Math.max(1, options.maxBatchSpans ?? MAX_EXPORT_BATCH_SPANS)
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
    this.open.set(traceId, { spans: [span], inProgress: 1, localRoot: span })
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
   * Hands every finished trace held to the export queue, then drives the queue until the batch
   * holding `traceId` (every batch, without it) has been exported. Spans of that trace still
   * running when the request is over are ended first, as otel-cf-workers does, so a span someone
   * forgot to end cannot pin its trace in memory.
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
    for (const [id, spans] of this.ready) {
      this.ready.delete(id)
      this.enqueue(id, spans)
    }
    const waiting = traceId ? this.batchOf.get(traceId) : this.queue.at(-1)
    if (waiting) await this.drive(waiting)
  }

  async shutdown(): Promise<void> {
    await this.forceFlush()
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

  private enqueue(traceId: string, spans: ReadableSpan[]): void {
    let batch = this.queue.at(-1)
    if (!batch || batch.spans.length + spans.length > this.maxBatchSpans) {
      let settle = () => {}
      const settled = new Promise<void>((resolve) => {
        settle = resolve
      })
      batch = { spans: [], traceIds: [], started: false, settled, settle }
      this.queue.push(batch)
    }
    batch.spans.push(...spans)
    batch.traceIds.push(traceId)
    this.batchOf.set(traceId, batch)
  }

  /** Starts queued batches one at a time, oldest first, until `batch` has gone and settled. */
  private async drive(batch: Batch): Promise<void> {
    while (!batch.started) {
      if (this.inFlight) {
        await this.inFlight
        continue
      }
      const next = this.queue.shift()
      if (!next) break
      next.started = true
      this.inFlight = this.export(next.spans).then(() => {
        for (const id of next.traceIds) if (this.batchOf.get(id) === next) this.batchOf.delete(id)
        this.inFlight = undefined
        next.settle()
      })
    }
    await batch.settled
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
