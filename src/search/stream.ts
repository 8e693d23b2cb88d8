import { context, type Span } from '@opentelemetry/api'
import type { Context } from 'hono'
import { type SSEStreamingApi, streamSSE } from 'hono/streaming'
import type { AppEnv } from '../env.ts'
import { errorBodyOf } from '../errors.ts'
import { ATTR, type StreamOutcome } from '../telemetry/catalogue.ts'
import { type Completed, completeSearch, finishInBackground, type Prepared } from './pipeline.ts'
import { byteLength } from './respond.ts'
import { elapsedMs, type SearchRun, startStep } from './run.ts'
import { StreamDeadlineError, streamFailure } from './stream-errors.ts'

/**
 * Writes SSE events strictly in call order and counts the bytes sent. A client that stops reading
 * stalls writes (the body stream has backpressure), so once the stream is given up `stop()` turns
 * further sends into no-ops and releases the pending ones: nothing waits on a reader that is gone.
 */
class SseWriter {
  bytes = 0
  private chain: Promise<void> = Promise.resolve()
  private stopped = false
  private release: () => void = () => {}
  private readonly released = new Promise<void>((resolve) => (this.release = resolve))

  constructor(private readonly stream: SSEStreamingApi) {}

  send(event: string, payload: unknown): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return Promise.race([this.enqueue(event, payload), this.released])
  }

  stop(): void {
    this.stopped = true
    this.release()
  }

  /** After stop(): one last event, waited for at most `maxWaitMs` (the client may not read it). */
  last(event: string, payload: unknown, maxWaitMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)))
    return Promise.race([this.enqueue(event, payload), gaveUp]).finally(() => clearTimeout(timer))
  }

  private enqueue(event: string, payload: unknown): Promise<void> {
    const data = JSON.stringify(payload)
    this.bytes += byteLength(`event: ${event}\ndata: ${data}\n\n`)
    this.chain = this.chain.then(() => this.stream.writeSSE({ event, data }))
    return this.chain
  }
}

/** How long the `error` event may wait behind a client that reads slowly, or not at all. */
const LAST_EVENT_WAIT_MS = 1000

type Ending = { kind: 'done'; done: Completed } | { kind: 'cancelled' } | { kind: 'deadline' }

/**
 * The SSE variant of the response: `sources`, then `media`, then `delta`s as the model writes,
 * then `done` (latency, cached, trace id, related queries), or `error` ({error:{code,message},
 * detail, trace_id}) when the stream cannot finish.
 *
 * The request span ends when the headers go out, so step 11 (`search.respond`) is started here and
 * ends with the stream: the trace's duration is the one the client lived through, the tail sampler
 * sees it, and a failure mid-stream marks a span that is still open. A waitUntil promise keeps the
 * isolate (and the trace's export) alive until then. The stream keeps the request deadline
 * (REQUEST_TIMEOUT_MS from the request's start); a client that disconnects aborts the model call.
 */
export function streamSearch(c: Context<AppEnv>, run: SearchRun, prepared: Prepared): Response {
  const requestContext = context.active()
  const cached = prepared.kind === 'cached'
  const span = startStep(
    'search.respond',
    run,
    { [ATTR.cached]: cached, [ATTR.stream]: true, [ATTR.cacheKind]: cached ? prepared.cacheKind : undefined },
    requestContext,
  )
  const budgetMs = Math.max(0, run.deps.config.http.requestTimeoutMs - elapsedMs(run))
  let finished: () => void = () => {}
  run.background(() => new Promise<void>((resolve) => (finished = resolve)))
  return streamSSE(c, (stream) =>
    context.with(requestContext, async () => {
      try {
        await respond(stream, c.req.raw.signal, run, prepared, span, budgetMs)
      } finally {
        span.end()
        finished()
      }
    }),
  )
}

async function respond(
  stream: SSEStreamingApi,
  requestSignal: AbortSignal | undefined,
  run: SearchRun,
  prepared: Prepared,
  span: Span,
  budgetMs: number,
): Promise<void> {
  const writer = new SseWriter(stream)
  const cancel = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  // Workerd cancels the response body when the client goes away; newer runtimes also abort the
  // request's signal. Either one ends the stream.
  const disconnected = new Promise<Ending>((resolve) => {
    stream.onAbort(() => resolve({ kind: 'cancelled' }))
    requestSignal?.addEventListener('abort', () => resolve({ kind: 'cancelled' }))
  })
  const expired = new Promise<Ending>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'deadline' }), budgetMs)
  })
  const work = writeAnswer(writer, run, prepared, cancel.signal)
  let outcome: StreamOutcome = 'completed'
  try {
    const ending = await Promise.race([
      work.then((done): Ending => ({ kind: 'done', done })),
      disconnected,
      expired,
    ])
    if (ending.kind !== 'done') {
      cancel.abort()
      writer.stop()
      // The model call is aborted and media settles on its own; wait so that no child span
      // outlives step 11 (their writes are dropped).
      await work.catch(() => undefined)
    }
    if (ending.kind === 'cancelled') {
      outcome = 'cancelled'
      return
    }
    if (ending.kind === 'deadline') throw new StreamDeadlineError(run.deps.config.http.requestTimeoutMs)
    const latencyMs = elapsedMs(run)
    await writer.send('done', {
      latency_ms: latencyMs,
      cached: prepared.kind === 'cached',
      trace_id: run.traceId,
      query_id: run.queryId,
      related_queries: ending.done.result.related_queries,
    })
    span.setAttribute(ATTR.latencyMs, latencyMs)
    finishInBackground(run, prepared, ending.done, latencyMs)
  } catch (error: unknown) {
    outcome = 'error'
    const failure = streamFailure(error, span)
    cancel.abort()
    writer.stop()
    const body = errorBodyOf(failure.code, failure.message, run.traceId)
    await writer.last('error', body, LAST_EVENT_WAIT_MS)
  } finally {
    clearTimeout(timer)
    span.setAttributes({ [ATTR.streamOutcome]: outcome, [ATTR.responseBytes]: writer.bytes })
  }
}

/** Everything up to the last delta, through the pipeline's one completion path. */
function writeAnswer(
  writer: SseWriter,
  run: SearchRun,
  prepared: Prepared,
  signal: AbortSignal,
): Promise<Completed> {
  let mediaSent = false
  const held: string[] = []
  return completeSearch(run, prepared, {
    signal,
    onSources: (sources) => writer.send('sources', { sources }),
    // Deltas that arrive before the media event are held back so the event order is fixed.
    onDelta: async (text) => {
      if (!mediaSent) held.push(text)
      else await writer.send('delta', { text })
    },
    onMedia: async (media) => {
      // Queued synchronously, so no delta can slip between the media event and the held ones.
      const queued = [
        writer.send('media', media),
        ...held.splice(0).map((text) => writer.send('delta', { text })),
      ]
      mediaSent = true
      await Promise.all(queued)
    },
  })
}
