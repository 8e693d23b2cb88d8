import { instrument, type TraceConfig, WWMAA_PATCH } from '@microlabs/otel-cf-workers'
import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { checkSdkPatch, EXPECTED_SDK_PATCH } from './sdk-guard.ts'

/**
 * The patched otel-cf-workers with its own exporter path (`exporter` in the config, so its
 * BatchTraceSpanProcessor), through `instrument()` in workerd. Each case fails unpatched: rc.52
 * never calls `postProcessor`, keeps every trace in the processor's `traces` map for the isolate's
 * life, and imports ATTR_FAAS_TIME, which @opentelemetry/semantic-conventions 1.45 no longer
 * exports (the file would not even bundle).
 */

class Recording implements SpanExporter {
  readonly spans: ReadableSpan[] = []
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans)
    done({ code: ExportResultCode.SUCCESS })
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const exporter = new Recording()
// rc.52 turns an `exporter` config into `spanProcessors: [BatchTraceSpanProcessor]` in place.
const config: TraceConfig = {
  service: { name: 'sdk-patch-export-test' },
  exporter,
  postProcessor: (spans) => {
    for (const span of spans) span.attributes['test.post_processed'] = true
    return spans
  },
  instrumentation: { instrumentGlobalFetch: false, instrumentGlobalCache: false },
}

const worker = instrument<Record<string, never>, unknown, unknown>(
  {
    fetch: () => new Response('ok'),
    scheduled: () => undefined,
  },
  config,
)

function executionContext() {
  const background: Promise<unknown>[] = []
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void background.push(p),
    passThroughOnException: () => undefined,
    props: {},
  } as unknown as ExecutionContext
  return { ctx, settled: () => Promise.allSettled(background) }
}

async function get(): Promise<void> {
  const { ctx, settled } = executionContext()
  const fetch = worker.fetch as (r: Request, e: object, c: ExecutionContext) => Promise<Response>
  await (await fetch(new Request('https://api.example.test/x'), {}, ctx)).text()
  await settled()
}

describe('otel-cf-workers as patched: its own export path', () => {
  it('runs postProcessor on the spans before they are exported', async () => {
    const before = exporter.spans.length
    await get()
    const exported = exporter.spans.slice(before)
    expect(exported.length).toBeGreaterThan(0)
    for (const span of exported) expect(span.attributes['test.post_processed']).toBe(true)
  })

  it('forgets each trace once its request has flushed it', async () => {
    for (let i = 0; i < 3; i++) await get()
    const processor = (config as unknown as { spanProcessors: { traces: Record<string, unknown> }[] })
      .spanProcessors[0]
    expect(processor).toBeDefined()
    expect(Object.keys(processor?.traces ?? { unread: true })).toEqual([])
  })

  it('writes faas.time on a scheduled run, without the constant newer conventions dropped', async () => {
    const { ctx, settled } = executionContext()
    const scheduledTime = Date.UTC(2026, 11, 3, 17, 0, 0)
    const before = exporter.spans.length
    const scheduled = worker.scheduled as (
      c: ScheduledController,
      e: object,
      x: ExecutionContext,
    ) => Promise<void>
    await scheduled({ cron: '0 17 * * *', scheduledTime, noRetry: () => undefined }, {}, ctx)
    await settled()
    const span = exporter.spans.slice(before).find((s) => s.name.startsWith('scheduledHandler'))
    expect(span?.attributes).toMatchObject({
      'faas.trigger': 'timer',
      'faas.cron': '0 17 * * *',
      'faas.time': '2026-12-03T17:00:00.000Z',
    })
  })
})

describe('otel-cf-workers as patched: env', () => {
  it('probes a binding for RPC with one property name, not a fresh random one per read', async () => {
    const probed = new Set<string>()
    const binding = new Proxy(
      {},
      {
        get(_target, prop) {
          if (typeof prop === 'string') probed.add(prop)
          return undefined
        },
      },
    )
    // The handler reads the binding through the SDK's env Proxy, as app code would.
    const reader = instrument<{ BINDING: object }, unknown, unknown>(
      { fetch: (_request, env) => new Response(typeof env.BINDING) },
      config,
    )
    const fetch = reader.fetch as (r: Request, e: object, c: ExecutionContext) => Promise<Response>
    const env = { BINDING: binding }
    for (let i = 0; i < 3; i++) {
      const { ctx, settled } = executionContext()
      await (await fetch(new Request('https://api.example.test/x'), env, ctx)).text()
      await settled()
    }
    // Unpatched, every read probed `__some_property_that_will_never_exist<random>`: V8 keeps each.
    const rpcProbes = [...probed].filter((name) => name.startsWith('__'))
    expect(rpcProbes.length).toBe(1)
  })
})

describe('the patch guard', () => {
  it('finds the patch this code expects applied', () => {
    expect(WWMAA_PATCH).toBe(EXPECTED_SDK_PATCH)
    expect(() => checkSdkPatch(WWMAA_PATCH)).not.toThrow()
  })

  it('throws, saying what to run, when the SDK is unpatched or patched differently', () => {
    expect(() => checkSdkPatch(undefined)).toThrow(/not patched.*no patch.*npm ci/)
    expect(() => checkSdkPatch('wwmaa-2')).toThrow(/found patch wwmaa-2, want wwmaa-3/)
  })
})
