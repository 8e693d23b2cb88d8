import { context } from '@opentelemetry/api'
import type { Context } from 'hono'
import { type SSEStreamingApi, streamSSE } from 'hono/streaming'
import type { AppEnv } from '../env.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { setSpanError } from '../telemetry/helpers.ts'
import { generateAnswer } from './answer.ts'
import { attachMedia } from './attach-media.ts'
import { type Completed, finishInBackground, type Prepared, publicSource, toResult } from './pipeline.ts'
import { byteLength } from './respond.ts'
import { elapsedMs, type SearchRun, step } from './run.ts'

/** Writes SSE events strictly in call order and counts the bytes sent. */
class SseWriter {
  bytes = 0
  private chain: Promise<void> = Promise.resolve()

  constructor(private readonly stream: SSEStreamingApi) {}

  send(event: string, payload: unknown): Promise<void> {
    const data = JSON.stringify(payload)
    this.bytes += byteLength(`event: ${event}\ndata: ${data}\n\n`)
    this.chain = this.chain.then(() => this.stream.writeSSE({ event, data }))
    return this.chain
  }
}

/**
 * The SSE variant of the response: `sources`, then `media`, then `delta`s as the model writes,
 * then `done` (latency, cached, trace id, related queries). Steps 6 and 8 still run side by side;
 * deltas that arrive before the media event are held back so the event order is fixed. The
 * returned Response is sent at once; a waitUntil promise keeps the trace open until the stream ends.
 */
export function streamSearch(c: Context<AppEnv>, run: SearchRun, prepared: Prepared): Response {
  const requestContext = context.active()
  let finished: () => void = () => {}
  run.background(() => new Promise<void>((resolve) => (finished = resolve)))
  return streamSSE(
    c,
    (stream) =>
      context.with(requestContext, async () => {
        try {
          await writeEvents(new SseWriter(stream), run, prepared)
        } finally {
          finished()
        }
      }),
    async (error, stream) => {
      setSpanError(error, c.get('rootSpan'))
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: { code: 'internal_error' } }) })
      finished()
    },
  )
}

async function writeEvents(writer: SseWriter, run: SearchRun, prepared: Prepared): Promise<void> {
  let done: Completed
  if (prepared.kind !== 'fresh') {
    const { result } = prepared
    await writer.send('sources', { sources: result.sources })
    await writer.send('media', result.media)
    await writer.send('delta', { text: result.answer })
    done = { result }
  } else {
    await writer.send('sources', { sources: prepared.sources.map(publicSource) })
    let mediaSent = false
    const held: string[] = []
    const onDelta = async (text: string) => {
      if (!mediaSent) held.push(text)
      else await writer.send('delta', { text })
    }
    const [answer, media] = await Promise.all([
      generateAnswer(run, prepared.normalized, prepared.sources, onDelta),
      attachMedia(run, prepared.sources).then(async (outcome) => {
        // Queued synchronously, so no delta can slip between the media event and the held ones.
        const queued = [
          writer.send('media', outcome.media),
          ...held.splice(0).map((text) => writer.send('delta', { text })),
        ]
        mediaSent = true
        await Promise.all(queued)
        return outcome
      }),
    ])
    done = {
      result: toResult(prepared, answer.answer, media.media.videos, media.media.images),
      answer,
      media,
    }
  }
  const cached = prepared.kind === 'cached'
  const latencyMs = await step(
    'search.respond',
    run,
    { [ATTR.cached]: cached, [ATTR.stream]: true },
    async (span) => {
      const latency = elapsedMs(run)
      await writer.send('done', {
        latency_ms: latency,
        cached,
        trace_id: run.traceId,
        related_queries: done.result.related_queries,
      })
      span.setAttributes({ [ATTR.responseBytes]: writer.bytes, [ATTR.latencyMs]: latency })
      return latency
    },
  )
  finishInBackground(run, prepared, done, latencyMs)
}
