import { instrument, type TraceConfig } from '@microlabs/otel-cf-workers'
import { type Context, type ContextManager, context, trace } from '@opentelemetry/api'
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'

/**
 * The per-request hunks of the otel-cf-workers patch (`wwmaa-patch(per-request)` and
 * `wwmaa-patch(one-run)`), through `instrument()` in workerd: what rc.52 redid on every request is
 * done once, and what it did twice is done once. Each case fails unpatched. Their speed is the
 * bench's business (`npm run bench -- --floor`); these check the work itself.
 */

class Capture implements SpanProcessor {
  readonly spans: ReadableSpan[] = []
  onStart(_span: Span, _context: Context): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span)
  }
  forceFlush(): Promise<void> {
    return Promise.resolve()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const capture = new Capture()
const counts = { configReads: 0, attributeListings: 0 }
// What the project's config function does: the same config object for every request of an env.
const config = new Proxy<TraceConfig>(
  {
    service: { name: 'sdk-patch-request-test' },
    spanProcessors: capture,
    instrumentation: { instrumentGlobalFetch: false, instrumentGlobalCache: false },
  },
  {
    get(target, prop, receiver) {
      counts.configReads += 1
      return Reflect.get(target, prop, receiver)
    },
  },
)
const envsSeen: unknown[] = []
const worker = instrument<Record<string, string>, unknown, unknown>(
  {
    fetch: (_request, env) => {
      envsSeen.push(env)
      const attributes = new Proxy(
        { 'test.kept': 'yes', 'test.dropped': {} as unknown as string },
        {
          ownKeys(target) {
            counts.attributeListings += 1
            return Reflect.ownKeys(target)
          },
        },
      )
      trace.getTracer('test').startSpan('child', { attributes }).end()
      return new Response('ok')
    },
  },
  () => config,
)

const env = { SETTING: 'x' }

async function get(): Promise<void> {
  const background: Promise<unknown>[] = []
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void background.push(p),
    passThroughOnException: () => undefined,
    props: {},
  } as unknown as ExecutionContext
  const fetch = worker.fetch as (r: Request, e: object, c: ExecutionContext) => Promise<Response>
  await (await fetch(new Request('https://api.example.test/x'), env, ctx)).text()
  await Promise.allSettled(background)
}

/** The context manager otel-cf-workers registered (at the first request), its `with` counted. */
function countContextRuns(): { runs: number; restore: () => void } {
  const manager = (context as unknown as { _getContextManager(): ContextManager })._getContextManager()
  const original = manager.with
  const counter = {
    runs: 0,
    restore: () => {
      manager.with = original
    },
  }
  manager.with = function (this: ContextManager, ...args: Parameters<ContextManager['with']>) {
    counter.runs += 1
    return original.apply(this, args)
  } as ContextManager['with']
  return counter
}

describe('otel-cf-workers as patched: per request', () => {
  it('resolves the config once per config object, not on every request', async () => {
    await get()
    const afterFirst = counts.configReads
    for (let i = 0; i < 3; i++) await get()
    expect(counts.configReads).toBe(afterFirst)
  })

  it('hands the handler one env Proxy per env object', async () => {
    envsSeen.length = 0
    await get()
    await get()
    expect(envsSeen).toHaveLength(2)
    expect(envsSeen[0]).toBe(envsSeen[1])
  })

  it('enters AsyncLocalStorage once per request, for the request span', async () => {
    await get()
    const counter = countContextRuns()
    try {
      await get()
    } finally {
      counter.restore()
    }
    expect(counter.runs).toBe(1)
    // And the handler still ran inside its request span, whose trace its child span joined.
    const child = capture.spans.findLast((s) => s.name === 'child')
    const root = capture.spans.findLast((s) => s.kind === 1)
    expect(child?.spanContext().traceId).toBe(root?.spanContext().traceId)
    expect(child?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId)
  })

  it('lists a span’s attributes once, and still drops invalid values', async () => {
    await get()
    const before = counts.attributeListings
    await get()
    expect(counts.attributeListings - before).toBe(1)
    const child = capture.spans.findLast((s) => s.name === 'child')
    expect(child?.attributes).toEqual({ 'test.kept': 'yes' })
  })
})
