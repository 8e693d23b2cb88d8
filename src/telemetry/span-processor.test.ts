import { SpanImpl } from '@microlabs/otel-cf-workers'
import { ROOT_CONTEXT, SpanStatusCode, TraceFlags } from '@opentelemetry/api'
import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import type { ReadableSpan, Span, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { ATTR } from './catalogue.ts'
import { createTailSampler } from './sampling.ts'
import { FlushingSpanProcessor, MAX_EXPORT_DELAY_MS } from './span-processor.ts'

/** Records what it is asked to export; `fail` answers every export with a failure. */
class RecordingExporter implements SpanExporter {
  batches: ReadableSpan[][] = []
  constructor(private readonly fail = false) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.batches.push(spans)
    done(
      this.fail
        ? { code: ExportResultCode.FAILED, error: new Error('collector down') }
        : { code: ExportResultCode.SUCCESS },
    )
  }
  async shutdown(): Promise<void> {}
  names(): string[][] {
    return this.batches.map((batch) => batch.map((span) => span.name))
  }
}

/** Holds every export open until the test settles it, like a collector on a slow link. */
class HeldExporter implements SpanExporter {
  batches: ReadableSpan[][] = []
  private readonly held: Array<(result: ExportResult) => void> = []
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.batches.push(spans)
    this.held.push(done)
  }
  get inFlight(): number {
    return this.held.length
  }
  settleOne(): void {
    this.held.shift()?.({ code: ExportResultCode.SUCCESS })
  }
  async shutdown(): Promise<void> {}
}

const resource = resourceFromAttributes({})
let nextId = 1
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

/** Starts spans the way otel-cf-workers' tracer does: SpanImpl, onStart now, onEnd when ended. */
function tracer(processor: FlushingSpanProcessor) {
  return (name: string, traceId: string, options: { sampled?: boolean; startedMsAgo?: number } = {}) => {
    const span = new SpanImpl({
      name,
      spanContext: {
        traceId,
        spanId: hex(nextId++, 16),
        traceFlags: options.sampled === false ? TraceFlags.NONE : TraceFlags.SAMPLED,
      },
      attributes: {},
      resource,
      startTime: options.startedMsAgo ? Date.now() - options.startedMsAgo : undefined,
      onEnd: (ended) => processor.onEnd(ended as unknown as ReadableSpan),
    })
    processor.onStart(span as unknown as Span, ROOT_CONTEXT)
    return span
  }
}

const traceId = () => hex(nextId++, 32)

function setup(
  options: {
    maxTraces?: number
    slowTraceMs?: number
    fail?: boolean
    maxBatchSpans?: number
    maxWaitingTraces?: number
    maxExportDelayMs?: number
  } = {},
) {
  const exporter = new RecordingExporter(options.fail)
  const processor = new FlushingSpanProcessor({
    exporter,
    tailSampler: createTailSampler({ enabled: true, slowTraceMs: options.slowTraceMs ?? 2000 }),
    maxTraces: options.maxTraces,
    maxBatchSpans: options.maxBatchSpans,
    maxWaitingTraces: options.maxWaitingTraces,
    maxExportDelayMs: options.maxExportDelayMs,
  })
  return { exporter, processor, start: tracer(processor) }
}

