import type { LocalTrace } from '@microlabs/otel-cf-workers'
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api'
import { SamplingDecision } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import type { SAMPLERS } from './config.ts'
import { createHeadSampler, createTailSampler, keepReason } from './sampling.ts'

function traceOf(options: {
  sampled: boolean
  error?: 'root' | 'child'
  durationMs?: number
  childEndsAtMs?: number
}): LocalTrace {
  const hr = (ms: number): [number, number] => [Math.floor(ms / 1000), (ms % 1000) * 1e6]
  const rootMs = options.durationMs ?? 5
  const span = (status: SpanStatusCode, endMs: number) =>
    ({
      spanContext: () => ({
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        traceFlags: options.sampled ? 1 : 0,
      }),
      status: { code: status },
      startTime: hr(1_000_000),
      endTime: hr(1_000_000 + endMs),
      ended: true,
      duration: hr(endMs),
    }) as unknown as LocalTrace['localRootSpan']
  const root = span(options.error === 'root' ? SpanStatusCode.ERROR : SpanStatusCode.UNSET, rootMs)
  const child = span(
    options.error === 'child' ? SpanStatusCode.ERROR : SpanStatusCode.UNSET,
    options.childEndsAtMs ?? rootMs,
  )
  return { traceId: 'a'.repeat(32), localRootSpan: root, spans: [root, child] }
}

function sampledShare(
  name: (typeof SAMPLERS)[number],
  ratio: number,
  parent?: 'sampled' | 'unsampled',
): number {
  const sampler = createHeadSampler(name, ratio)
  const ctx = parent
    ? trace.setSpanContext(ROOT_CONTEXT, {
        traceId: 'c'.repeat(32),
        spanId: 'd'.repeat(16),
        traceFlags: parent === 'sampled' ? TraceFlags.SAMPLED : TraceFlags.NONE,
        isRemote: true,
      })
    : context.active()
  let kept = 0
  for (let i = 0; i < 2000; i++) {
    const traceId = crypto.randomUUID().replaceAll('-', '')
    const { decision } = sampler.shouldSample(ctx, traceId, 'GET /health', SpanKind.SERVER, {}, [])
    if (decision === SamplingDecision.RECORD_AND_SAMPLED) kept++
  }
  return kept / 2000
}

describe('head samplers', () => {
  it('keeps all or nothing for always_on and always_off', () => {
    expect(sampledShare('always_on', 0)).toBe(1)
    expect(sampledShare('always_off', 1)).toBe(0)
  })

  it('keeps about the ratio for traceidratio', () => {
    const share = sampledShare('traceidratio', 0.1)
    expect(share).toBeGreaterThan(0.06)
    expect(share).toBeLessThan(0.14)
  })

  it('follows a remote parent decision when parent-based', () => {
    expect(sampledShare('parentbased_traceidratio', 0, 'sampled')).toBe(1)
    expect(sampledShare('parentbased_always_on', 1, 'unsampled')).toBe(0)
    expect(sampledShare('parentbased_always_off', 1)).toBe(0)
  })

  it('ignores the parent when not parent-based', () => {
    expect(sampledShare('traceidratio', 0, 'sampled')).toBe(0)
  })
})

describe('tail sampler', () => {
  const tail = createTailSampler({ enabled: true, slowTraceMs: 2000 })

  it('keeps every error trace when the ratio drops the rest', () => {
    expect(tail(traceOf({ sampled: false }))).toBe(false)
    expect(tail(traceOf({ sampled: false, error: 'root' }))).toBe(true)
    expect(keepReason(traceOf({ sampled: false, error: 'child' }), 2000)).toBe('error')
  })

  it('counts a span that ends after the request span (a stream) in the trace duration', () => {
    expect(keepReason(traceOf({ sampled: false, durationMs: 40, childEndsAtMs: 2600 }), 2000)).toBe('slow')
    expect(keepReason(traceOf({ sampled: false, durationMs: 40, childEndsAtMs: 900 }), 2000)).toBe('dropped')
  })

  it('keeps a trace slower than OTEL_SLOW_TRACE_MS', () => {
    expect(keepReason(traceOf({ sampled: false, durationMs: 2500 }), 2000)).toBe('slow')
    expect(keepReason(traceOf({ sampled: false, durationMs: 1500 }), 2000)).toBe('dropped')
  })

  it('keeps head-sampled traces and drops everything when tracing is off', () => {
    expect(keepReason(traceOf({ sampled: true }), 2000)).toBe('head_sampled')
    expect(
      createTailSampler({ enabled: false, slowTraceMs: 0 })(traceOf({ sampled: true, error: 'root' })),
    ).toBe(false)
  })
})