describe('FlushingSpanProcessor', () => {
  it('exports a finished trace on forceFlush(traceId) and then holds nothing of it', async () => {
    const { exporter, processor, start } = setup()
    const id = traceId()
    const root = start('GET /health', id)
    start('child', id).end()
    root.end()
    expect(exporter.batches).toHaveLength(0)
    expect(processor.heldTraces).toBe(1)
    await processor.forceFlush(id)
    expect(exporter.names()).toEqual([['GET /health', 'child']])
    expect(processor.heldTraces).toBe(0)
    await processor.forceFlush(id)
    expect(exporter.batches).toHaveLength(1)
  })

  it('hands the trace to the exporter within the forceFlush call, without waiting for a timer', () => {
    const { exporter, processor, start } = setup()
    const id = traceId()
    start('root', id).end()
    void processor.forceFlush(id)
    expect(exporter.batches).toHaveLength(1)
  })

  it('ends spans still open at forceFlush and exports them', async () => {
    const { exporter, processor, start } = setup()
    const id = traceId()
    const root = start('root', id)
    const forgotten = start('never ended', id)
    root.end()
    await processor.forceFlush(id)
    expect(forgotten.ended).toBe(true)
    expect(exporter.names()).toEqual([['root', 'never ended']])
    expect(processor.heldTraces).toBe(0)
  })

  it('holds at most maxTraces, drops the oldest and counts the drops on the next exported trace', async () => {
    const { exporter, processor, start } = setup({ maxTraces: 2 })
    const [a, b, c] = [traceId(), traceId(), traceId()]
    const rootA = start('a', a)
    const rootB = start('b', b)
    const rootC = start('c', c)
    expect(processor.heldTraces).toBe(2)
    rootA.end()
    rootB.end()
    rootC.end()
    await processor.forceFlush()
    expect(exporter.names()).toEqual([['b', 'c']])
    expect(exporter.batches[0]?.[0]?.attributes[ATTR.telemetryDroppedTraces]).toBe(1)
    expect(exporter.batches[0]?.[1]?.attributes[ATTR.telemetryDroppedTraces]).toBeUndefined()
  })

  it('applies the tail rule: unsampled traces are dropped unless in error or slow', async () => {
    const { exporter, processor, start } = setup({ slowTraceMs: 1000 })
    const plain = start('plain', traceId(), { sampled: false })
    plain.end()
    const failedId = traceId()
    const failedRoot = start('failed', failedId, { sampled: false })
    start('step', failedId, { sampled: false }).setStatus({ code: SpanStatusCode.ERROR }).end()
    failedRoot.end()
    start('slow', traceId(), { sampled: false, startedMsAgo: 1500 }).end()
    await processor.forceFlush()
    expect(exporter.names()).toEqual([['failed', 'step', 'slow']])
    expect(processor.heldTraces).toBe(0)
  })

  it('exports spans that end after their trace was flushed, following the first decision', async () => {
    const { exporter, processor, start } = setup()
    const keptId = traceId()
    start('root', keptId).end()
    await processor.forceFlush(keptId)
    start('search.respond', keptId).end()
    const droppedId = traceId()
    start('root', droppedId, { sampled: false }).end()
    await processor.forceFlush(droppedId)
    start('late', droppedId, { sampled: true }).end()
    await processor.forceFlush()
    expect(exporter.names()).toEqual([['root'], ['search.respond']])
  })

  it('resolves forceFlush when the exporter fails, and forgets the trace anyway', async () => {
    const { exporter, processor, start } = setup({ fail: true })
    const id = traceId()
    start('root', id).end()
    await expect(processor.forceFlush(id)).resolves.toBeUndefined()
    expect(exporter.batches).toHaveLength(1)
    expect(processor.heldTraces).toBe(0)
  })
  it('never waits for an export another flush started: a trace it did not take is not its to wait for', async () => {
    const exporter = new HeldExporter()
    const processor = new FlushingSpanProcessor({ exporter, tailSampler: () => true })
    const start = tracer(processor)
    const [a, b, c] = [traceId(), traceId(), traceId()]
    start('a', a).end()
    start('b', b).end()
    let flushedA = false
    const flushA = processor.forceFlush(a).then(() => {
      flushedA = true
    })
    // a's flush took every finished trace, b's too, in one request.
    expect(exporter.batches.map((batch) => batch.map((span) => span.name))).toEqual([['a', 'b']])
    // b's own flush has nothing left to send and returns while a's export is still on the wire:
    // workerd cancels a waitUntil that only waits on another request's I/O.
    await processor.forceFlush(b)
    expect(flushedA).toBe(false)
    start('c', c).end()
    const flushC = processor.forceFlush(c)
    expect(exporter.inFlight).toBe(2)
    exporter.settleOne()
    await flushA
    expect(flushedA).toBe(true)
    exporter.settleOne()
    await flushC
    expect(exporter.batches.map((batch) => batch.map((span) => span.name))).toEqual([['a', 'b'], ['c']])
    expect(processor.heldTraces).toBe(0)
  })

  it('splits a backlog bigger than maxBatchSpans into several requests', async () => {
    const { exporter, processor, start } = setup({ maxBatchSpans: 3 })
    for (let i = 0; i < 4; i++) {
      const id = traceId()
      const root = start(`root${i}`, id)
      start(`child${i}`, id).end()
      root.end()
    }
    await processor.forceFlush()
    expect(exporter.names()).toEqual([
      ['root0', 'child0'],
      ['root1', 'child1'],
      ['root2', 'child2'],
      ['root3', 'child3'],
    ])
  })

  describe('on a busy isolate', () => {
    /** `n` requests in flight: each a running root span of its own trace. */
    const running = (start: ReturnType<typeof tracer>, n: number) =>
      Array.from({ length: n }, (_, i) => {
        const id = traceId()
        return { id, root: start(`running${i}`, id) }
      })

    it('leaves a finished trace for a request still running, which sends it with its own', async () => {
      const { exporter, processor, start } = setup()
      const [first, second] = running(start, 2)
      const id = traceId()
      start('early', id).end()
      await processor.forceFlush(id)
      expect(exporter.batches).toHaveLength(0)
      first?.root.end()
      // `second` is still running: it will carry both.
      await processor.forceFlush(first?.id)
      expect(exporter.batches).toHaveLength(0)
      second?.root.end()
      await processor.forceFlush(second?.id)
      expect(exporter.names()).toEqual([['early', 'running0', 'running1']])
      expect(processor.heldTraces).toBe(0)
    })

    it('sends at once when no other request is running (one request at a time)', async () => {
      const { exporter, processor, start } = setup()
      const id = traceId()
      start('alone', id).end()
      await processor.forceFlush(id)
      expect(exporter.names()).toEqual([['alone']])
    })

    it('sends the waiting traces once maxWaitingTraces have finished, however busy', async () => {
      const { exporter, processor, start } = setup({ maxWaitingTraces: 3 })
      running(start, 5)
      for (let i = 0; i < 3; i++) {
        const id = traceId()
        start(`done${i}`, id).end()
        await processor.forceFlush(id)
      }
      expect(exporter.names()).toEqual([['done0', 'done1', 'done2']])
    })

    it('sends a waiting trace at the first flush after maxExportDelayMs, however busy', async () => {
      const { exporter, processor, start } = setup({ maxExportDelayMs: 20 })
      running(start, 1)
      const first = traceId()
      start('first', first).end()
      await processor.forceFlush(first)
      expect(exporter.batches).toHaveLength(0)
      await new Promise((resolve) => setTimeout(resolve, 30))
      // A request that has just started could carry it, but `first` has waited long enough.
      running(start, 1)
      const next = traceId()
      start('next', next).end()
      await processor.forceFlush(next)
      expect(exporter.names()).toEqual([['first', 'next']])
    })

    it('does not wait for a request that started more than maxExportDelayMs ago (a stream, a cancelled request)', async () => {
      const { exporter, processor, start } = setup()
      start('long-running', traceId(), { startedMsAgo: MAX_EXPORT_DELAY_MS + 100 })
      const id = traceId()
      start('done', id).end()
      await processor.forceFlush(id)
      expect(exporter.names()).toEqual([['done']])
    })

    it('does not wait for the late spans of a trace already flushed (an SSE stream), which no flush follows', async () => {
      const { exporter, processor, start } = setup()
      const streamed = traceId()
      start('root', streamed).end()
      await processor.forceFlush(streamed)
      start('search.respond', streamed)
      const id = traceId()
      start('done', id).end()
      await processor.forceFlush(id)
      expect(exporter.names()).toEqual([['root'], ['done']])
    })

    it('sends everything on a flush without a trace id (shutdown), however busy', async () => {
      const { exporter, processor, start } = setup()
      running(start, 2)
      const id = traceId()
      start('done', id).end()
      await processor.forceFlush(id)
      expect(exporter.batches).toHaveLength(0)
      await processor.shutdown()
      expect(exporter.names()).toEqual([['done', 'running0', 'running1']])
    })
  })
})
